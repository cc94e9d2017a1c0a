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
import { Memberships, sqliteMembershipStore } from './membership';
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { TesseraError } from '../src-shared/errors';
import type { AppendResult, ChainHead, NewUpdate, RelayStorage, Role, ScopeState, StoredEnvelope, StoredSnapshot, VaultRecord } from './storage';

export const SCHEMA_VERSION = 1;

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
`;

// better-sqlite3 hands back Buffers; callers compare and re-encode plain bytes.
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

interface ScopeRow { scope_id: Buffer; last_seq: number; epoch: number }
const scopeState = (r: ScopeRow): ScopeState => ({ scopeId: view(r.scope_id), lastSeq: r.last_seq, epoch: r.epoch });

function prepareSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
    if (row.v === null) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (row.v > SCHEMA_VERSION) {
      throw new TesseraError('UNSUPPORTED_VERSION', `The relay database has schema ${row.v}; this version of Tessera knows up to ${SCHEMA_VERSION}`);
    }
    // Migrations from older schemas go here, one version at a time.
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
  const q = {
    vault: db.prepare('SELECT id, owner, created_at FROM vaults WHERE id = ?'),
    insertVault: db.prepare('INSERT OR IGNORE INTO vaults (id, owner, created_at) VALUES (?, ?, ?)'),
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
    prune: db.prepare('DELETE FROM envelopes WHERE vault_id = ? AND scope_id = ? AND seq <= ?'),
    snapshot: db.prepare('SELECT covers, bytes FROM snapshots WHERE vault_id = ? AND scope_id = ?'),
    snapshotCovers: db.prepare('SELECT covers FROM snapshots WHERE vault_id = ? AND scope_id = ?'),
    upsertSnapshot: db.prepare(`INSERT INTO snapshots (vault_id, scope_id, covers, bytes) VALUES (?, ?, ?, ?)
      ON CONFLICT (vault_id, scope_id) DO UPDATE SET covers = excluded.covers, bytes = excluded.bytes`),
    vaultCount: db.prepare('SELECT count(*) AS n FROM vaults'),
  };

  const getVault = (id: Uint8Array): VaultRecord | undefined => {
    const r = q.vault.get(id) as { id: Buffer; owner: Buffer; created_at: number } | undefined;
    return r && { id: view(r.id), owner: view(r.owner), createdAt: r.created_at };
  };

  const createVault = db.transaction((id: Uint8Array, owner: Uint8Array, createdAt: number): VaultRecord => {
    if (q.insertVault.run(id, owner, createdAt).changes === 1) q.insertMember.run(id, owner, 'owner' satisfies Role);
    return getVault(id)!;
  });

  const appendOne = (u: NewUpdate): AppendResult => {
    const scope = q.scope.get(u.vaultId, u.scopeId) as ScopeRow | undefined;
    // Epochs only move forward (a key rotation in the membership log); the relay's checks
    // decided which epoch is current, this only guards against going back.
    if (scope && scope.epoch > u.epoch) return { ok: false };
    const head = q.head.get(u.vaultId, u.scopeId, u.author) as { counter: number } | undefined;
    if ((head?.counter ?? 0) !== u.counter - 1) return { ok: false };
    const seq = (scope?.last_seq ?? 0) + 1;
    q.upsertScope.run(u.vaultId, u.scopeId, seq, u.epoch);
    q.insertEnvelope.run(u.vaultId, u.scopeId, seq, u.author, u.counter, u.hash, u.bytes);
    q.upsertHead.run(u.vaultId, u.scopeId, u.author, u.counter, u.hash, seq);
    return { ok: true, seq };
  };
  const appendUpdates = db.transaction((us: readonly NewUpdate[]): AppendResult[] => us.map(appendOne));

  const putSnapshot = db.transaction((vaultId: Uint8Array, scopeId: Uint8Array, covers: number, bytes: Uint8Array): boolean => {
    const current = q.snapshotCovers.get(vaultId, scopeId) as { covers: number } | undefined;
    if (current && current.covers >= covers) return false;
    q.upsertSnapshot.run(vaultId, scopeId, covers, bytes);
    q.prune.run(vaultId, scopeId, covers);
    return true;
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
    memberships: new Memberships(sqliteMembershipStore(db), options.cachedVaults),
    getVault: wrap(getVault),
    createVault: wrap((id: Uint8Array, owner: Uint8Array, createdAt: number) => createVault.immediate(id, owner, createdAt)),
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
    appendUpdates: wrap((us: readonly NewUpdate[]) => (us.length === 0 ? [] : appendUpdates.immediate(us))),
    putSnapshot: wrap((vaultId: Uint8Array, scopeId: Uint8Array, covers: number, bytes: Uint8Array) => putSnapshot.immediate(vaultId, scopeId, covers, bytes)),
    latestSnapshot: wrap((vaultId: Uint8Array, scopeId: Uint8Array): StoredSnapshot | undefined => {
      const r = q.snapshot.get(vaultId, scopeId) as { covers: number; bytes: Buffer } | undefined;
      return r && { covers: r.covers, bytes: view(r.bytes) };
    }),
    envelopesAfter: wrap(envelopesAfter),
    counts: wrap(() => ({ vaults: (q.vaultCount.get() as { n: number }).n })),
    close: wrap(() => {
      if (db.open) db.close();
    }),
  };
}
