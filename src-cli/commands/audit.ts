/** `tessera audit`: the local audit timeline, its integrity check, and alerts. */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import type { AuditEvent } from '../../src-shared/audit/events';
import { openAuditLog, type AuditLog } from '../../src-main/audit/audit-log';
import { eventsToCsv, eventsToJson, parseSince } from '../../src-main/audit/query';
import { unlock, type CliContext } from '../context';
import { formatTime, printJson, printTable } from '../io';

async function withAuditLog<T>(ctx: CliContext, fn: (log: AuditLog) => Promise<T>): Promise<T> {
  const session = await unlock(ctx);
  let log: AuditLog | undefined;
  try {
    log = await openAuditLog(session);
    return await fn(log);
  } finally {
    await log?.close();
    session.lock();
  }
}

function describeDetail(e: AuditEvent): string {
  const parts: string[] = [];
  if (e.secrets?.length) parts.push(e.secrets.join(','));
  if (e.subject) parts.push(`member ${e.subject}`);
  for (const [k, v] of Object.entries(e.detail ?? {})) parts.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  return parts.join(' ');
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description('the audit timeline of this profile (newest first); `audit verify`, `audit alerts`')
    .option('--vault <vault>', 'only events about this vault (name or id)')
    .option('--secret <name>', 'only events about this secret')
    .option('--action <action>', 'only this action (reveal, copy, export, unlock-failed…)')
    .option('--since <when>', 'only events since: 30m, 24h, 7d, 2w, or a date (2026-01-31)')
    .option('--limit <n>', 'at most this many events')
    .option('--json', 'JSON output')
    .option('--csv', 'CSV output')
    .action(async (o: { vault?: string; secret?: string; action?: string; since?: string; limit?: string; json?: boolean; csv?: boolean }) => {
      if (o.json && o.csv) throw new TesseraError('INVALID_INPUT', 'Choose one of --json and --csv');
      const since = o.since === undefined ? undefined : parseSince(o.since, Date.now());
      if (since === null) throw new TesseraError('INVALID_INPUT', `Invalid --since ${JSON.stringify(o.since)}: use e.g. 30m, 24h, 7d or a date`);
      const limit = o.limit === undefined ? undefined : Number(o.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new TesseraError('INVALID_INPUT', '--limit takes a positive whole number');
      const events = await withAuditLog(ctx, (log) => log.query({ vault: o.vault, secret: o.secret, action: o.action, since, limit }));
      if (o.json) return void ctx.io.stdout.write(eventsToJson(events));
      if (o.csv) return void ctx.io.stdout.write(eventsToCsv(events));
      if (events.length === 0) return void ctx.io.stderr.write('No events.\n');
      printTable(ctx.io, ['TIME', 'ACTION', 'VAULT', 'SECRET', 'ENV', 'DETAIL'], events.map((e) => [
        formatTime(e.at), e.action, e.vault ?? e.vaultId ?? '-', e.secret ?? '-', e.environment ?? '-', describeDetail(e),
      ]));
    });

  audit
    .command('verify')
    .description('check the whole audit log: every link, seal and signed checkpoint; names the first broken link')
    .option('--json', 'machine-readable output')
    .action(async (_o: unknown, cmd: Command) => {
      // `tessera audit verify --json`: the parent command also has --json and takes it first.
      const o = cmd.optsWithGlobals<{ json?: boolean }>();
      // A break is itself recorded (once) as a tampering event, which raises an alert.
      const r = await withAuditLog(ctx, (log) => log.verify({ record: true }));
      if (o.json) printJson(ctx.io, r);
      if (r.broken) throw new TesseraError('TAMPERED', `The audit log is broken at record #${r.broken.seq}: ${r.broken.message}`, { ...r.broken });
      if (!o.json) {
        ctx.io.stdout.write(`The audit log is intact: ${r.events} events, ${r.checkpoints} signed checkpoints.\n`);
        if (r.tornTail) ctx.io.stderr.write('note: the last append was interrupted before it finished (no event was lost that had been recorded)\n');
      }
    });

  audit
    .command('alerts')
    .description('alerts raised by the audit log: bursts, unusual hours, first production access, new members or devices, failed unlocks, tampering')
    .option('--json', 'machine-readable output')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ json?: boolean }>();
      const alerts = await withAuditLog(ctx, (log) => log.alerts());
      if (o.json) return printJson(ctx.io, alerts);
      if (alerts.length === 0) return void ctx.io.stderr.write('No alerts.\n');
      printTable(ctx.io, ['TIME', 'SEVERITY', 'RULE', 'MESSAGE'], alerts.map((a) => [formatTime(a.at), a.severity, a.rule, a.message]));
    });
}
