/** `tessera sync`, and `tessera vault relay` to say where a vault syncs. */
import type { Command } from 'commander';
import { watchVault } from '../../src-main/sync/sync-runs';
import { syncVault } from '../../src-main/membership/machines';
import type { SyncSummary } from '../../src-main/sync/vault-sync';
import { moveVaultRelay } from '../../src-main/sync/vault-relay';
import { vaultsToSync } from '../../src-main/sync/vaults-to-sync';
import { TesseraError } from '../../src-shared/errors';
import { unlock, withVault, type CliContext } from '../context';
import { completeJoins } from '../../src-main/membership/join';
import { completeDeviceLinks } from '../../src-main/membership/devices';

export function registerSyncCommands(program: Command, ctx: CliContext, vaultCommand: Command): void {
  vaultCommand
    .command('relay <vault> <urls>')
    .description('sync this vault through the relay at URL (ws://host:port or wss://host); several, comma-separated, are tried in turn')
    .action(async (name: string, url: string) => {
      const relay = await withVault(ctx, name, (v) => moveVaultRelay(v, url));
      ctx.io.stderr.write(`${name} now syncs through ${relay.split(',').join(', then ')}\n`);
    });

  program
    .command('sync')
    .description('push and pull changes through the relay once (or keep going with --watch)')
    .option('--vault <vault>', 'only this vault (default: every vault with a relay)')
    .option('--watch', 'keep syncing until interrupted')
    .action(async (o: { vault?: string; watch?: boolean }) => {
      const session = await unlock(ctx);
      try {
        // Vaults pulled on the way (by a join, or to learn names): not synced a second time.
        const pulled = new Map<string, SyncSummary>();
        if (session.keys.joins.size) {
          const { joined, waiting } = await completeJoins(session);
          for (const j of joined) {
            const id = `${j.vaultId.slice(0, 12)}…`;
            if (j.sync) pulled.set(j.vaultId, j.sync);
            if (j.name) ctx.io.stderr.write(`Joined ${j.name} (${id}): you were approved\n`);
            else ctx.io.stderr.write(`Joined vault ${id}: you were approved, but pulling it failed (${j.pullError?.message ?? 'unknown'} [${j.pullError?.code ?? 'INTERNAL'}]); tessera sync tries again\n`);
          }
          if (waiting.length) ctx.io.stderr.write(`${waiting.length} join request(s) still waiting for approval\n`);
        }
        if ([...session.keys.joins.values()].some((j) => j.linker)) {
          const { linked, waiting } = await completeDeviceLinks(session);
          if (linked.length) ctx.io.stderr.write(`Linked: this device now holds ${linked.length} vault(s)\n`);
          if (waiting) ctx.io.stderr.write('This device is still waiting for its link to be approved (tessera device approve DIGITS on your other device)\n');
          if (waiting && session.keys.vaults.size === 0) return; // nothing else to sync yet: not an error
        }
        const { vaults, unreadable } = await vaultsToSync(session, o.vault, pulled);
        for (const [id, e] of unreadable) ctx.io.stderr.write(`warning: skipping vault ${id.slice(0, 12)}: it could not be opened [${e.code}]\n`);
        if (o.watch) {
          const stop = new AbortController();
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
          const report = (line: string) => ctx.io.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
          await Promise.all(vaults.map((v) => watchVault(v, { signal: stop.signal, report })));
          return;
        }
        for (const v of vaults) {
          let s = pulled.get(v.id);
          if (!s) {
            const run = await syncVault(v);
            s = run.summary;
            for (const name of run.expired) ctx.io.stderr.write(`${v.name}: token ${name} had expired and was revoked (re-keyed)\n`);
          }
          const rejected = s.rejected ? `, ${s.rejected} rejected (failed verification)` : '';
          ctx.io.stdout.write(`${v.name}: pushed ${s.pushed}, pulled ${s.pulled}${rejected} via ${s.relay}\n`);
          if (s.withheldHead) {
            // Not a warning: writing on would seal changes under keys a removal may have replaced.
            throw new TesseraError('MEMBERSHIP_BEHIND', `${v.name}: changes name membership entry ${s.withheldHead}, which the relay does not hand over: nothing was pushed until it does (the relay may be hiding a removal)`);
          }
          if (s.behind) {
            ctx.io.stderr.write(`warning: ${v.name}: changes sealed under newer keys than this device's membership log knows arrived: the relay may be withholding membership changes\n`);
          }
        }
      } finally {
        session.lock();
      }
    });
}
