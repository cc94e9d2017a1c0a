/**
 * RelayStorage in PostgreSQL (the `pg` package), for relays that outgrow one process and one
 * disk: `tessera relay --db postgres://user@host/db`.
 *
 * Same contract as SQLite (storage.ts), with other relay processes possibly writing the same
 * rows, so every precondition is checked inside the transaction that writes, under row locks
 * taken in one order (the scope's row, then the vault's, then each key's in byte order):
 * the scope row serialises sequence numbers and chain heads, the vault and key rows the
 * quotas. Two processes whose batches lock in different orders can still deadlock; PostgreSQL
 * aborts one (40P01) and the whole transaction is run again, as for a serialisation failure.
 *
 * Durability: an ack follows COMMIT, which with PostgreSQL's default synchronous_commit has
 * reached its WAL on disk. The schema, its server-side functions and its migrations are in
 * pg-schema.ts.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { fromHex, toHex } from '../src-shared/crypto/bytes';
import { LruMap } from './lru';
import { migrate, NOTICE_CHANNEL as CHANNEL, NOW_MS } from './pg-schema';
import { DEFAULT_CACHED_VAULTS, Memberships, type MembershipStore } from './membership';
import { overQuota, sumCharges } from './storage';
import type {
  AppendResult,
  CreateVaultResult,
  NewSnapshot,
  NewUpdate,
  Charge,
  OverQuota,
  Quotas,
  RelayStorage,
  Notice,
  NoticeHandlers,
  Role,
  SnapshotResult,
  StoredEnvelope,
  VaultRecord,
} from './storage';

/** Join requests kept per vault, as in SQLite (a relay is not a mailbox). */
const MAX_JOIN_REQUESTS = 64;
const LOG_PAGE = 4096;
const RETRIES = 8;

let pg: typeof import('pg') | undefined;

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

export interface PgStorageOptions {
  readonly cachedVaults?: number;
  /** Connections in the pool; default 10. */
  readonly maxConnections?: number;
}

/** Connects, applies the schema's migrations, and returns the storage. */
export async function openPgStorage(url: string, options: PgStorageOptions = {}): Promise<RelayStorage & { readonly pool: Pool }> {
  pg ??= createRequire(import.meta.url)('pg') as typeof import('pg');
  // int8 columns (sequence numbers, sizes, times) as numbers: all stay far below 2^53.
  const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg!.types.getTypeParser(oid, format as 'text')) };
  const config: PoolConfig = { connectionString: url, max: options.maxConnections ?? 10, types: types as PoolConfig['types'] };
  const pool = new pg.Pool(config);
  // An idle connection the server dropped (a restart) must not crash the relay: the pool replaces it.
  pool.on('error', () => {});
  try {
    await transaction(pool, migrate);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return pgStorage(pool, config, options);
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/** Runs `fn` in one transaction (READ COMMITTED, row locks), again on a deadlock or serialisation failure. */
function transaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  return retried(async () => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  });
}

/** `fn` (one statement, or one transaction), again on a deadlock or serialisation failure. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!RETRYABLE.has((e as { code?: string }).code ?? '') || attempt >= RETRIES) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

const b = (x: Uint8Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const view = (x: Buffer): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/**
 * Inside the caller's transaction, holding the scope lock: locks the vault's row and each
 * charged key's (in byte order), and moves their totals, or changes nothing and returns the
 * quota the write would exceed. As in SQLite, only growth past a quota is refused.
 */
async function charge(c: PoolClient, vaultId: Uint8Array, charges: readonly Charge[], quotas: Quotas): Promise<OverQuota | undefined> {
  const { total, perKey: keys } = sumCharges(charges);
  const vault = await c.query<{ n: number }>('SELECT stored_bytes AS n FROM vaults WHERE id = $1 FOR UPDATE', [b(vaultId)]);
  const vaultOver = overQuota('vault', quotas.maxVaultBytes, vault.rows[0]?.n ?? 0, total);
  if (vaultOver) return vaultOver;
  for (const k of keys) {
    await c.query('INSERT INTO key_usage (public_key, stored_bytes) VALUES ($1, 0) ON CONFLICT DO NOTHING', [b(k.key)]);
    const r = await c.query<{ n: number }>('SELECT stored_bytes AS n FROM key_usage WHERE public_key = $1 FOR UPDATE', [b(k.key)]);
    const keyOver = overQuota('key', quotas.maxKeyBytes, r.rows[0]!.n, k.bytes);
    if (keyOver) return keyOver;
  }
  await c.query('UPDATE vaults SET stored_bytes = stored_bytes + $1 WHERE id = $2', [total, b(vaultId)]);
  for (const k of keys) await c.query('UPDATE key_usage SET stored_bytes = stored_bytes + $1 WHERE public_key = $2', [k.bytes, b(k.key)]);
  return undefined;
}

/** A notice as another relay process sent it; undefined when it is not one of ours. */
export function parseNotice(payload: string): { origin: string; notice: Notice } | undefined {
  const [origin, kind, vault, ...rest] = payload.split(' ');
  const hex = (x: string | undefined) => (x && /^[0-9a-f]+$/.test(x) && x.length % 2 === 0 ? fromHex(x) : undefined);
  const num = (x: string | undefined) => (x && /^\d+$/.test(x) ? Number(x) : undefined);
  const vaultId = hex(vault);
  if (!origin || !vaultId) return undefined;
  if (kind === 'u') {
    const [scope, seq, at] = [hex(rest[0]), num(rest[1]), num(rest[2])];
    return scope && seq !== undefined && at !== undefined ? { origin, notice: { kind: 'update', vaultId, scopeId: scope, seq, at } } : undefined;
  }
  if (kind === 'l') {
    const [seq, at] = [num(rest[0]), num(rest[1])];
    return seq !== undefined && at !== undefined ? { origin, notice: { kind: 'log', vaultId, seq, at } } : undefined;
  }
  return undefined;
}

const backoff = (attempt: number) => Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());

function pgStorage(pool: Pool, config: PoolConfig, options: PgStorageOptions): RelayStorage & { readonly pool: Pool } {
  // This process's name on the notice channel: its own notices are not news to it.
  const origin = randomBytes(8).toString('hex');
  let listener: import('pg').Client | undefined;
  // The hot queries as named prepared statements: each connection parses and plans them once.
  const names = new Map<string, string>();
  const query = <R extends Record<string, unknown>>(text: string, values: unknown[]) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `tessera_${names.size}`));
    return pool.query<R>({ name, text, values });
  };
  const one = async <R extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<R | undefined> => (await query<R>(sql, params)).rows[0];
  // A vault's row never changes once created: every push asks for it.
  const vaults = new LruMap<string, VaultRecord>(options.cachedVaults ?? DEFAULT_CACHED_VAULTS);

  type AppendRow = { ok: boolean; seq: number | null; quota: 'vault' | 'key' | null; lim: number; used: number; adding: number };
  const result = (r: AppendRow): AppendResult =>
    r.ok ? { ok: true, seq: r.seq! } : r.quota ? { ok: false, over: { quota: r.quota, limit: r.lim, used: r.used, adding: r.adding } } : { ok: false };

  /** One statement whatever the round's size: its own transaction, one round trip. */
  async function appendUpdates(us: readonly NewUpdate[], quotas: Quotas): Promise<AppendResult[]> {
    if (us.length === 0) return [];
    if (us.length === 1) {
      const u = us[0]!;
      const { rows } = await retried(() =>
        query<AppendRow>('SELECT * FROM tessera_push($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
          origin, b(u.vaultId), b(u.scopeId), b(u.author), u.counter, u.epoch, b(u.hash), b(u.bytes), quotas.maxVaultBytes, quotas.maxKeyBytes,
        ]),
      );
      return [result(rows[0]!)];
    }
    const column = <T>(f: (u: NewUpdate) => T): T[] => us.map(f);
    const { rows } = await retried(() =>
      query<AppendRow>('SELECT * FROM tessera_push_many($1, $2::bytea[], $3::bytea[], $4::bytea[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[], $9, $10)', [
        origin,
        column((u) => b(u.vaultId)),
        column((u) => b(u.scopeId)),
        column((u) => b(u.author)),
        column((u) => u.counter),
        column((u) => u.epoch),
        column((u) => b(u.hash)),
        column((u) => b(u.bytes)),
        quotas.maxVaultBytes,
        quotas.maxKeyBytes,
      ]),
    );
    return rows.map(result);
  }

  async function putSnapshot(s: NewSnapshot, quotas: Quotas): Promise<SnapshotResult> {
    return transaction(pool, async (c) => {
      // The scope's row first, as appends take it: it serialises against them.
      await c.query('SELECT 1 FROM scopes WHERE vault_id = $1 AND scope_id = $2 FOR UPDATE', [b(s.vaultId), b(s.scopeId)]);
      const current = (await c.query<{ covers: number; author: Buffer | null; n: number }>(
        'SELECT covers, author, octet_length(bytes) AS n FROM snapshots WHERE vault_id = $1 AND scope_id = $2 FOR UPDATE',
        [b(s.vaultId), b(s.scopeId)],
      )).rows[0];
      if (current && current.covers >= s.covers) return { ok: true, stored: false };
      const freed = (await c.query<{ author: Buffer; n: number }>(
        'SELECT author, sum(octet_length(bytes))::bigint AS n FROM envelopes WHERE vault_id = $1 AND scope_id = $2 AND seq <= $3 GROUP BY author',
        [b(s.vaultId), b(s.scopeId), s.covers],
      )).rows;
      const charges: Charge[] = [{ key: s.author, bytes: s.bytes.byteLength }, ...freed.map((f) => ({ key: view(f.author), bytes: -f.n }))];
      if (current) charges.push({ key: current.author && view(current.author), bytes: -current.n });
      const over = await charge(c, s.vaultId, charges, quotas);
      if (over) return { ok: false, over };
      await c.query(
        `INSERT INTO snapshots (vault_id, scope_id, covers, bytes, author) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (vault_id, scope_id) DO UPDATE SET covers = excluded.covers, bytes = excluded.bytes, author = excluded.author`,
        [b(s.vaultId), b(s.scopeId), s.covers, b(s.bytes), b(s.author)],
      );
      await c.query('DELETE FROM envelopes WHERE vault_id = $1 AND scope_id = $2 AND seq <= $3', [b(s.vaultId), b(s.scopeId), s.covers]);
      return { ok: true, stored: true };
    });
  }

  async function createVault(id: Uint8Array, owner: Uint8Array, createdAt: number, maxVaultsPerKey: number): Promise<CreateVaultResult> {
    return transaction(pool, async (c) => {
      // Serialises registrations by one key across relays, so the limit counts each once.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [toHex(owner)]);
      const vaultOf = async () => {
        const r = (await c.query<{ id: Buffer; owner: Buffer; created_at: number }>('SELECT id, owner, created_at FROM vaults WHERE id = $1', [b(id)])).rows[0];
        return r && { id: view(r.id), owner: view(r.owner), createdAt: r.created_at };
      };
      const existing = await vaultOf();
      if (existing) return { ok: true as const, vault: existing, created: false };
      const owned = (await c.query<{ n: number }>('SELECT count(*)::bigint AS n FROM vaults WHERE owner = $1', [b(owner)])).rows[0]!.n;
      if (owned >= maxVaultsPerKey) return { ok: false as const, limit: maxVaultsPerKey };
      const inserted = await c.query('INSERT INTO vaults (id, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [b(id), b(owner), createdAt]);
      if (inserted.rowCount === 0) return { ok: true as const, vault: (await vaultOf())!, created: false }; // another key won the id
      await c.query('INSERT INTO members (vault_id, public_key, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [b(id), b(owner), 'owner' satisfies Role]);
      return { ok: true as const, vault: (await vaultOf())!, created: true };
    });
  }

  async function envelopesAfter(vaultId: Uint8Array, scopeId: Uint8Array, since: number, page: { count: number; bytes: number }): Promise<StoredEnvelope[]> {
    const { rows } = await query<{ seq: number; bytes: Buffer }>(
      'SELECT seq, bytes FROM envelopes WHERE vault_id = $1 AND scope_id = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [b(vaultId), b(scopeId), since, Math.max(1, page.count)],
    );
    const out: StoredEnvelope[] = [];
    let total = 0;
    for (const r of rows) {
      out.push({ seq: r.seq, bytes: view(r.bytes) });
      total += r.bytes.byteLength;
      if (total >= page.bytes) break;
    }
    return out;
  }

  const membershipStore: MembershipStore = {
    logEntries: async (vaultId, from) =>
      (await pool.query<{ bytes: Buffer }>('SELECT bytes FROM membership_log WHERE vault_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3', [b(vaultId), from, LOG_PAGE])).rows.map((r) => view(r.bytes)),
    appendLogEntry: (vaultId, seq, bytes, author, quotas) =>
      transaction(pool, async (c) => {
        // The vault's row serialises appends to its log (and is the quota's row, locked first anyway).
        await c.query('SELECT 1 FROM vaults WHERE id = $1 FOR UPDATE', [b(vaultId)]);
        const taken = await c.query('SELECT 1 FROM membership_log WHERE vault_id = $1 AND seq = $2', [b(vaultId), seq]);
        if (taken.rowCount) return { ok: false as const }; // another append won the seq
        const over = await charge(c, vaultId, [{ key: author, bytes: bytes.byteLength }], quotas);
        if (over) return { ok: false as const, over };
        await c.query('INSERT INTO membership_log (vault_id, seq, bytes) VALUES ($1, $2, $3)', [b(vaultId), seq, b(bytes)]);
        await c.query(`SELECT pg_notify('${CHANNEL}', concat_ws(' ', $1::text, 'l', $2::text, $3::bigint, ${NOW_MS}))`, [origin, toHex(vaultId), seq]);
        return { ok: true as const };
      }),
    putJoinRequest: async (vaultId, joiner, bytes, at) => {
      await transaction(pool, async (c) => {
        await c.query(
          'INSERT INTO join_requests (vault_id, joiner, bytes, at) VALUES ($1, $2, $3, $4) ON CONFLICT (vault_id, joiner) DO UPDATE SET bytes = excluded.bytes, at = excluded.at',
          [b(vaultId), b(joiner), b(bytes), at],
        );
        await c.query(
          'DELETE FROM join_requests WHERE vault_id = $1 AND joiner NOT IN (SELECT joiner FROM join_requests WHERE vault_id = $1 ORDER BY at DESC LIMIT $2)',
          [b(vaultId), MAX_JOIN_REQUESTS],
        );
      });
    },
    joinRequests: async (vaultId, notBefore) =>
      (await pool.query<{ bytes: Buffer }>('SELECT bytes FROM join_requests WHERE vault_id = $1 AND at >= $2 ORDER BY at', [b(vaultId), notBefore])).rows.map((r) => view(r.bytes)),
  };

  let closed = false;

  /** One connection outside the pool holds LISTEN; when it drops, it comes back with backoff. */
  async function listen(handlers: NoticeHandlers): Promise<void> {
    const connect = async (): Promise<void> => {
      const c = new pg!.Client(config);
      c.on('error', () => {}); // followed by 'end', which reconnects
      c.on('notification', (m) => {
        const parsed = m.channel === CHANNEL && m.payload ? parseNotice(m.payload) : undefined;
        if (parsed && parsed.origin !== origin) handlers.notice(parsed.notice);
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${CHANNEL}`);
      } catch (e) {
        await c.end().catch(() => {});
        throw e;
      }
      if (closed) return void (await c.end().catch(() => {}));
      listener = c;
      c.once('end', () => {
        if (listener === c) listener = undefined;
        if (!closed) void again();
      });
    };
    const again = async (): Promise<void> => {
      for (let attempt = 0; !closed; attempt++) {
        await new Promise((r) => setTimeout(r, backoff(attempt)).unref());
        if (closed) return;
        try {
          await connect();
          if (!closed) handlers.resumed();
          return;
        } catch {
          // the database is still away: wait longer
        }
      }
    };
    await connect();
  }

  return {
    pool,
    listen,
    memberships: new Memberships(membershipStore, options.cachedVaults),
    getVault: async (id) => {
      const key = toHex(id);
      const cached = vaults.get(key);
      if (cached) return cached;
      const r = await one<{ id: Buffer; owner: Buffer; created_at: number }>('SELECT id, owner, created_at FROM vaults WHERE id = $1', [b(id)]);
      const vault = r && { id: view(r.id), owner: view(r.owner), createdAt: r.created_at };
      if (vault) vaults.set(key, vault);
      return vault;
    },
    createVault,
    memberRole: async (vaultId, key) => (await one<{ role: Role }>('SELECT role FROM members WHERE vault_id = $1 AND public_key = $2', [b(vaultId), b(key)]))?.role,
    scope: async (vaultId, scopeId) => {
      const r = await one<{ last_seq: number; epoch: number }>('SELECT last_seq, epoch FROM scopes WHERE vault_id = $1 AND scope_id = $2', [b(vaultId), b(scopeId)]);
      return r && { scopeId, lastSeq: r.last_seq, epoch: r.epoch };
    },
    scopes: async (vaultId) =>
      (await pool.query<{ scope_id: Buffer; last_seq: number; epoch: number }>('SELECT scope_id, last_seq, epoch FROM scopes WHERE vault_id = $1 ORDER BY scope_id', [b(vaultId)])).rows.map(
        (r) => ({ scopeId: view(r.scope_id), lastSeq: r.last_seq, epoch: r.epoch }),
      ),
    chainHead: async (vaultId, scopeId, author) => {
      const r = await one<{ counter: number; hash: Buffer; seq: number }>('SELECT counter, hash, seq FROM chain_heads WHERE vault_id = $1 AND scope_id = $2 AND author = $3', [b(vaultId), b(scopeId), b(author)]);
      return r && { counter: r.counter, hash: view(r.hash), seq: r.seq };
    },
    findUpdate: async (vaultId, scopeId, author, counter) => {
      const r = await one<{ seq: number; hash: Buffer }>('SELECT seq, hash FROM envelopes WHERE vault_id = $1 AND scope_id = $2 AND author = $3 AND counter = $4', [b(vaultId), b(scopeId), b(author), counter]);
      return r && { seq: r.seq, hash: view(r.hash) };
    },
    appendUpdates,
    putSnapshot,
    latestSnapshot: async (vaultId, scopeId) => {
      const r = await one<{ covers: number; bytes: Buffer }>('SELECT covers, bytes FROM snapshots WHERE vault_id = $1 AND scope_id = $2', [b(vaultId), b(scopeId)]);
      return r && { covers: r.covers, bytes: view(r.bytes) };
    },
    envelopesAfter,
    vaultBytes: async (vaultId) => (await one<{ n: number }>('SELECT stored_bytes AS n FROM vaults WHERE id = $1', [b(vaultId)]))?.n ?? 0,
    keyBytes: async (key) => (await one<{ n: number }>('SELECT stored_bytes AS n FROM key_usage WHERE public_key = $1', [b(key)]))?.n ?? 0,
    counts: async () => ({ vaults: (await one<{ n: number }>('SELECT count(*)::bigint AS n FROM vaults', []))!.n }),
    close: async () => {
      if (closed) return;
      closed = true;
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
