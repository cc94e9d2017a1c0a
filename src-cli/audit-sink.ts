/**
 * The audit sink every CLI command reports to. Until the local audit log exists this
 * records nothing; commands call it already so that wiring the log is a change here only.
 */
import type { AuditSink } from '../src-main/audit/audit-sink';
import { nullAuditSink } from '../src-main/audit/audit-sink';
import type { Session } from '../src-main/profile/profile';
import type { CliContext } from './context';

export async function cliAuditSink(_ctx: CliContext, _session: Session): Promise<AuditSink> {
  return nullAuditSink;
}
