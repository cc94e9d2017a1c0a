/** `tessera sync`, and `tessera vault relay` to say where a vault syncs. */
import type { Command } from 'commander';
import { listVaults, openVault } from '../../src-main/vaults/vaults';
import { checkRelayUrl, readSyncState, setVaultRelay } from '../../src-main/sync/sync-state';
import { syncOnce, watchVault, type SyncSummary } from '../../src-main/sync/vault-sync';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { cliAuditSink } from '../audit-sink';
import type { Vault } from '../../src-main/vaults/vault';
import { unlock, withVault, type CliContext } from '../context';
import { completeJoins } from '../../src-main/membership/join';

export function registerSyncCommands(program: Command, ctx: CliContext, vaultCommand: Command): void {
  vaultCommand
    .command('relay <vault> <url>')
    .description('sync this vault through the relay at URL (ws://host:port or wss://host)')
    .action(async (name: string, url: string) => {
      await withVault(ctx, name, (v) => setVaultRelay(v.session.home, v.id, url));
      ctx.io.stderr.write(`${name} now syncs through ${checkRelayUrl(url)}\n`);
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
          const audit = await cliAuditSink(ctx, session);
          for (const j of joined) {
            await audit.record({ action: 'join', vaultId: j.vaultId, ...(j.name ? { vault: j.name } : {}), detail: { step: 'approved' } });
            const id = `${j.vaultId.slice(0, 12)}…`;
            if (j.sync) pulled.set(j.vaultId, j.sync);
            if (j.name) ctx.io.stderr.write(`Joined ${j.name} (${id}): you were approved\n`);
            else ctx.io.stderr.write(`Joined vault ${id}: you were approved, but pulling it failed (${j.pullError?.message ?? 'unknown'} [${j.pullError?.code ?? 'INTERNAL'}]); tessera sync tries again\n`);
          }
          if (waiting.length) ctx.io.stderr.write(`${waiting.length} join request(s) still waiting for approval\n`);
        }
        const syncAudited = (v: Vault) =>
          syncOnce(v).catch(async (e: unknown) => {
            const code = isTesseraError(e) ? e.code : 'INTERNAL';
            await (await cliAuditSink(ctx, session)).record({ action: 'sync-error', vaultId: v.id, vault: v.name, detail: { code } }).catch(() => {});
            throw e;
          });
        const all = o.vault ? [] : await listVaults(session);
        for (const v of all) if (v.error) ctx.io.stderr.write(`warning: skipping vault ${v.id.slice(0, 12)}: it could not be opened [${v.error}]\n`);
        const names = o.vault ? [o.vault] : all.filter((v) => !v.error).map((v) => v.id);
        const vaults: Vault[] = [];
        for (const n of names) {
          const v = await openVault(session, n).catch(async (e: unknown) => {
            // The name may be one of the vaults joined but never pulled: pull them, look again.
            const unpulled = isTesseraError(e, 'NOT_FOUND') ? (e.details.unpulled as string[] | undefined) ?? [] : [];
            if (!unpulled.length) throw e;
            for (const id of unpulled) pulled.set(id, await syncAudited(await openVault(session, id)));
            return openVault(session, n);
          });
          if (await readSyncState(session.home, v.id)) vaults.push(v);
          else if (o.vault) throw new TesseraError('NO_RELAY', `Vault ${v.name} has no relay: tessera vault relay ${v.name} ws://HOST:PORT`);
        }
        if (vaults.length === 0) throw new TesseraError('NO_RELAY', 'No vault has a relay yet: tessera vault relay VAULT ws://HOST:PORT');
        if (o.watch) {
          const stop = new AbortController();
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
          const report = (line: string) => ctx.io.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
          await Promise.all(vaults.map((v) => watchVault(v, { signal: stop.signal, report })));
          return;
        }
        for (const v of vaults) {
          const s = pulled.get(v.id) ?? (await syncAudited(v));
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
