/**
 * Which vaults a sync covers: one by name (pulling vaults joined but not pulled yet, whose
 * names are still unknown here, when the name matches nothing else), or every vault with a
 * relay. Each vault is opened once (the session's directory).
 */
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import type { Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { readSyncState } from './sync-state';
import { syncOnce } from './sync-runs';
import type { SyncSummary } from './vault-sync';

export interface SyncTargets {
  readonly vaults: Vault[];
  /** Vaults that would not open, skipped, with why. */
  readonly unreadable: Map<string, TesseraError>;
}

/**
 * `pulled` collects the vaults synced on the way (to learn their names): the caller need not
 * sync them again. Throws NO_RELAY when nothing (or the named vault) has a relay.
 */
export async function vaultsToSync(session: Session, name: string | undefined, pulled: Map<string, SyncSummary>): Promise<SyncTargets> {
  const directory = vaultDirectory(session);
  if (name !== undefined) {
    const v = await directory.find(name).catch(async (e: unknown) => {
      // The name may be one of the vaults joined but never pulled: pull them, look again.
      const unpulled = isTesseraError(e, 'NOT_FOUND') ? ((e.details.unpulled as string[] | undefined) ?? []) : [];
      if (!unpulled.length) throw e;
      for (const id of unpulled) pulled.set(id, await syncOnce(await directory.byId(id)));
      return directory.find(name);
    });
    if (!(await readSyncState(session.home, v.id))) throw new TesseraError('NO_RELAY', `Vault ${v.name} has no relay: tessera vault relay ${v.name} ws://HOST:PORT`);
    return { vaults: [v], unreadable: new Map() };
  }
  const { vaults: all, unreadable } = await directory.openAll();
  const vaults: Vault[] = [];
  for (const v of all) if (await readSyncState(session.home, v.id)) vaults.push(v);
  if (vaults.length === 0) throw new TesseraError('NO_RELAY', 'No vault has a relay yet: tessera vault relay VAULT ws://HOST:PORT');
  return { vaults, unreadable };
}
