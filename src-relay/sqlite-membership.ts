/**
 * The membership log and join requests in SQLite (MembershipStore). The tables are created
 * with the rest of the relay's schema (sqlite-storage.ts); log entries count toward the
 * vault's and their author's stored bytes (sqlite-usage.ts).
 */
import type Database from 'better-sqlite3';
import type { MembershipStore } from './membership';
import type { OverQuota, Quotas } from './storage';
import type { Usage } from './sqlite-usage';

/** Join requests kept per vault before the oldest are dropped (a relay is not a mailbox). */
const MAX_JOIN_REQUESTS = 64;
/** The most log entries one read returns. */
const LOG_PAGE = 4096;

export function sqliteMembershipStore(db: Database.Database, usage: Usage): MembershipStore {
  const q = {
    entries: db.prepare('SELECT bytes FROM membership_log WHERE vault_id = ? AND seq >= ? ORDER BY seq LIMIT ?'),
    taken: db.prepare('SELECT 1 FROM membership_log WHERE vault_id = ? AND seq = ?'),
    insert: db.prepare('INSERT INTO membership_log (vault_id, seq, bytes) VALUES (?, ?, ?)'),
    putJoin: db.prepare('INSERT OR REPLACE INTO join_requests (vault_id, joiner, bytes, at) VALUES (?, ?, ?, ?)'),
    trimJoins: db.prepare(
      'DELETE FROM join_requests WHERE vault_id = ? AND joiner NOT IN (SELECT joiner FROM join_requests WHERE vault_id = ? ORDER BY at DESC LIMIT ?)',
    ),
    joins: db.prepare('SELECT bytes FROM join_requests WHERE vault_id = ? AND at >= ? ORDER BY at'),
  };
  const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const append = db.transaction((vaultId: Uint8Array, seq: number, bytes: Uint8Array, author: Uint8Array, quotas: Quotas): { ok: true } | { ok: false; over?: OverQuota } => {
    if (q.taken.get(vaultId, seq)) return { ok: false };
    const over = usage.change(vaultId, [{ key: author, bytes: bytes.byteLength }], quotas);
    if (over) return { ok: false, over };
    q.insert.run(vaultId, seq, bytes);
    return { ok: true };
  });
  return {
    logEntries: async (vaultId, from) => (q.entries.all(vaultId, from, LOG_PAGE) as { bytes: Buffer }[]).map((r) => view(r.bytes)),
    appendLogEntry: async (vaultId, seq, bytes, author, quotas) => append.immediate(vaultId, seq, bytes, author, quotas),
    putJoinRequest: async (vaultId, joiner, bytes, at) => {
      db.transaction(() => {
        q.putJoin.run(vaultId, joiner, bytes, at);
        q.trimJoins.run(vaultId, vaultId, MAX_JOIN_REQUESTS);
      }).immediate();
    },
    joinRequests: async (vaultId, notBefore) => (q.joins.all(vaultId, notBefore) as { bytes: Buffer }[]).map((r) => view(r.bytes)),
  };
}
