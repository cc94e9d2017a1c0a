/** Profile-level vault operations: create, list, find by name or id. */
import { fromBase64Url, fromHex, toHex } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { createGenesis, nameEnvironments } from '../../src-shared/membership/builders';
import { writeVaultLog } from '../membership/vault-log';
import { shellQuote } from '../scan/git';
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
      k.vaults.set(vaultId, { metaScope, scopes: genesis.newKeys, genesisHash: toHex(genesis.state.genesisHash) });
    });
    return Vault.create(session, vaultId, name, envs, { lockHeld: true });
  });
}

export async function listVaults(session: Session): Promise<VaultSummary[]> {
  const { vaults, unreadable } = await loadVaults(session);
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

/**
 * Every vault of the profile, metadata loaded (names are encrypted, so finding one by name
 * means opening them). A vault that fails to open (its membership log altered, say) is set
 * aside with its error, so that one damaged vault does not lock the user out of the others.
 */
async function loadVaults(session: Session): Promise<{ vaults: Vault[]; unreadable: Map<string, TesseraError> }> {
  await session.reloadKeyring(); // another process may have created a vault
  const vaults: Vault[] = [];
  const unreadable = new Map<string, TesseraError>();
  for (const id of await vaultIds(session)) {
    try {
      vaults.push(await Vault.open(session, id));
    } catch (e) {
      if (!(e instanceof TesseraError)) throw e;
      unreadable.set(id, e);
    }
  }
  return { vaults: vaults.sort((a, b) => a.name.localeCompare(b.name)), unreadable };
}

/** Opens a vault by exact name, or by id (or a unique id prefix of 6+ characters). */
export async function openVault(session: Session, nameOrId: string): Promise<Vault> {
  const { vaults: all, unreadable } = await loadVaults(session);
  const byName = all.filter((v) => v.name === nameOrId);
  const byId = nameOrId.length >= 6 ? all.filter((v) => v.id.startsWith(nameOrId.toLowerCase())) : [];
  const unique = [...new Set([...byName, ...byId])];
  if (unique.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(nameOrId)} names more than one vault: use its id`);
  if (unique.length === 1) return unique[0]!;
  // Not found among the readable ones: say why if it is one that would not open.
  const broken = [...unreadable].filter(([id]) => nameOrId.length >= 6 && id.startsWith(nameOrId.toLowerCase()));
  if (broken.length === 1) throw broken[0]![1];
  const unknown = notYetNamed(session, all, nameOrId);
  if (unknown) throw unknown;
  const hint = unreadable.size ? `; ${unreadable.size} vault(s) could not be opened: tessera vault list` : ' (see `tessera vault list`)';
  throw new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)}${hint}`, unreadable.size ? { unreadable: [...unreadable.keys()] } : {});
}

/**
 * A name matched nothing, but it may belong to a vault whose name this device cannot know
 * yet: names are sealed in the metadata scope, which a join request not yet approved, or a
 * join whose first pull did not happen, has not brought. Says what to run (`tessera sync
 * --vault NAME` completes joins and pulls such vaults before looking the name up).
 * `details.unpulled` lists the vaults joined but not pulled.
 */
function notYetNamed(session: Session, all: readonly Vault[], nameOrId: string): TesseraError | undefined {
  const unpulled = all.filter((v) => v.name === '').map((v) => v.id);
  const joining = session.keys.joins.size;
  if (!unpulled.length && !joining) return undefined;
  const run = `tessera sync --vault ${shellQuote(nameOrId)}`;
  const why = unpulled.length
    ? `${unpulled.length === 1 ? '1 vault you joined has' : `${unpulled.length} vaults you joined have`} not been pulled yet, so ${unpulled.length === 1 ? 'its name is' : 'their names are'} not known here: ${run}`
    : `you are waiting to join ${joining === 1 ? '1 vault' : `${joining} vaults`} (a vault's name arrives with the approval): once approved, ${run}`;
  return new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)} yet: ${why}`, { unpulled, joining });
}
