/**
 * `tessera health [--vault V] [--json]`: what to act on, each finding with its fix.
 *
 * Exit status: 0 when there is nothing to report, 1 when there are findings (after printing
 * them, on stdout), so a script or a CI job can gate on it the way it gates on a linter.
 * Staleness counts writes only until the local audit log can say when a secret was read,
 * and scan findings join once the scanner records them.
 */
import type { Command } from 'commander';
import { TesseraError } from '../../src-shared/errors';
import { healthReport } from '../../src-main/health/report';
import { openAuditLog } from '../../src-main/audit/audit-log';
import { lastAccessIndex } from '../../src-main/audit/last-access';
import { rotationFailureIndex } from '../../src-main/audit/rotation-failures';
import { readScanFindings } from '../../src-main/scan/findings-store';
import { unlock, type CliContext } from '../context';
import { printJson } from '../io';

const LABEL: Record<string, string> = {
  'rotation-failed': 'failed',
  'rotation-overdue': 'overdue',
  'rotation-due': 'due',
  expiring: 'expiring',
  exposed: 'exposed',
  reused: 'reused',
  weak: 'weak',
  stale: 'stale',
  leaked: 'leaked',
};

export function registerHealthCommand(program: Command, ctx: CliContext): void {
  program
    .command('health')
    .description('rotation failed, due or overdue, exposed, reused, weak, stale or leaked secrets, each with its fix (exit 1 when any)')
    .option('--vault <vault>', 'one vault (name or id); all by default')
    .option('--json', 'machine-readable output')
    .action(async (o: { vault?: string; json?: boolean }) => {
      const session = await unlock(ctx);
      let findings;
      try {
        // Staleness from the audit log's reads, leaks from the last scans.
        const log = await openAuditLog(session);
        const [events, leaks] = await Promise.all([log.query({}), readScanFindings(session)]).finally(() => log.close());
        findings = await healthReport(session, { ...(o.vault !== undefined ? { vault: o.vault } : {}), now: Date.now(), lastAccess: lastAccessIndex(events), rotationFailures: rotationFailureIndex(events), leaks });
      } finally {
        session.lock();
      }
      if (o.json) printJson(ctx.io, findings);
      else if (findings.length === 0) ctx.io.stdout.write('No findings: every secret is healthy\n');
      else {
        for (const f of findings) {
          ctx.io.stdout.write(`${(LABEL[f.kind] ?? f.kind).padEnd(8)}  ${f.vault}/${f.secret}${f.environment ? ` (${f.environment})` : ''}: ${f.message}\n`);
          ctx.io.stdout.write(`          fix: ${f.fix}\n`);
        }
      }
      if (findings.length > 0) throw new TesseraError('HEALTH_FINDINGS', `${findings.length} finding${findings.length === 1 ? '' : 's'}`);
    });
}
