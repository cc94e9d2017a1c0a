/** Profile-level vault operations: create, list, find by name or id. */
import { fromBase64Url, fromHex, toHex } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { createGenesis, nameEnvironments } from '../../src-shared/membership/builders';
import { writeVaultLog } from '../membership/vault-log';
import { assertEnvironmentName, assertVaultName } from '../../src-shared/vault/names';
import { DEFAULT_ENVIRONMENTS } from '../../src-shared/vault/types';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { newId, Vault } from './vault';
import { vaultDirectory } from './vault-directory';

export interface VaultSummary {
  readonly id: string;
  readonly name: string;
  readonly environments: { name: string; readable: boolean }[];
  readonly secrets: number;
  readonly createdAt: number;
  /** Set when the vault could not be opened (its code, e.g. TAMPERED). */
  readonly error?: string;
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
    // The membership log's genesis names the creator and the scopes, and wraps each scope's
    // first key to the creator; its hash is pinned in the keyring.
    const identity = session.profile.identity;
    const genesis = createGenesis(session.suite, session.signingKey, {
      vaultId: fromHex(vaultId),
      metaScope,
      envScopes: envs.map((e) => e.scopeId),
      creator: { signPublicKey: fromBase64Url(identity.signPublicKey), boxPublicKey: fromBase64Url(identity.boxPublicKey) },
      name: session.profile.name,
    });
    // Then the environments' names, bound to their scopes in the signed log (owners only), so
    // that no editor can relabel them in the metadata (Vault.environments).
    const names = nameEnvironments(session.suite, genesis.state, session.signingKey, genesis.newKeys, { names: envs.map((e) => ({ scopeId: e.scopeId, name: e.name })) });
    await writeVaultLog(session, vaultId, [genesis.bytes, names.bytes]);
    await session.updateKeyring((k) => {
      k.vaults.set(vaultId, { metaScope, scopes: genesis.newKeys, genesisHash: toHex(genesis.state.genesisHash), name });
    });
    return vaultDirectory(session).remember(await Vault.create(session, vaultId, name, envs, { lockHeld: true }));
  });
}

export async function listVaults(session: Session): Promise<VaultSummary[]> {
  const { vaults, unreadable } = await vaultDirectory(session).openAll();
  return [
    ...vaults.map((v) => {
      const info = v.meta.info();
      return {
        id: v.id,
        name: info.name,
        environments: v.environments().map((e) => ({ name: e.name, readable: v.canRead(e.name) })),
        secrets: v.meta.secrets().length,
        createdAt: info.createdAt,
      };
    }),
    ...[...unreadable].map(([id, e]) => ({ id, name: `(unreadable: ${e.code})`, environments: [], secrets: 0, createdAt: 0, error: e.code })),
  ];
}

/** Opens a vault by exact name, or by id (or a unique id prefix of 6+ characters): the session's directory finds it. */
export function openVault(session: Session, nameOrId: string): Promise<Vault> {
  return vaultDirectory(session).find(nameOrId);
}
