/** `tessera audit`: the local audit timeline, its integrity check, and alerts. */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import type { AuditEvent } from '../../src-shared/audit/events';
import { openAuditLog, type AuditLog } from '../../src-main/audit/audit-log';
import { eventsToCsv, eventsToJson, parseSince } from '../../src-main/audit/query';
import { ACCESS_ACTIONS, type AccessAction } from '../../src-shared/membership/access-log';
import { readAccessLog, setAccessPolicy } from '../../src-main/membership/access-log';
import { unlock, withVault, type CliContext } from '../context';
import { formatTime, printJson, printTable } from '../io';
import { machineAlerts } from '../../src-main/audit/alerts/machine-use';
import { machineIds } from '../../src-main/membership/machines';

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

/**
 * A subcommand's options, with those `tessera audit` itself also has (--json, --vault):
 * commander gives an option both define to the parent, wherever it stands on the line.
 */
function subcommandOptions<T extends Record<string, unknown>>(cmd: Command, required?: keyof T & string): T {
  const o = cmd.optsWithGlobals<T>();
  if (required && o[required] === undefined) throw new TesseraError('INVALID_INPUT', `tessera audit ${cmd.name()} needs --${required}`);
  return o;
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
      const o = subcommandOptions<{ json?: boolean }>(cmd);
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
      const o = subcommandOptions<{ json?: boolean }>(cmd);
      const alerts = await withAuditLog(ctx, (log) => log.alerts());
      if (o.json) return printJson(ctx.io, alerts);
      if (alerts.length === 0) return void ctx.io.stderr.write('No alerts.\n');
      printTable(ctx.io, ['TIME', 'SEVERITY', 'RULE', 'MESSAGE'], alerts.map((a) => [formatTime(a.at), a.severity, a.rule, a.message]));
    });

  audit
    .command('team')
    .description("a shared vault's team access log: who revealed, copied, exported or ran what, from which device (owners and admins)")
    .option('--vault <vault>', 'vault name or id (required)')
    .option('--json', 'machine-readable output')
    .action(async (_o: unknown, cmd: Command) => {
      const o = subcommandOptions<{ vault: string; json?: boolean }>(cmd, 'vault');
      const { log, alerts } = await withVault(ctx, o.vault, async (v) => {
        const log = await readAccessLog(v);
        return { log, alerts: machineAlerts(v.name, log.entries, machineIds(v)) };
      });
      if (o.json) return printJson(ctx.io, { ...log, alerts });
      ctx.io.stderr.write(
        log.policy.actions.length ? `Members report: ${log.policy.actions.join(', ')} (what honest clients report).\n` : 'The team access log is off: tessera audit policy --vault V --report reveal,copy,export,run\n',
      );
      if (log.refused) ctx.io.stderr.write(`warning: ${log.refused} report(s) failed their checks and are not shown\n`);
      if (log.entries.length === 0) return;
      printTable(ctx.io, ['TIME', 'MEMBER', 'ACTION', 'SECRETS', 'ENV', 'DEVICE'], log.entries.map((e) => [
        formatTime(e.at), e.name ?? e.member, e.action, e.secrets.join(','), e.environment, e.device.slice(0, 40),
      ]));
      for (const a of alerts) ctx.io.stderr.write(`alert: ${formatTime(a.at)} ${a.message}\n`);
    });

  audit
    .command('policy')
    .description("what members' clients report to a shared vault's team access log (owners and admins)")
    .option('--vault <vault>', 'vault name or id (required)')
    .option('--report <actions>', `comma-separated: ${ACCESS_ACTIONS.join(', ')}`)
    .option('--off', 'report nothing')
    .action(async (_o: unknown, cmd: Command) => {
      const o = subcommandOptions<{ vault: string; report?: string; off?: boolean }>(cmd, 'vault');
      if (Boolean(o.report) === Boolean(o.off)) throw new TesseraError('INVALID_INPUT', 'Give --report ACTIONS or --off');
      const actions = o.off ? [] : o.report!.split(',').map((a) => a.trim()).filter(Boolean);
      const unknown = actions.filter((a) => !(ACCESS_ACTIONS as readonly string[]).includes(a));
      if (unknown.length) throw new TesseraError('INVALID_INPUT', `Unknown action ${unknown.join(', ')}: use ${ACCESS_ACTIONS.join(', ')}`);
      const policy = await withVault(ctx, o.vault, (v) => setAccessPolicy(v, actions as AccessAction[]));
      ctx.io.stderr.write(policy.actions.length ? `Members' clients will report ${policy.actions.join(', ')} (from their next sync).\n` : 'The team access log is off.\n');
    });
}
