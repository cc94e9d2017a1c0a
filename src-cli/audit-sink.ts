/**
 * The audit sink every CLI command reports to: the profile's local audit log. Opened per
 * command; its keys are its own copies, so recording still works after the command's
 * session locks, and each record() resolves only once the event is on disk.
 */
import type { AuditSink } from '../src-main/audit/audit-sink';
import { openAuditLog } from '../src-main/audit/audit-log';
import type { Session } from '../src-main/profile/profile';
import type { CliContext } from './context';

export async function cliAuditSink(_ctx: CliContext, session: Session): Promise<AuditSink> {
  return openAuditLog(session);
}
