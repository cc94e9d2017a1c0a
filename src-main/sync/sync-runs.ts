/**
 * Running a vault's sync: once (`tessera sync`, the app's Sync button, a removal's fresh
 * snapshots), or until stopped (`tessera sync --watch`), with one syncing process per vault.
 * A failed run is recorded in the session's audit log.
 */
import { join } from 'node:path';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { auditOf } from '../audit/session-audit';
import { withFileLock } from '../fs/file-lock';
import { profilePaths } from '../profile/paths';
import type { Vault } from '../vaults/vault';
import { VaultSync, type SyncOptions, type SyncSummary } from './vault-sync';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Refusals that pass with time (a rate, a restart, the hourly registration allowance): watch retries them. */
const PASSING_REFUSALS = new Set(['RATE_LIMITED', 'SHUTTING_DOWN', 'REGISTRATION_LIMITED', 'TOO_MANY_CONNECTIONS', 'STORAGE_UNAVAILABLE']);

/** Only one process syncs a vault at a time (the app and `tessera sync --watch` would race). */
export async function withSyncLock<T>(vault: Vault, fn: () => Promise<T>): Promise<T> {
  const file = join(profilePaths(vault.session.home).vault(vault.id), 'sync.json');
  const busy = () => new TesseraError('SYNC_BUSY', 'Another Tessera process is syncing this vault (the app, or tessera sync --watch)');
  return withFileLock(file, { stale: 10_000, update: 2_000, lockfilePath: `${file}.sync-lock`, wait: false }, busy, fn);
}

/** Pulls and pushes once. A failure is recorded in the session's audit log (its code only). */
export async function syncOnce(vault: Vault, opts: SyncOptions = {}): Promise<SyncSummary> {
  try {
    return await withSyncLock(vault, async () => {
      const sync = await VaultSync.start(vault, opts);
      try {
        await sync.push();
        await sync.drain();
        return sync.summary;
      } finally {
        sync.close();
      }
    });
  } catch (e) {
    const code = isTesseraError(e) ? e.code : 'INTERNAL';
    await auditOf(vault.session).record({ action: 'sync-error', vaultId: vault.id, vault: vault.name, detail: { code } }).catch(() => {});
    throw e;
  }
}

export interface WatchOptions extends SyncOptions {
  signal: AbortSignal;
  /** One line per event worth telling the user (connected, pushed, unreachable…). */
  report: (line: string) => void;
  /** How often to look for changes made by other processes. */
  pollMs?: number;
}

/** Syncs until `signal` aborts, reconnecting with exponential backoff and jitter. */
export async function watchVault(vault: Vault, opts: WatchOptions): Promise<void> {
  const { signal, report } = opts;
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  const pause = (ms: number) => Promise.race([sleep(ms), aborted]);
  await withSyncLock(vault, async () => {
    let failures = 0;
    while (!signal.aborted) {
      let sync: VaultSync | null = null;
      try {
        sync = await VaultSync.start(vault, opts);
        failures = 0;
        report(`${vault.name}: connected to ${sync.summary.relay}, pulled ${sync.summary.pulled}`);
        let open = true;
        sync.onClose(() => (open = false));
        while (!signal.aborted && open) {
          const before = sync.summary.pulled;
          const pushed = await sync.push();
          if (pushed || sync.summary.pulled !== before) report(`${vault.name}: pushed ${pushed}, pulled ${sync.summary.pulled - before}`);
          await pause(opts.pollMs ?? 300);
        }
      } catch (e) {
        report(`${vault.name}: ${isTesseraError(e) ? e.message : 'sync failed'}`);
        if (isTesseraError(e) && e.code === 'RELAY_REJECTED' && !PASSING_REFUSALS.has(String(e.details.relayCode))) {
          throw e; // refused for good (not a member, say): retrying will not help
        }
      } finally {
        sync?.close();
      }
      if (signal.aborted) break;
      failures++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7)) * (0.5 + Math.random());
      report(`${vault.name}: relay unreachable; retrying in ${(delay / 1000).toFixed(1)} s`);
      await pause(delay);
    }
  });
}
