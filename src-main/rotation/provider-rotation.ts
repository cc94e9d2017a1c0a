/**
 * A rotation by a built-in rotator, up to the point of saving: the admin credential read
 * from the same vault and environment, the new credential made at the provider and tried
 * there. What it returns is not yet saved; rotate.ts saves it, then calls finish(), or
 * undo() when the save fails. A failure here has already put the provider back.
 */
import { TesseraError } from '../../src-shared/errors';
import type { BuiltinRotatorConfig, SecretMeta } from '../../src-shared/vault/types';
import type { ValuesScope } from '../../src-shared/vault/values-scope';
import type { Vault } from '../vaults/vault';
import type { ProviderChange } from './builtin/builtin-rotator';
import { builtinRotator } from './builtin/index';

/** The admin credential in `env` (a built-in rotator's, a lease's): the current value of the secret `name`. */
export function adminCredential(vault: Vault, values: ValuesScope, name: string, env: string): string {
  const adminSecret = vault.meta.secretByName(name);
  if (!adminSecret || adminSecret.status !== 'active') throw new TesseraError('NOT_FOUND', `The admin secret ${name} is not in vault ${vault.name}`);
  const admin = values.current(adminSecret.id)?.value;
  if (admin === undefined) throw new TesseraError('NOT_FOUND', `The admin secret ${name} has no value in ${env}`);
  return admin;
}

/** The error, with what undo() could not put back added to its message. */
export function withUndoNotes(e: unknown, left: readonly string[]): unknown {
  if (!(e instanceof TesseraError)) return e;
  const after = left.length === 0 ? 'the database was put back as it was' : `not everything could be put back: ${left.join('; ')}`;
  return new TesseraError(e.code, `${e.message}; nothing was saved, and ${after}`, { ...e.details, restored: left.length === 0 });
}

export async function rotateAtProvider(vault: Vault, secret: SecretMeta, env: string, config: BuiltinRotatorConfig, values: ValuesScope, graceMs: number): Promise<ProviderChange> {
  if (!config.environments.includes(env)) {
    throw new TesseraError('INVALID_INPUT', `The ${config.builtin} rotator of ${secret.name} rotates in ${config.environments.join(', ')} only, not ${env}`);
  }
  const rotator = builtinRotator(config.builtin);
  const admin = adminCredential(vault, values, config.admin, env);
  const current = values.current(secret.id)?.value;
  const change = await rotator.rotate({ config, admin, graceMs, now: Date.now(), ...(current !== undefined ? { current } : {}) });
  try {
    await rotator.verify({ config, admin, value: change.value, account: change.account });
  } catch (e) {
    throw withUndoNotes(e, await change.undo());
  }
  return change;
}
