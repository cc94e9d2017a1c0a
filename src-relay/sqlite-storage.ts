/**
 * RelayStorage in one SQLite file (better-sqlite3), or in memory for tests.
 *
 * Durability: WAL journal with synchronous=FULL, so every commit fsyncs the WAL before
 * better-sqlite3 returns, and the relay acks only after that. NORMAL would already survive a
 * SIGKILL of the relay (the WAL pages reach the kernel before the commit returns), but not a
 * power cut or kernel crash, and a relay that forgets sequence numbers it handed out is worse
 * than a slow one: clients resume with "since N", so after the relay reassigned N to a
 * different envelope they would silently skip it. One fsync per transaction is the price, and
 * appendUpdates lets the relay share one among all the pushes waiting at that moment.
 */
import { Memberships } from './membership';
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { TesseraError } from '../src-shared/errors';
import { sqliteMembershipStore } from './sqlite-membership';
import { migrateToUsage, sqliteUsage, type Charge } from './sqlite-usage';
import type {
  AppendResult,
  ChainHead,
  CreateVaultResult,
  NewSnapshot,
  NewUpdate,
  Quotas,
  RelayStorage,
  Role,
  ScopeState,
  SnapshotResult,
  StoredEnvelope,
  StoredSnapshot,
  VaultRecord,
} from './storage';

/** 1: the first. 2: stored bytes per vault and per key, snapshots' authors, vaults by owner (sqlite-usage.ts). */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vaults (
  id BLOB PRIMARY KEY,
  owner BLOB NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
  vault_id BLOB NOT NULL,
  public_key BLOB NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  PRIMARY KEY (vault_id, public_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scopes (
  vault_id BLOB NOT NULL,
  scope_id BLOB NOT NULL,
  last_seq INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  PRIMARY KEY (vault_id, scope_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chain_heads (
  vault_id BLOB NOT NULL,
  scope_id BLOB NOT NULL,
  author BLOB NOT NULL,
  counter INTEGER NOT NULL,
  hash BLOB NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (vault_id, scope_id, author)
) WITHOUT ROWID;
-- A rowid table: envelopes can be megabytes, which WITHOUT ROWID tables store badly.
CREATE TABLE IF NOT EXISTS envelopes (
  vault_id BLOB NOT NULL,
  scope_id BLOB NOT NULL,
  seq INTEGER NOT NULL,
  author BLOB NOT NULL,
  counter INTEGER NOT NULL,
  hash BLOB NOT NULL,
  bytes BLOB NOT NULL,
  UNIQUE (vault_id, scope_id, seq),
  UNIQUE (vault_id, scope_id, author, counter)
);
CREATE TABLE IF NOT EXISTS snapshots (
  vault_id BLOB NOT NULL,
  scope_id BLOB NOT NULL,
  covers INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  UNIQUE (vault_id, scope_id)
);
CREATE TABLE IF NOT EXISTS membership_log (
  vault_id BLOB NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (vault_id, seq)
);
CREATE TABLE IF NOT EXISTS join_requests (
  vault_id BLOB NOT NULL, joiner BLOB NOT NULL, bytes BLOB NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (vault_id, joiner)
);
`;

// better-sqlite3 hands back Buffers; callers compare and re-encode plain bytes.
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

interface ScopeRow { scope_id: Buffer; last_seq: number; epoch: number }
const scopeState = (r: ScopeRow): ScopeState => ({ scopeId: view(r.scope_id), lastSeq: r.last_seq, epoch: r.epoch });

// Each takes the database from the version before it to its own; a new database starts at 1.
const MIGRATIONS: Record<number, (db: Database.Database) => void> = { 2: migrateToUsage };

function prepareSchema(db: Database.Database): void {
  db.transaction(() => {
    // The tables of schema 1; later versions alter them below.
    db.exec(SCHEMA);
    const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
    if (row.v === null) db.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    else if (row.v > SCHEMA_VERSION) {
      throw new TesseraError('UNSUPPORTED_VERSION', `The relay database has schema ${row.v}; this version of Tessera knows up to ${SCHEMA_VERSION}`);
    }
    for (let v = (row.v ?? 1) + 1; v <= SCHEMA_VERSION; v++) {
      MIGRATIONS[v]!(db);
      db.prepare('UPDATE schema_version SET version = ?').run(v);
    }
  }).immediate();
}

// Loaded on first use: the `tessera` bundle carries the relay, and its other commands should
// not pay for SQLite at start-up.
let sqlite: typeof Database | undefined;

export interface SqliteStorageOptions {
  /** Vaults whose membership state stays in memory (Memberships); default DEFAULT_CACHED_VAULTS. */
  readonly cachedVaults?: number;
}

/** Opens (creating if needed) a relay database at `path`, or an in-memory one for ':memory:'. */
export function openSqliteStorage(path: string, options: SqliteStorageOptions = {}): RelayStorage {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  const db = new sqlite(path);
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    prepareSchema(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return sqliteStorage(db, options);
}

/** A fresh in-memory relay database, for unit tests. */
export function openMemoryStorage(options: SqliteStorageOptions = {}): RelayStorage {
  return openSqliteStorage(':memory:', options);
}

function sqliteStorage(db: Database.Database, options: SqliteStorageOptions): RelayStorage {
  const usage = sqliteUsage(db);
  const q = {
    vault: db.prepare('SELECT id, owner, created_at FROM vaults WHERE id = ?'),
    insertVault: db.prepare('INSERT OR IGNORE INTO vaults (id, owner, created_at) VALUES (?, ?, ?)'),
    ownedVaults: db.prepare('SELECT count(*) AS n FROM vaults WHERE owner = ?'),
    insertMember: db.prepare('INSERT OR IGNORE INTO members (vault_id, public_key, role) VALUES (?, ?, ?)'),
    role: db.prepare('SELECT role FROM members WHERE vault_id = ? AND public_key = ?'),
    scope: db.prepare('SELECT scope_id, last_seq, epoch FROM scopes WHERE vault_id = ? AND scope_id = ?'),
    scopes: db.prepare('SELECT scope_id, last_seq, epoch FROM scopes WHERE vault_id = ? ORDER BY scope_id'),
    upsertScope: db.prepare(`INSERT INTO scopes (vault_id, scope_id, last_seq, epoch) VALUES (?, ?, ?, ?)
      ON CONFLICT (vault_id, scope_id) DO UPDATE SET last_seq = excluded.last_seq, epoch = max(epoch, excluded.epoch)`),
    head: db.prepare('SELECT counter, hash, seq FROM chain_heads WHERE vault_id = ? AND scope_id = ? AND author = ?'),
    upsertHead: db.prepare(`INSERT INTO chain_heads (vault_id, scope_id, author, counter, hash, seq) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (vault_id, scope_id, author) DO UPDATE SET counter = excluded.counter, hash = excluded.hash, seq = excluded.seq`),
    findUpdate: db.prepare('SELECT seq, hash FROM envelopes WHERE vault_id = ? AND scope_id = ? AND author = ? AND counter = ?'),
    insertEnvelope: db.prepare('INSERT INTO envelopes (vault_id, scope_id, seq, author, counter, hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    envelopesAfter: db.prepare('SELECT seq, bytes FROM envelopes WHERE vault_id = ? AND scope_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
    prunable: db.prepare('SELECT author, sum(length(bytes)) AS n FROM envelopes WHERE vault_id = ? AND scope_id = ? AND seq <= ? GROUP BY author'),
    prune: db.prepare('DELETE FROM envelopes WHERE vault_id = ? AND scope_id = ? AND seq <= ?'),
    snapshot: db.prepare('SELECT covers, bytes FROM snapshots WHERE vault_id = ? AND scope_id = ?'),
    snapshotKept: db.prepare('SELECT covers, author, length(bytes) AS n FROM snapshots WHERE vault_id = ? AND scope_id = ?'),
    upsertSnapshot: db.prepare(`INSERT INTO snapshots (vault_id, scope_id, covers, bytes, author) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (vault_id, scope_id) DO UPDATE SET covers = excluded.covers, bytes = excluded.bytes, author = excluded.author`),
    vaultCount: db.prepare('SELECT count(*) AS n FROM vaults'),
  };

  const getVault = (id: Uint8Array): VaultRecord | undefined => {
    const r = q.vault.get(id) as { id: Buffer; owner: Buffer; created_at: number } | undefined;
    return r && { id: view(r.id), owner: view(r.owner), createdAt: r.created_at };
  };

  const createVault = db.transaction((id: Uint8Array, owner: Uint8Array, createdAt: number, maxVaultsPerKey: number): CreateVaultResult => {
    const existing = getVault(id);
    if (existing) return { ok: true, vault: existing, created: false };
    if ((q.ownedVaults.get(owner) as { n: number }).n >= maxVaultsPerKey) return { ok: false, limit: maxVaultsPerKey };
    q.insertVault.run(id, owner, createdAt);
    q.insertMember.run(id, owner, 'owner' satisfies Role);
    return { ok: true, vault: getVault(id)!, created: true };
  });

  const appendOne = (u: NewUpdate, quotas: Quotas): AppendResult => {
    const scope = q.scope.get(u.vaultId, u.scopeId) as ScopeRow | undefined;
    // Epochs only move forward (a key rotation in the membership log); the relay's checks
    // decided which epoch is current, this only guards against going back.
    if (scope && scope.epoch > u.epoch) return { ok: false };
    const head = q.head.get(u.vaultId, u.scopeId, u.author) as { counter: number } | undefined;
    if ((head?.counter ?? 0) !== u.counter - 1) return { ok: false };
    const over = usage.change(u.vaultId, [{ key: u.author, bytes: u.bytes.byteLength }], quotas);
    if (over) return { ok: false, over };
    const seq = (scope?.last_seq ?? 0) + 1;
    q.upsertScope.run(u.vaultId, u.scopeId, seq, u.epoch);
    q.insertEnvelope.run(u.vaultId, u.scopeId, seq, u.author, u.counter, u.hash, u.bytes);
    q.upsertHead.run(u.vaultId, u.scopeId, u.author, u.counter, u.hash, seq);
    return { ok: true, seq };
  };
  const appendUpdates = db.transaction((us: readonly NewUpdate[], quotas: Quotas): AppendResult[] => us.map((u) => appendOne(u, quotas)));

  const putSnapshot = db.transaction((s: NewSnapshot, quotas: Quotas): SnapshotResult => {
    const current = q.snapshotKept.get(s.vaultId, s.scopeId) as { covers: number; author: Buffer | null; n: number } | undefined;
    if (current && current.covers >= s.covers) return { ok: true, stored: false };
    // What it replaces and prunes is credited to whoever it was charged to.
    const freed = q.prunable.all(s.vaultId, s.scopeId, s.covers) as { author: Buffer; n: number }[];
    const charges: Charge[] = [{ key: s.author, bytes: s.bytes.byteLength }, ...freed.map((f) => ({ key: f.author, bytes: -f.n }))];
    if (current) charges.push({ key: current.author, bytes: -current.n });
    const over = usage.change(s.vaultId, charges, quotas);
    if (over) return { ok: false, over };
    q.upsertSnapshot.run(s.vaultId, s.scopeId, s.covers, s.bytes, s.author);
    q.prune.run(s.vaultId, s.scopeId, s.covers);
    return { ok: true, stored: true };
  });

  function envelopesAfter(vaultId: Uint8Array, scopeId: Uint8Array, since: number, page: { count: number; bytes: number }): StoredEnvelope[] {
    const out: StoredEnvelope[] = [];
    let total = 0;
    for (const row of q.envelopesAfter.iterate(vaultId, scopeId, since, Math.max(1, page.count)) as IterableIterator<{ seq: number; bytes: Buffer }>) {
      out.push({ seq: row.seq, bytes: view(row.bytes) });
      total += row.bytes.byteLength;
      if (total >= page.bytes) break;
    }
    return out;
  }

  // Every call is synchronous underneath; async only so that callers need not know.
  const wrap = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): Promise<R> => {
    try {
      return Promise.resolve(f(...a));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  return {
    memberships: new Memberships(sqliteMembershipStore(db, usage), options.cachedVaults),
    getVault: wrap(getVault),
    createVault: wrap((id: Uint8Array, owner: Uint8Array, createdAt: number, maxVaultsPerKey: number) => createVault.immediate(id, owner, createdAt, maxVaultsPerKey)),
    memberRole: wrap((vaultId: Uint8Array, key: Uint8Array) => (q.role.get(vaultId, key) as { role: Role } | undefined)?.role),
    scope: wrap((vaultId: Uint8Array, scopeId: Uint8Array) => {
      const r = q.scope.get(vaultId, scopeId) as ScopeRow | undefined;
      return r && scopeState(r);
    }),
    scopes: wrap((vaultId: Uint8Array) => (q.scopes.all(vaultId) as ScopeRow[]).map(scopeState)),
    chainHead: wrap((vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array): ChainHead | undefined => {
      const r = q.head.get(vaultId, scopeId, author) as { counter: number; hash: Buffer; seq: number } | undefined;
      return r && { counter: r.counter, hash: view(r.hash), seq: r.seq };
    }),
    findUpdate: wrap((vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array, counter: number) => {
      const r = q.findUpdate.get(vaultId, scopeId, author, counter) as { seq: number; hash: Buffer } | undefined;
      return r && { seq: r.seq, hash: view(r.hash) };
    }),
    appendUpdates: wrap((us: readonly NewUpdate[], quotas: Quotas) => (us.length === 0 ? [] : appendUpdates.immediate(us, quotas))),
    putSnapshot: wrap((snapshot: NewSnapshot, quotas: Quotas) => putSnapshot.immediate(snapshot, quotas)),
    latestSnapshot: wrap((vaultId: Uint8Array, scopeId: Uint8Array): StoredSnapshot | undefined => {
      const r = q.snapshot.get(vaultId, scopeId) as { covers: number; bytes: Buffer } | undefined;
      return r && { covers: r.covers, bytes: view(r.bytes) };
    }),
    envelopesAfter: wrap(envelopesAfter),
    vaultBytes: wrap((vaultId: Uint8Array) => usage.vaultBytes(vaultId)),
    keyBytes: wrap((key: Uint8Array) => usage.keyBytes(key)),
    counts: wrap(() => ({ vaults: (q.vaultCount.get() as { n: number }).n })),
    close: wrap(() => {
      if (db.open) db.close();
    }),
  };
}
