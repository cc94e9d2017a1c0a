/**
 * A secret's lifecycle and its rotation settings: active → retired (kept with its history,
 * left out of `run` and export, restorable) → deleted (every version purged, after the
 * user confirms by typing its name); rotation policies per secret and defaults per vault
 * and environment; the rotator command. Each change is one edit and one audit event.
 */
import { TesseraError } from '../../src-shared/errors';
import { isValidSecretName } from '../../src-shared/vault/names';
import { isBuiltinRotator, type BuiltinRotatorConfig, type RotationPolicy, type RotatorConfig, type SecretMeta } from '../../src-shared/vault/types';
import type { AuditSink } from '../audit/audit-sink';
import type { Vault } from '../vaults/vault';
import { removeSecret } from '../vaults/secrets';
import { builtinRotator } from './builtin/index';
import { adminCredential } from './provider-rotation';
import { MAX_ROTATOR_TIMEOUT_SECONDS } from './rotator';

function requireSecret(vault: Vault, name: string): SecretMeta {
  const s = vault.meta.secretByName(name);
  if (!s) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  return s;
}

async function setStatus(vault: Vault, name: string, status: 'active' | 'retired'): Promise<SecretMeta> {
  const secret = requireSecret(vault, name);
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  if (secret.status === status) return secret;
  return vault.edit((author) => vault.meta.updateSecret(secret.id, { status }, author));
}

/** Hides a secret from run and export; its history stays. Audited as secret-retired. */
export async function retireSecret(vault: Vault, name: string, audit: AuditSink): Promise<SecretMeta> {
  const s = await setStatus(vault, name, 'retired');
  await audit.record({ action: 'secret-retired', vaultId: vault.id, vault: vault.name, secret: name });
  return s;
}

/** Makes a retired secret active again. Audited as secret-edited (status active). */
export async function restoreSecret(vault: Vault, name: string, audit: AuditSink): Promise<SecretMeta> {
  const s = await setStatus(vault, name, 'active');
  await audit.record({ action: 'secret-edited', vaultId: vault.id, vault: vault.name, secret: name, detail: { field: 'status', status: 'active' } });
  return s;
}

/**
 * Deletes a secret and purges its history in every environment this profile holds, once
 * `confirm` repeats its name (a purge cannot be undone). Audited as secret-deleted.
 */
export async function deleteSecret(vault: Vault, name: string, confirm: string | undefined, audit: AuditSink): Promise<{ purgedVersions: number }> {
  requireSecret(vault, name);
  if (confirm !== name) throw new TesseraError('CONFIRMATION_REQUIRED', `Deleting ${name} purges its whole history: confirm by typing its name`);
  const r = await removeSecret(vault, name);
  await audit.record({ action: 'secret-deleted', vaultId: vault.id, vault: vault.name, secret: name, detail: { purgedVersions: r.purgedVersions } });
  return r;
}

export interface PolicyChange {
  /** Days; null clears the secret's own interval (the defaults apply again). */
  readonly intervalDays?: number | null;
  /** ms since epoch; null clears. */
  readonly expiresAt?: number | null;
  /**
   * Records when the current values were really rotated (an imported key's age, a rotation
   * done at the provider); ms since epoch, not in the future. A value written later wins.
   */
  readonly lastRotatedAt?: number | null;
}

function checkInterval(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new TesseraError('INVALID_INPUT', 'A rotation interval is a whole number of days from 1 to 3650');
}

function checkTime(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TesseraError('INVALID_INPUT', `${what} must be a date`);
}

/** Changes a secret's own rotation policy. Audited as policy-changed. */
export async function setPolicy(vault: Vault, name: string, change: PolicyChange, audit: AuditSink): Promise<SecretMeta> {
  if (typeof change.intervalDays === 'number') checkInterval(change.intervalDays);
  if (typeof change.expiresAt === 'number') checkTime(change.expiresAt, 'The expiry');
  if (typeof change.lastRotatedAt === 'number') {
    checkTime(change.lastRotatedAt, 'The last rotation');
    // A rotation "tomorrow" would hide a secret from the schedule until long after it is due.
    if (change.lastRotatedAt > Date.now() + 86_400_000) throw new TesseraError('INVALID_INPUT', 'The last rotation cannot be in the future');
  }
  const secret = requireSecret(vault, name);
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  const updated = await vault.edit((author) => {
    const current = vault.meta.secretById(secret.id)!.rotation;
    const next: { -readonly [K in keyof RotationPolicy]: RotationPolicy[K] } = { ...current };
    for (const k of ['intervalDays', 'expiresAt', 'lastRotatedAt'] as const) {
      const v = change[k];
      if (v === null) delete next[k];
      else if (v !== undefined) next[k] = v;
    }
    // A value written after this record supersedes it (state.ts, lastRotation).
    if (change.lastRotatedAt === null) delete next.lastRotatedRecordedAt;
    else if (change.lastRotatedAt !== undefined) next.lastRotatedRecordedAt = author.at;
    return vault.meta.updateSecret(secret.id, { rotation: next }, author);
  });
  await audit.record({
    action: 'policy-changed',
    vaultId: vault.id,
    vault: vault.name,
    secret: name,
    detail: Object.fromEntries(Object.entries(change).map(([k, v]) => [k, v === null ? 'cleared' : v])),
  });
  return updated;
}

/** Sets (null: clears) the default interval of the vault, or of one environment. Audited as policy-changed. */
export async function setDefaultPolicy(vault: Vault, env: string | null, intervalDays: number | null, audit: AuditSink): Promise<void> {
  if (intervalDays !== null) checkInterval(intervalDays);
  let environmentId: string | null = null;
  if (env !== null) {
    const e = vault.environmentByName(env);
    if (!e) throw new TesseraError('NOT_FOUND', `No environment ${env} in this vault`);
    environmentId = e.id;
  }
  vault.assertMayWrite(vault.metaScopeId, 'rotation defaults');
  await vault.edit(() => vault.meta.setRotationDefault(environmentId, intervalDays));
  await audit.record({
    action: 'policy-changed',
    vaultId: vault.id,
    vault: vault.name,
    ...(env !== null ? { environment: env } : {}),
    detail: { default: true, intervalDays: intervalDays ?? 'cleared' },
  });
}

function checkBuiltin(vault: Vault, name: string, r: BuiltinRotatorConfig): void {
  builtinRotator(r.builtin);
  if (!isValidSecretName(r.admin)) throw new TesseraError('INVALID_NAME', `Invalid admin secret name ${JSON.stringify(r.admin)}`);
  if (r.admin === name) throw new TesseraError('INVALID_INPUT', 'The admin credential must be another secret than the one rotated');
  if (!vault.meta.secretByName(r.admin)) throw new TesseraError('NOT_FOUND', `No secret ${r.admin} in vault ${vault.name} (the admin credential)`);
  if (r.role === '' || r.role.length > 61) throw new TesseraError('INVALID_INPUT', 'A role name is 1 to 61 characters');
  if (r.environments.length === 0) throw new TesseraError('INVALID_INPUT', 'A built-in rotator rotates in at least one environment (--env)');
  for (const env of r.environments) if (!vault.environmentByName(env)) throw new TesseraError('NOT_FOUND', `No environment ${env} in this vault`);
  const g = r.graceSeconds;
  if (g !== undefined && (!Number.isInteger(g) || g < 0 || g > 365 * 86_400)) throw new TesseraError('INVALID_INPUT', 'A grace window is from 0 to 365 days');
}

/**
 * Checks a built-in rotator against its provider in each of its environments (the admin
 * credential logs in, the accounts are set up), changing nothing; throws the first failure.
 */
export async function checkBuiltinRotator(vault: Vault, r: BuiltinRotatorConfig): Promise<void> {
  const rotator = builtinRotator(r.builtin);
  for (const env of r.environments) {
    const { values } = await vault.environment(env);
    await rotator.check({ config: r, admin: adminCredential(vault, values, r.admin, env) });
  }
}

/**
 * Sets (null: removes) a secret's rotator: a command, or a built-in one (with `check`, tried
 * against its provider first). Audited as policy-changed (the program's name, not its
 * arguments; a built-in rotator's provider, role, admin secret name and environments).
 */
export async function setRotator(vault: Vault, name: string, rotator: RotatorConfig | null, audit: AuditSink, opts: { check?: boolean } = {}): Promise<SecretMeta> {
  const secret = requireSecret(vault, name);
  if (rotator && isBuiltinRotator(rotator)) {
    checkBuiltin(vault, name, rotator);
  } else if (rotator) {
    if (rotator.command.length === 0 || !rotator.command[0]) throw new TesseraError('INVALID_INPUT', 'A rotator needs a command');
    const t = rotator.timeoutSeconds;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > MAX_ROTATOR_TIMEOUT_SECONDS)) {
      throw new TesseraError('INVALID_INPUT', `A rotator timeout is a whole number of seconds from 1 to ${MAX_ROTATOR_TIMEOUT_SECONDS}`);
    }
  }
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  if (rotator && isBuiltinRotator(rotator) && opts.check) await checkBuiltinRotator(vault, rotator);
  const updated = await vault.edit((author) => vault.meta.updateSecret(secret.id, { rotator }, author));
  const detail: Readonly<Record<string, string | number | readonly string[]>> = !rotator
    ? { rotator: 'cleared' }
    : isBuiltinRotator(rotator)
      ? { rotator: rotator.builtin, role: rotator.role, admin: rotator.admin, environments: rotator.environments, ...(rotator.graceSeconds !== undefined ? { graceSeconds: rotator.graceSeconds } : {}) }
      : { rotator: rotator.command[0]!.split(/[\\/]/).pop()!, timeoutSeconds: rotator.timeoutSeconds ?? 0 };
  await audit.record({ action: 'policy-changed', vaultId: vault.id, vault: vault.name, secret: name, detail });
  return updated;
}
