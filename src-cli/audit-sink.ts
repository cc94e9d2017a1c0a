/**
 * The audit sink every CLI command reports to: the profile's local audit log and, for a
 * shared vault whose policy asks for it, the vault's team access log. The local log is
 * opened per command; its keys are its own copies, so recording still works after the
 * command's session locks, and each record() resolves only once the event is on disk.
 */
import { isTesseraError } from '../src-shared/errors';
import type { AuditSink } from '../src-main/audit/audit-sink';
import { openAuditLog } from '../src-main/audit/audit-log';
import { accessReportingSink } from '../src-main/membership/access-reporter';
import type { Session } from '../src-main/profile/profile';
import type { CliContext } from './context';

export async function cliAuditSink(ctx: CliContext, session: Session): Promise<AuditSink> {
  const log = await openAuditLog(session);
  const team = accessReportingSink(session, {
    onError: (e) => {
      const queued = isTesseraError(e, 'RELAY_UNREACHABLE');
      const why = isTesseraError(e) ? e.code : 'an internal error';
      ctx.io.stderr.write(`warning: this was not reported to the vault's team access log (${why})${queued ? '; it goes with the next report' : ''}\n`);
    },
  });
  return {
    async record(event) {
      await log.record(event);
      await team.record(event);
    },
  };
}
