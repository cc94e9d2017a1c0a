/**
 * One way to talk to a vault's relay outside a sync: read where it syncs, connect and
 * authenticate, optionally bring the membership log (and with it the keys) up to the relay's
 * first, do the work, and close, whatever happens.
 */
import { TesseraError } from '../../src-shared/errors';
import { pullLog } from '../membership/log-sync';
import type { VaultLog } from '../membership/vault-log';
import type { Vault } from '../vaults/vault';
import { RelayClient } from './relay-client';
import { readSyncState, setVaultRelay } from './sync-state';
import { auditOf } from '../audit/session-audit';

export interface VaultRelayOptions {
  readonly timeoutMs?: number;
}

/** Runs `fn` over a connection to `vault`'s relay. Throws NO_RELAY when it has none. */
export async function withVaultRelay<T>(vault: Vault, fn: (client: RelayClient) => Promise<T>, opts: VaultRelayOptions = {}): Promise<T> {
  const sync = await readSyncState(vault.session.home, vault.id);
  if (!sync) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay: tessera vault relay ${vault.name} ws://HOST:PORT`);
  const client = await RelayClient.connect(sync.relay, vault.session.suite, vault.session.signingKey, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/**
 * As withVaultRelay, with the vault's membership log pulled first (what a membership change
 * must build on, and the newest keys): `fn` gets the log, which the vault holds too.
 */
export function withVaultMembership<T>(vault: Vault, fn: (client: RelayClient, log: VaultLog) => Promise<T>, opts: VaultRelayOptions = {}): Promise<T> {
  return withVaultRelay(
    vault,
    async (client) => {
      const current = vault.membership;
      if (!current) throw new TesseraError('INVALID_INPUT', `Vault ${vault.name} predates sharing (it has no membership log)`);
      const log = await pullLog(vault.session, client, vault.id, current);
      vault.setMembership(log);
      return fn(client, log);
    },
    opts,
  );
}

/** Points the vault at another relay (ws:// or wss://); recorded as a settings change. Returns the URL as stored. */
export async function moveVaultRelay(vault: Vault, url: string): Promise<string> {
  const relay = await setVaultRelay(vault.session.home, vault.id, url);
  await auditOf(vault.session).record({ action: 'settings-changed', vaultId: vault.id, vault: vault.name, detail: { fields: ['relay'], relay } });
  return relay;
}
