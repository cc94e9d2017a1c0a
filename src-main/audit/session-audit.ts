/**
 * Where the services record what the user did: the audit sink of the unlocked session,
 * attached once by the front end that unlocked it (the CLI's per-command log, the desktop
 * app's log and team access log). Every service that acts records its own event through it,
 * so the audit trail is the same whichever client asked, and a new client gets it by
 * attaching its sink at unlock rather than by remembering each event.
 */
import type { Session } from '../profile/profile';
import { nullAuditSink, type AuditSink } from './audit-sink';

const sinks = new WeakMap<Session, AuditSink>();

/** From now on, what services do with `session` is recorded in `sink`. */
export function recordTo(session: Session, sink: AuditSink): void {
  sinks.set(session, sink);
}

/** The session's sink; a session no front end attached one to (a library call, a test) records nothing. */
export function auditOf(session: Session): AuditSink {
  return sinks.get(session) ?? nullAuditSink;
}

/** A sink that opens what it writes to on the first event, so commands that record nothing open nothing. */
export function lazyAuditSink(open: () => Promise<AuditSink>): AuditSink {
  let sink: Promise<AuditSink> | undefined;
  return { record: async (e) => (await (sink ??= open())).record(e) };
}
