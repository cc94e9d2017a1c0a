/**
 * What a user does with secrets in one vault: set, edit, reveal, list, import, export,
 * remove, history. Each call that changes something is one edit (one envelope per scope
 * touched) and records its audit event (names, never values) in the session's log, whichever
 * front end called it.
 */
import { TesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import type { SecretFields, SecretMeta, SecretVersion } from '../../src-shared/vault/types';
import { auditOf } from '../audit/session-audit';
import { newId, type Vault } from './vault';
import type { VaultView } from './vault-view';

const where = (vault: Vault) => ({ vaultId: vault.id, vault: vault.name });

export interface SetOptions {
  description?: string;
  tags?: string[];
  note?: string;
}

export interface SetResult {
  readonly secret: SecretMeta;
  readonly version: SecretVersion;
  readonly created: boolean;
}

function requireSecret(vault: VaultView, name: string): SecretMeta {
  const s = vault.meta.secretByName(name);
  if (!s) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  return s;
}

export async function setSecret(vault: Vault, name: string, env: string, value: string, opts: SetOptions = {}): Promise<SetResult> {
  assertSecretName(name);
  const { environment, values } = await vault.environment(env);
  vault.assertMayWrite(environment.id, `values in ${env}`);
  if (!vault.meta.secretByName(name) || opts.description !== undefined || opts.tags !== undefined) vault.assertMayWrite(vault.metaScopeId, 'secrets');
  const result = await vault.edit((author) => {
    let secret = vault.meta.secretByName(name);
    const created = !secret;
    const fields = {
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    };
    if (!secret) secret = vault.meta.createSecret(newId(vault.session), { name, ...fields }, author);
    else if (Object.keys(fields).length > 0) secret = vault.meta.updateSecret(secret.id, fields, author);
    const version = values.addVersion(newId(vault.session), secret.id, value, author, opts.note ?? '');
    return { secret, version, created };
  });
  const fields = ['value', ...(opts.description !== undefined ? ['description'] : []), ...(opts.tags !== undefined ? ['tags'] : [])];
  await auditOf(vault.session).record({ action: result.created ? 'secret-created' : 'secret-edited', ...where(vault), secret: name, environment: env, detail: { fields } });
  return result;
}

/** Changes a secret's description and tags (its metadata, never a value). */
export async function updateSecret(vault: Vault, name: string, change: Pick<SecretFields, 'description' | 'tags'>): Promise<SecretMeta> {
  const secret = requireSecret(vault, name);
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  const fields = { ...(change.description !== undefined ? { description: change.description } : {}), ...(change.tags !== undefined ? { tags: change.tags } : {}) };
  const updated = await vault.edit((author) => vault.meta.updateSecret(secret.id, fields, author));
  await auditOf(vault.session).record({ action: 'secret-edited', ...where(vault), secret: name, detail: { fields: Object.keys(fields) } });
  return updated;
}

/** A value shown to the user (or handed to their shell): the read is recorded as a reveal. */
export async function revealValue(vault: Vault, name: string, env: string, opts: { via?: string } = {}): Promise<SecretVersion> {
  const v = await getValue(vault, name, env);
  await recordReveal(vault, name, env, opts.via);
  return v;
}

/** Records that a value was shown (`via`: how, when not the app's Reveal). */
export function recordReveal(vault: Vault, name: string, env: string, via?: string): Promise<void> {
  return auditOf(vault.session).record({ action: 'reveal', ...where(vault), secret: name, environment: env, ...(via ? { detail: { via } } : {}) });
}

export async function getValue(vault: VaultView, name: string, env: string): Promise<SecretVersion> {
  const secret = requireSecret(vault, name);
  const { values } = await vault.environment(env);
  const v = values.current(secret.id);
  if (!v) throw new TesseraError('NOT_FOUND', `${name} has no value in ${env}`);
  return v;
}

export interface ListedSecret extends SecretMeta {
  /** Environments where this profile can see a value. */
  readonly environments: string[];
}

/** Names and metadata, never values. With `env`, only the secrets that have a value there. */
export async function listSecrets(vault: Vault, env?: string): Promise<ListedSecret[]> {
  const scopes = env ? [await vault.environment(env)] : await vault.readableEnvironments();
  const out: ListedSecret[] = [];
  for (const s of vault.meta.secrets()) {
    const environments: string[] = [];
    for (const e of scopes) if (e.values.has(s.id)) environments.push(e.environment.name);
    if (env && environments.length === 0) continue;
    // secrets() made `s` for us alone: add the field rather than copy 12 others (10,000 times).
    out.push(Object.assign(s, { environments }));
  }
  return out;
}

export async function history(vault: Vault, name: string, env: string): Promise<readonly SecretVersion[]> {
  const secret = requireSecret(vault, name);
  const { values } = await vault.environment(env);
  return values.history(secret.id);
}

/** Deletes the secret and purges its values from every environment this profile holds. */
export async function removeSecret(vault: Vault, name: string): Promise<{ purgedVersions: number }> {
  const secret = requireSecret(vault, name);
  const scopes = await vault.readableEnvironments();
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  for (const s of scopes) vault.assertMayWrite(s.environment.id, `values in ${s.environment.name}`);
  const result = await vault.edit((author) => {
    let purgedVersions = 0;
    for (const s of scopes) purgedVersions += s.values.purge(secret.id);
    vault.meta.deleteSecret(secret.id, author);
    return { purgedVersions };
  });
  await auditOf(vault.session).record({ action: 'secret-deleted', ...where(vault), secret: name, detail: { purgedVersions: result.purgedVersions } });
  return result;
}

export interface ImportResult {
  readonly added: string[];
  readonly updated: string[];
  readonly unchanged: string[];
}

/** One secret to import; the metadata is given to secrets the import creates, never changed on existing ones. */
export interface ImportEntry {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly service?: string;
}

/**
 * Imports all entries in one edit; a value equal to the current one adds no version.
 * `source` says where they came from, for the audit event ('file', 'stdin', 'desktop', or
 * the format, such as 'kdbx').
 */
export async function importEntries(vault: Vault, env: string, entries: readonly ImportEntry[], source = 'file'): Promise<ImportResult> {
  entries.forEach((e) => assertSecretName(e.key));
  const { environment, values } = await vault.environment(env);
  vault.assertMayWrite(environment.id, `values in ${env}`);
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  const imported = await vault.edit((author) => {
    const result: ImportResult = { added: [], updated: [], unchanged: [] };
    for (const { key, value, description, tags, service } of entries) {
      let secret = vault.meta.secretByName(key);
      if (!secret) {
        const fields = { name: key, ...(description ? { description } : {}), ...(tags?.length ? { tags } : {}), ...(service ? { service } : {}) };
        secret = vault.meta.createSecret(newId(vault.session), fields, author);
        result.added.push(key);
      } else if (values.current(secret.id)?.value === value) {
        result.unchanged.push(key);
        continue;
      } else if (values.current(secret.id)) {
        result.updated.push(key);
      } else {
        result.added.push(key);
      }
      values.addVersion(newId(vault.session), secret.id, value, author, 'import');
    }
    return result;
  });
  const { added, updated, unchanged } = imported;
  await auditOf(vault.session).record({
    action: 'import',
    ...where(vault),
    environment: env,
    // Every key compared, the unchanged ones too: the result tells the user which values
    // matched, so the record says whose.
    secrets: [...added, ...updated, ...unchanged],
    detail: { added: added.length, updated: updated.length, unchanged: unchanged.length, source },
  });
  return imported;
}

/** Current values of the live secrets in one environment, by name. */
export async function exportEntries(vault: Vault, env: string): Promise<{ key: string; value: string }[]> {
  const { values } = await vault.environment(env);
  const out: { key: string; value: string }[] = [];
  for (const s of vault.meta.secrets()) {
    if (s.status !== 'active') continue; // retired secrets stay out of exports
    const v = values.current(s.id);
    if (v) out.push({ key: s.name, value: v.value });
  }
  return out;
}
