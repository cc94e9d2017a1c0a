/**
 * Rotating a secret from the user's own unlocked app: a typed value, a generated one, or
 * the output of the secret's rotator. The relay never sees a value; the new value is one
 * more version in the environment's history, and the replaced one may stay "valid until"
 * a date (grace window) before it counts as revoked (at once without one). Rolling back saves an earlier value
 * as a new version, so history only grows.
 *
 * Values are produced before the edit starts (a rotator may take a minute; the profile
 * lock is not held meanwhile) and nothing is written when producing one fails.
 */
import type { GenerateSpec } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import { standings, type Standing } from '../../src-shared/rotation/standing';
import { isBuiltinRotator, type SecretMeta, type SecretVersion } from '../../src-shared/vault/types';
import type { ValuesScope } from '../../src-shared/vault/values-scope';
import type { AuditSink } from '../audit/audit-sink';
import { newId, type Vault } from '../vaults/vault';
import type { ProviderChange } from './builtin/builtin-rotator';
import { generateValue } from './generate';
import { rotateAtProvider, withUndoNotes } from './provider-rotation';
import { runRotator } from './rotator';
import { isRotatorTrusted, trustRotator } from './trust';

const DAY_MS = 86_400_000;
const MAX_GRACE_MS = 365 * DAY_MS;
/** A built-in rotator's grace when neither the rotation nor its configuration gives one. */
const BUILTIN_DEFAULT_GRACE_MS = DAY_MS;
const MAX_VALUE = 256 * 1024;

export type RotationSource = { readonly value: string } | { readonly generate: GenerateSpec } | { readonly rotator: true };

export interface RotateOptions {
  /** Days the replaced value stays valid at the provider (0 or absent: revoked at once). */
  readonly graceDays?: number;
  /** The same in ms, for windows shorter than a day (wins over graceDays). */
  readonly graceMs?: number;
  readonly note?: string;
  /** The provider's expiry for the new value; rotating otherwise clears the old value's expiry. */
  readonly expiresAt?: number;
  /**
   * Asked before running a rotator command this device has not run for this secret; the
   * answer true remembers it. Absent: an untrusted command is refused (ROTATOR_NOT_TRUSTED).
   */
  readonly confirmRotator?: (command: readonly string[]) => Promise<boolean>;
  /** The environment a rotator starts from (this process's by default; TESSERA_* never passes). */
  readonly rotatorEnv?: NodeJS.ProcessEnv;
}

/** A version without its value: what callers may show. */
export type VersionMeta = Omit<SecretVersion, 'value'>;

export interface RotateResult {
  readonly version: VersionMeta;
  /** The version it replaced, and until when that stays valid (absent: revoked now). */
  readonly replaced?: { readonly n: number; readonly validUntil?: number };
  /** Entropy of a generated value, in bits. */
  readonly bits?: number;
  /** What the rotator wrote on stderr. */
  readonly rotatorStderr?: string;
  /** A built-in rotator: the provider's account that now holds the value (a name). */
  readonly account?: string;
  /** What a built-in rotator could not do after saving (the value is saved and works). */
  readonly warnings?: readonly string[];
}

function withoutValue(v: SecretVersion): VersionMeta {
  const { value: _value, ...meta } = v;
  return meta;
}

function requireActive(vault: Vault, name: string): SecretMeta {
  const s = vault.meta.secretByName(name);
  if (!s) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  if (s.status === 'retired') throw new TesseraError('SECRET_RETIRED', `${name} is retired: restore it first (tessera restore ${name} --vault ${vault.name})`);
  return s;
}

/** The grace window of one rotation: the rotation's own, else a built-in rotator's setting or default, else none. */
function graceOf(secret: SecretMeta, source: RotationSource, opts: RotateOptions): number {
  const builtin = 'rotator' in source && secret.rotator && isBuiltinRotator(secret.rotator) ? secret.rotator : undefined;
  const ms = opts.graceMs ?? (opts.graceDays !== undefined ? opts.graceDays * DAY_MS : builtin ? (builtin.graceSeconds !== undefined ? builtin.graceSeconds * 1000 : BUILTIN_DEFAULT_GRACE_MS) : 0);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_GRACE_MS) throw new TesseraError('INVALID_INPUT', 'A grace window is from 0 to 365 days');
  return ms;
}

async function produce(vault: Vault, secret: SecretMeta, env: string, values: ValuesScope, source: RotationSource, opts: RotateOptions, graceMs: number) {
  if ('value' in source) return { value: source.value, method: 'value' as const };
  if ('generate' in source) {
    const g = generateValue(source.generate);
    return { value: g.value, bits: g.bits, method: 'generate' as const, detail: source.generate.format };
  }
  const rotator = secret.rotator;
  if (!rotator) throw new TesseraError('INVALID_INPUT', `${secret.name} has no rotator: tessera rotator ${secret.name} --vault ${vault.name} -- COMMAND [ARGS...]`);
  if (isBuiltinRotator(rotator)) {
    // Tessera's own code, not a command from the vault: nothing for this device to approve.
    const change: ProviderChange = await rotateAtProvider(vault, secret, env, rotator, values, graceMs);
    return { value: change.value, method: 'rotator' as const, detail: rotator.builtin, change };
  }
  if (!(await isRotatorTrusted(vault.session, vault.id, secret.id, rotator))) {
    if (!opts.confirmRotator || !(await opts.confirmRotator(rotator.command))) {
      throw new TesseraError('ROTATOR_NOT_TRUSTED', `This device has not approved the rotator command of ${secret.name}; nothing was run`);
    }
    await trustRotator(vault.session, vault.id, secret.id, rotator);
  }
  const r = await runRotator(rotator, { vault: vault.name, secret: secret.name, environment: env }, opts.rotatorEnv ? { env: opts.rotatorEnv } : {});
  return { value: r.value, method: 'rotator' as const, stderr: r.stderr, detail: rotator.command[0]!.split(/[\\/]/).pop()! };
}

/**
 * A rotator may already have replaced the key at the provider when saving fails (the
 * profile stayed locked by another process, a disk error): say so, since the user may need
 * to act at the provider. The value itself is never put in an error.
 */
async function saveOrExplain<T>(method: 'value' | 'generate' | 'rotator', save: () => Promise<T>): Promise<T> {
  try {
    return await save();
  } catch (e) {
    if (method !== 'rotator' || !(e instanceof TesseraError) || e.code === 'INVALID_INPUT') throw e;
    throw new TesseraError(e.code, `The rotator succeeded but its value could not be saved (${e.message}); the provider may already have a new key: check it before rotating again`, e.details);
  }
}

/**
 * Rotates one secret in one environment; audited as secret-rotated (method, versions; never
 * the value). A rotator's failure is audited too (secret-rotation-failed, with its code and
 * message, which never hold a value), so Health can show it until a later rotation succeeds.
 */
export async function rotateSecret(vault: Vault, name: string, env: string, source: RotationSource, opts: RotateOptions, audit: AuditSink): Promise<RotateResult> {
  try {
    return await rotateOnce(vault, name, env, source, opts, audit);
  } catch (e) {
    if ('rotator' in source && e instanceof TesseraError) {
      await audit.record({
        action: 'secret-rotation-failed',
        vaultId: vault.id,
        vault: vault.name,
        secret: name,
        environment: env,
        detail: { code: e.code, message: e.message.slice(0, 500) },
      }).catch(() => undefined); // the rotation's own error is what the user must see
    }
    throw e;
  }
}

async function rotateOnce(vault: Vault, name: string, env: string, source: RotationSource, opts: RotateOptions, audit: AuditSink): Promise<RotateResult> {
  const secret = requireActive(vault, name);
  const { environment, values } = await vault.environment(env);
  vault.assertMayWrite(environment.id, `values in ${env}`);
  if (opts.graceDays !== undefined && (!Number.isInteger(opts.graceDays) || opts.graceDays < 0 || opts.graceDays > 365)) throw new TesseraError('INVALID_INPUT', 'Grace days must be a whole number from 0 to 365');
  const graceMs = graceOf(secret, source, opts);
  const expiryChanges = opts.expiresAt !== undefined || secret.rotation.expiresAt !== undefined;
  if (expiryChanges) vault.assertMayWrite(vault.metaScopeId, 'secrets');

  const made = await produce(vault, secret, env, values, source, opts, graceMs);
  const change = 'change' in made ? made.change : undefined;

  const save = () => vault.edit((author) => {
    if (made.value === '') throw new TesseraError('INVALID_INPUT', 'Empty value: nothing saved');
    if (made.value.length > MAX_VALUE) throw new TesseraError('INVALID_INPUT', 'The value is larger than 256 KiB: nothing saved');
    const previous = values.current(secret.id);
    if (previous && previous.value === made.value) {
      throw new TesseraError('INVALID_INPUT', `The new value of ${name} is the same as the current one: nothing saved`);
    }
    const note = opts.note ?? (made.method === 'value' ? 'rotated' : made.method === 'generate' ? `rotated: generated ${made.detail}` : change ? `rotated by the ${made.detail} rotator: ${change.account}` : `rotated by rotator ${made.detail}`);
    const version = values.addVersion(newId(vault.session), secret.id, made.value, author, note);
    let replaced: RotateResult['replaced'];
    if (previous) {
      if (graceMs > 0) {
        const validUntil = author.at + graceMs;
        values.setValidUntil(secret.id, previous.id, validUntil, author);
        replaced = { n: previous.n, validUntil };
      } else {
        // Revoked now: the record says a rotation ended it (a plain set leaves none: "replaced").
        values.setValidUntil(secret.id, previous.id, author.at, author);
        replaced = { n: previous.n };
      }
    }
    if (expiryChanges) {
      const { expiresAt: _old, ...rest } = secret.rotation;
      vault.meta.updateSecret(secret.id, { rotation: opts.expiresAt !== undefined ? { ...rest, expiresAt: opts.expiresAt } : rest }, author);
    }
    return {
      version: withoutValue(version),
      ...(replaced ? { replaced } : {}),
      ...('bits' in made && made.bits !== undefined ? { bits: made.bits } : {}),
      ...('stderr' in made && made.stderr !== undefined ? { rotatorStderr: made.stderr } : {}),
      ...(change ? { account: change.account } : {}),
    };
  });
  let result: RotateResult;
  if (change) {
    // The provider already has the new credential: saving fails → put the provider back.
    try {
      result = await save();
    } catch (e) {
      throw withUndoNotes(e, await change.undo());
    }
    const warnings = await change.finish();
    if (warnings.length > 0) result = { ...result, warnings };
  } else {
    result = await saveOrExplain(made.method, save);
  }
  await audit.record({
    action: 'secret-rotated',
    vaultId: vault.id,
    vault: vault.name,
    secret: name,
    environment: env,
    detail: {
      method: made.method,
      version: result.version.n,
      ...(result.replaced ? { replaced: result.replaced.n } : {}),
      ...(graceMs > 0 ? (graceMs % DAY_MS === 0 ? { graceDays: graceMs / DAY_MS } : { graceSeconds: Math.round(graceMs / 1000) }) : {}),
      ...(change ? { account: change.account } : {}),
      ...('detail' in made && made.detail ? { [made.method === 'generate' ? 'format' : 'rotator']: made.detail } : {}),
    },
  });
  return result;
}

/** Saves version `to`'s value as a new version; audited as secret-rolled-back. */
export async function rollback(vault: Vault, name: string, env: string, to: number, audit: AuditSink): Promise<{ version: VersionMeta; from: number }> {
  const secret = requireActive(vault, name);
  const { environment, values } = await vault.environment(env);
  vault.assertMayWrite(environment.id, `values in ${env}`);
  const result = await vault.edit((author) => {
    const all = values.history(secret.id);
    const target = all.filter((v) => v.n === to).at(-1);
    if (!target) throw new TesseraError('NOT_FOUND', `${name} has no version ${to} in ${env} (versions: ${all.map((v) => v.n).join(', ') || 'none'})`);
    const current = all.at(-1)!;
    if (current.value === target.value) throw new TesseraError('INVALID_INPUT', `Version ${to} of ${name} holds the current value already: nothing saved`);
    const version = values.addVersion(newId(vault.session), secret.id, target.value, author, `rollback to version ${to}`);
    return { version: withoutValue(version), from: current.n };
  });
  await audit.record({
    action: 'secret-rolled-back',
    vaultId: vault.id,
    vault: vault.name,
    secret: name,
    environment: env,
    detail: { to, from: result.from, version: result.version.n },
  });
  return result;
}

export interface VersionWithStanding extends VersionMeta {
  readonly standing: Standing;
}

/** History without values, each version with what it still means at the provider. */
export async function historyWithStanding(vault: Vault, name: string, env: string, now: number): Promise<VersionWithStanding[]> {
  const secret = vault.meta.secretByName(name);
  if (!secret) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  const { values } = await vault.environment(env);
  const all = values.history(secret.id);
  const st = standings(all, (id) => values.validUntil(id), now);
  return all.map((v, i) => ({ ...withoutValue(v), standing: st[i]! }));
}
