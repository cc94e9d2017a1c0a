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
 * reached its WAL on disk. Schema versions are applied at start under an advisory lock (two
 * relays starting at once migrate once), and a database of a newer schema is refused.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { fromHex, toHex } from '../src-shared/crypto/bytes';
import { TesseraError } from '../src-shared/errors';
import { LruMap } from './lru';
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

export const PG_SCHEMA_VERSION = 2;

/** The channel relay processes tell each other on (LISTEN/NOTIFY): a notice per commit, ids and numbers only. */
const CHANNEL = 'tessera_relay';
/** The database's clock in milliseconds, stamped on each notice for the fan-out lag. */
const NOW_MS = `floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

const MIGRATIONS: Record<number, string> = {
  1: `
CREATE TABLE vaults (id bytea PRIMARY KEY, owner bytea NOT NULL, created_at bigint NOT NULL, stored_bytes bigint NOT NULL DEFAULT 0);
CREATE INDEX vaults_by_owner ON vaults (owner);
CREATE TABLE members (
  vault_id bytea NOT NULL, public_key bytea NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  PRIMARY KEY (vault_id, public_key));
CREATE TABLE scopes (vault_id bytea NOT NULL, scope_id bytea NOT NULL, last_seq bigint NOT NULL, epoch bigint NOT NULL, PRIMARY KEY (vault_id, scope_id));
CREATE TABLE chain_heads (
  vault_id bytea NOT NULL, scope_id bytea NOT NULL, author bytea NOT NULL,
  counter bigint NOT NULL, hash bytea NOT NULL, seq bigint NOT NULL,
  PRIMARY KEY (vault_id, scope_id, author));
CREATE TABLE envelopes (
  vault_id bytea NOT NULL, scope_id bytea NOT NULL, seq bigint NOT NULL, author bytea NOT NULL,
  counter bigint NOT NULL, hash bytea NOT NULL, bytes bytea NOT NULL,
  PRIMARY KEY (vault_id, scope_id, seq),
  UNIQUE (vault_id, scope_id, author, counter));
CREATE TABLE snapshots (vault_id bytea NOT NULL, scope_id bytea NOT NULL, covers bigint NOT NULL, bytes bytea NOT NULL, author bytea, PRIMARY KEY (vault_id, scope_id));
CREATE TABLE membership_log (vault_id bytea NOT NULL, seq bigint NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (vault_id, seq));
CREATE TABLE join_requests (vault_id bytea NOT NULL, joiner bytea NOT NULL, bytes bytea NOT NULL, at bigint NOT NULL, PRIMARY KEY (vault_id, joiner));
CREATE TABLE key_usage (public_key bytea PRIMARY KEY, stored_bytes bigint NOT NULL);
-- One update's append, in one round trip (appendOne in TypeScript would take a dozen): under
-- the scope's row lock, then the vault's, then the key's, the same checks and writes as SQLite.
CREATE FUNCTION tessera_append(v bytea, sc bytea, who bytea, ctr bigint, ep bigint, h bytea, body bytea, max_vault bigint, max_key bigint,
  OUT ok boolean, OUT seq bigint, OUT quota text, OUT lim bigint, OUT used bigint, OUT adding bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
  fresh boolean;
  cur record;
  head bigint;
  vb bigint;
  kb bigint;
  n bigint := octet_length(body);
BEGIN
  ok := false;
  INSERT INTO scopes (vault_id, scope_id, last_seq, epoch) VALUES (v, sc, 0, ep) ON CONFLICT DO NOTHING;
  fresh := FOUND;
  SELECT last_seq, epoch INTO cur FROM scopes WHERE vault_id = v AND scope_id = sc FOR UPDATE;
  SELECT counter INTO head FROM chain_heads WHERE vault_id = v AND scope_id = sc AND chain_heads.author = who;
  IF (NOT fresh AND cur.epoch > ep) OR coalesce(head, 0) <> ctr - 1 THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    RETURN;
  END IF;
  SELECT stored_bytes INTO vb FROM vaults WHERE id = v FOR UPDATE;
  vb := coalesce(vb, 0);
  IF n > 0 AND vb + n > max_vault THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    quota := 'vault'; lim := max_vault; used := vb; adding := n;
    RETURN;
  END IF;
  INSERT INTO key_usage (public_key, stored_bytes) VALUES (who, 0) ON CONFLICT DO NOTHING;
  SELECT stored_bytes INTO kb FROM key_usage WHERE public_key = who FOR UPDATE;
  IF n > 0 AND kb + n > max_key THEN
    IF fresh THEN DELETE FROM scopes WHERE vault_id = v AND scope_id = sc; END IF;
    quota := 'key'; lim := max_key; used := kb; adding := n;
    RETURN;
  END IF;
  seq := cur.last_seq + 1;
  UPDATE scopes SET last_seq = seq, epoch = greatest(epoch, ep) WHERE vault_id = v AND scope_id = sc;
  INSERT INTO envelopes (vault_id, scope_id, seq, author, counter, hash, bytes) VALUES (v, sc, seq, who, ctr, h, body);
  INSERT INTO chain_heads (vault_id, scope_id, author, counter, hash, seq) VALUES (v, sc, who, ctr, h, seq)
    ON CONFLICT (vault_id, scope_id, author) DO UPDATE SET counter = excluded.counter, hash = excluded.hash, seq = excluded.seq;
  UPDATE vaults SET stored_bytes = stored_bytes + n WHERE id = v;
  UPDATE key_usage SET stored_bytes = stored_bytes + n WHERE public_key = who;
  ok := true;
END $$;
`,
  // Fan-out across relay processes: an append tells the others, in the transaction that stores
  // it, so the notice goes out exactly when the update is committed (NOTIFY is transactional).
  2: `
CREATE FUNCTION tessera_push(origin text, v bytea, sc bytea, who bytea, ctr bigint, ep bigint, h bytea, body bytea, max_vault bigint, max_key bigint,
  OUT ok boolean, OUT seq bigint, OUT quota text, OUT lim bigint, OUT used bigint, OUT adding bigint)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT * INTO ok, seq, quota, lim, used, adding FROM tessera_append(v, sc, who, ctr, ep, h, body, max_vault, max_key);
  IF ok THEN
    PERFORM pg_notify('${CHANNEL}', concat_ws(' ', origin, 'u', encode(v, 'hex'), encode(sc, 'hex'), seq, ${NOW_MS}));
  END IF;
END $$;
-- A round of pushes in one statement, so in one round trip and one transaction: each in turn,
-- a refused one (ok false) leaving the others to go on, as appendUpdates promises.
CREATE FUNCTION tessera_push_many(origin text, vs bytea[], scs bytea[], whos bytea[], ctrs bigint[], eps bigint[], hs bytea[], bodies bytea[], max_vault bigint, max_key bigint)
RETURNS TABLE (ok boolean, seq bigint, quota text, lim bigint, used bigint, adding bigint)
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(vs, 1), 0) LOOP
    SELECT * INTO ok, seq, quota, lim, used, adding FROM tessera_push(origin, vs[i], scs[i], whos[i], ctrs[i], eps[i], hs[i], bodies[i], max_vault, max_key);
    RETURN NEXT;
  END LOOP;
END $$;
`,
};

/** Any constant: the advisory lock two relays starting together migrate under. */
const MIGRATION_LOCK = 0x7e55e7a;
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
    await migrate(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return pgStorage(pool, config, options);
}

async function migrate(pool: Pool): Promise<void> {
  await transaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS tessera_schema (version integer NOT NULL)');
    const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM tessera_schema');
    const current = rows[0]?.v ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new TesseraError('UNSUPPORTED_VERSION', `The relay database has schema ${current}; this version of Tessera knows up to ${PG_SCHEMA_VERSION}`);
    }
    for (let v = current + 1; v <= PG_SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v]!);
    if (current === 0) await c.query('INSERT INTO tessera_schema (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
    else if (current < PG_SCHEMA_VERSION) await c.query('UPDATE tessera_schema SET version = $1', [PG_SCHEMA_VERSION]);
  });
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
