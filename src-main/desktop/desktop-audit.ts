/**
 * The desktop app's audit: the profile's local audit log (hash-chained, sealed; also read
 * for the timeline, alerts and export), plus the vault's team access log for reveal and copy
 * when the vault's policy asks for it. Team reports go out in the background: a reveal must
 * not wait on the relay (a report that cannot be sent is queued for the next one).
 */
import type { AuditEvent } from '../../src-shared/audit/events';
import type { Alert } from '../../src-shared/api/types';
import { openAuditLog } from '../audit/audit-log';
import type { AuditSink } from '../audit/audit-sink';
import type { AuditFilter } from '../audit/query';
import { accessReportingSink } from '../membership/access-reporter';
import type { Session } from '../profile/profile';

/** A sink that may also answer questions about what it recorded (the real log does). */
export type DesktopAudit = AuditSink & {
  query?(filter: AuditFilter): Promise<AuditEvent[]>;
  export?(filter: AuditFilter, format: 'csv' | 'json'): Promise<string>;
  alerts?(): Promise<Alert[]>;
  onAlert?(listener: (a: Alert) => void): Promise<() => void>;
  close?(): Promise<void>;
};

export async function desktopAudit(session: Session): Promise<DesktopAudit> {
  const log = await openAuditLog(session);
  const team = accessReportingSink(session);
  return {
    record: async (event) => {
      await log.record(event);
      void team.record(event).catch(() => {}); // queued for the next report when the relay is away
    },
    query: (f) => log.query(f),
    export: (f, format) => log.export(f, format),
    alerts: () => log.alerts(),
    onAlert: (l) => log.onAlert(l),
    close: () => log.close(),
  };
}
