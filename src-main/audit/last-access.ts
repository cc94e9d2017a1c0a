/** When each secret was last read, from the audit log: the health report's staleness. */
import type { AuditEvent } from '../../src-shared/audit/events';

/** When each secret was last handed out (revealed, copied, exported, run, injected), for the health report's staleness. */
export function lastAccessIndex(events: readonly AuditEvent[]): (vaultId: string, secret: string) => number | undefined {
  const last = new Map<string, number>();
  for (const e of events) {
    if (!['reveal', 'copy', 'export', 'run', 'inject'].includes(e.action) || !e.vaultId) continue;
    for (const s of [...(e.secret ? [e.secret] : []), ...(e.secrets ?? [])]) {
      const key = `${e.vaultId}\n${s}`;
      if ((last.get(key) ?? 0) < e.at) last.set(key, e.at);
    }
  }
  return (vaultId, secret) => last.get(`${vaultId}\n${secret}`);
}
