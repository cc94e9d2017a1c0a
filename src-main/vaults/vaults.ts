/** Profile-level vault operations: create, list, find by name or id. */
import { TesseraError } from '../../src-shared/errors';
import { assertEnvironmentName, assertVaultName } from '../../src-shared/vault/names';
import { DEFAULT_ENVIRONMENTS } from '../../src-shared/vault/types';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { newId, Vault, vaultIds } from './vault';

export interface VaultSummary {
  readonly id: string;
  readonly name: string;
  readonly environments: { name: string; readable: boolean }[];
  readonly secrets: number;
  readonly createdAt: number;
}

export async function createVault(session: Session, name: string, environments: readonly string[] = DEFAULT_ENVIRONMENTS): Promise<Vault> {
  assertVaultName(name);
  if (environments.length === 0) throw new TesseraError('INVALID_INPUT', 'A vault needs at least one environment');
  environments.forEach(assertEnvironmentName);
  if (new Set(environments).size !== environments.length) throw new TesseraError('INVALID_INPUT', 'Environment names repeat');
  const vaultId = newId(session);
  const metaScope = newId(session);
  const envs = environments.map((e) => ({ scopeId: newId(session), name: e }));
  // The name check and the genesis under one lock, so two processes cannot both create
  // a vault of the same name.
  return withProfileLock(session.home, async () => {
    if ((await listVaults(session)).some((v) => v.name === name)) {
      throw new TesseraError('ALREADY_EXISTS', `A vault named ${JSON.stringify(name)} already exists`);
    }
    await session.updateKeyring((k) => {
      const scopes = new Map<string, Map<number, Uint8Array>>();
      for (const id of [metaScope, ...envs.map((e) => e.scopeId)]) scopes.set(id, new Map([[1, session.suite.randomBytes(32)]]));
      k.vaults.set(vaultId, { metaScope, scopes });
    });
    return Vault.create(session, vaultId, name, envs, { lockHeld: true });
  });
}

export async function listVaults(session: Session): Promise<VaultSummary[]> {
  return (await loadVaults(session)).map((v) => {
    const info = v.meta.info();
    return {
      id: v.id,
      name: info.name,
      environments: v.environments().map((e) => ({ name: e.name, readable: v.canRead(e.name) })),
      secrets: v.meta.secrets().length,
      createdAt: info.createdAt,
    };
  });
}

/** Every vault of the profile, metadata loaded (names are encrypted, so finding one by name means opening them). */
async function loadVaults(session: Session): Promise<Vault[]> {
  await session.reloadKeyring(); // another process may have created a vault
  const out: Vault[] = [];
  for (const id of await vaultIds(session)) out.push(await Vault.open(session, id));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Opens a vault by exact name, or by id (or a unique id prefix of 6+ characters). */
export async function openVault(session: Session, nameOrId: string): Promise<Vault> {
  const all = await loadVaults(session);
  const byName = all.filter((v) => v.name === nameOrId);
  const byId = nameOrId.length >= 6 ? all.filter((v) => v.id.startsWith(nameOrId.toLowerCase())) : [];
  const unique = [...new Set([...byName, ...byId])];
  if (unique.length === 0) throw new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)} (see \`tessera vault list\`)`);
  if (unique.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(nameOrId)} names more than one vault: use its id`);
  return unique[0]!;
}
