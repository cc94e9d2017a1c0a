/**
 * Selecting audit events (by vault, secret, action, time) and writing them out as CSV or
 * JSON for the user to save. Pure functions over events already read.
 */
import type { AuditEvent } from '../../src-shared/audit/events';

export interface AuditFilter {
  /** A vault's name or id. */
  readonly vault?: string;
  readonly secret?: string;
  readonly action?: string;
  /** Member id of whoever recorded the event. */
  readonly by?: string;
  /** Only events at or after this time (ms since the epoch). */
  readonly since?: number;
  readonly limit?: number;
}

export function matches(e: AuditEvent, f: AuditFilter): boolean {
  if (f.since !== undefined && e.at < f.since) return false;
  if (f.action !== undefined && e.action !== f.action) return false;
  if (f.vault !== undefined && e.vault !== f.vault && e.vaultId !== f.vault) return false;
  if (f.secret !== undefined && e.secret !== f.secret && !e.secrets?.includes(f.secret)) return false;
  if (f.by !== undefined && e.by !== f.by) return false;
  return true;
}

/** Matching events, newest first (events must be in log order). */
export function selectEvents(events: readonly AuditEvent[], f: AuditFilter): AuditEvent[] {
  const out: AuditEvent[] = [];
  const limit = f.limit ?? Infinity;
  for (let i = events.length - 1; i >= 0 && out.length < limit; i--) {
    const e = events[i]!;
    if (matches(e, f)) out.push(e);
  }
  return out;
}

const CSV_COLUMNS = ['seq', 'time', 'action', 'vault', 'vaultId', 'secret', 'environment', 'subject', 'by', 'device', 'detail'] as const;

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a formula; an event
 * names things other members chose, so such cells are prefixed with a quote (OWASP's advice).
 */
function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function eventsToCsv(events: readonly AuditEvent[]): string {
  const rows = events.map((e) =>
    [
      String(e.seq),
      new Date(e.at).toISOString(),
      e.action,
      e.vault ?? '',
      e.vaultId ?? '',
      e.secret ?? e.secrets?.join(' ') ?? '',
      e.environment ?? '',
      e.subject ?? '',
      e.by,
      e.device,
      e.detail ? JSON.stringify(e.detail) : '',
    ].map(csvCell).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

export function eventsToJson(events: readonly AuditEvent[]): string {
  return JSON.stringify(events, null, 2) + '\n';
}

/** "7d", "24h", "30m" before now, or an ISO date. */
export function parseSince(s: string, now: number): number | null {
  const m = /^(\d+)([mhdw])$/.exec(s.trim());
  if (m) return now - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const t = Date.parse(s);
  return /^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(t) ? t : null;
}
