/**
 * Where security-relevant actions are reported. Services take a sink rather than the
 * audit log itself, so they can be tested alone and the log can be swapped (the null sink
 * for code paths that must not record, a collecting sink in tests).
 */
import type { AuditEventInput } from '../../src-shared/audit/events';

export interface AuditSink {
  record(event: AuditEventInput): Promise<void>;
}

/** Records nothing. */
export const nullAuditSink: AuditSink = { record: async () => {} };

/** Keeps events in memory: for tests. */
export function collectingAuditSink(): AuditSink & { readonly events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return { events, record: async (e) => void events.push(e) };
}
