import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { openSqliteStorage, SCHEMA_VERSION } from './sqlite-storage';
import { BACKENDS, freshPgDatabase, PG_URL } from '../test/helpers/storage-backends';
import { PG_SCHEMA_VERSION } from './pg-schema';
import { openPgStorage } from './pg-storage';
import { DEFAULT_LIMITS } from './limits';
import type { NewSnapshot, NewUpdate, Quotas, RelayStorage } from './storage';

const id = () => nodeSuite.randomBytes(16);
const key = () => nodeSuite.randomBytes(32);

/** One update in a transaction of its own. */
const append = async (s: RelayStorage, u: NewUpdate, quotas: Quotas = DEFAULT_LIMITS) => (await s.appendUpdates([u], quotas))[0];
const snapshot = (vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array, covers: number, bytes: Uint8Array): NewSnapshot => ({ vaultId, scopeId, author, covers, bytes });

function update(vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array, counter: number, size = 10, epoch = 1): NewUpdate {
  return { vaultId, scopeId, author, counter, epoch, hash: nodeSuite.randomBytes(32), bytes: nodeSuite.randomBytes(size) };
}

describe('sqlite storage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-relay-db-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps everything across a reopen, in WAL mode with a schema version', async () => {
    const path = join(dir, 'relay.db');
    const [vaultId, scopeId, owner] = [id(), id(), key()];
    let s = openSqliteStorage(path);
    await s.createVault(vaultId, owner, 1234, 1);
    const u = update(vaultId, scopeId, owner, 1);
    expect(await append(s, u)).toEqual({ ok: true, seq: 1 });
    await s.close();

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: SCHEMA_VERSION }]);
    raw.close();

    s = openSqliteStorage(path);
    expect(await s.getVault(vaultId)).toEqual({ id: vaultId, owner, createdAt: 1234 });
    expect(await s.memberRole(vaultId, owner)).toBe('owner');
    expect(await s.chainHead(vaultId, scopeId, owner)).toEqual({ counter: 1, hash: u.hash, seq: 1 });
    expect(await s.envelopesAfter(vaultId, scopeId, 0, { count: 10, bytes: 1e6 })).toEqual([{ seq: 1, bytes: u.bytes }]);
    await s.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(dir, 'relay.db');
    await openSqliteStorage(path).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    raw.close();
    expect(() => openSqliteStorage(path)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });
});

describe.each(BACKENDS)('storage semantics ($name)', (backend) => {
  let s: RelayStorage;
  const [vaultId, scopeId, owner, other] = [id(), id(), key(), key()];
  beforeEach(async () => {
    s = await backend.open();
    await s.createVault(vaultId, owner, 1, 100);
  });
  afterEach(() => s.close());

  it('creates a vault once, keeping the first owner', async () => {
    expect(await s.createVault(vaultId, other, 2, 100)).toMatchObject({ ok: true, created: false, vault: { owner } });
    expect(await s.memberRole(vaultId, other)).toBeUndefined();
    expect(await s.counts()).toEqual({ vaults: 1 });
  });

  it("refuses an append whose author's head moved or whose epoch is behind the scope's (compare and set)", async () => {
    expect(await append(s, update(vaultId, scopeId, owner, 1))).toEqual({ ok: true, seq: 1 });
    expect(await append(s, update(vaultId, scopeId, owner, 1))).toEqual({ ok: false });
    expect(await append(s, update(vaultId, scopeId, owner, 3))).toEqual({ ok: false });
    expect(await append(s, update(vaultId, scopeId, other, 1, 10, 0))).toEqual({ ok: false });
    expect(await append(s, update(vaultId, scopeId, other, 1))).toEqual({ ok: true, seq: 2 });
    expect(await s.scope(vaultId, scopeId)).toEqual({ scopeId, lastSeq: 2, epoch: 1 });
    // A key rotation moves the epoch forward, never back.
    expect(await append(s, update(vaultId, scopeId, other, 2, 10, 2))).toEqual({ ok: true, seq: 3 });
    expect(await s.scope(vaultId, scopeId)).toEqual({ scopeId, lastSeq: 3, epoch: 2 });
    expect(await append(s, update(vaultId, scopeId, owner, 2, 10, 1))).toEqual({ ok: false });
  });

  it('appends a batch in order in one transaction, refusing only the updates whose preconditions fail', async () => {
    const o = [1, 2, 3, 4].map((c) => update(vaultId, scopeId, owner, c));
    const batch = [
      o[0]!,
      o[1]!,
      update(vaultId, scopeId, owner, 2), // the head is at 2 by now: a replay
      update(vaultId, scopeId, other, 1),
      update(vaultId, scopeId, owner, 4), // a gap
      o[2]!,
      update(vaultId, scopeId, other, 2, 10, 0), // an epoch behind the scope's
      o[3]!,
    ];
    const results = await s.appendUpdates(batch, DEFAULT_LIMITS);
    expect(results).toEqual([{ ok: true, seq: 1 }, { ok: true, seq: 2 }, { ok: false }, { ok: true, seq: 3 }, { ok: false }, { ok: true, seq: 4 }, { ok: false }, { ok: true, seq: 5 }]);
    expect(await s.chainHead(vaultId, scopeId, owner)).toEqual({ counter: 4, hash: o[3]!.hash, seq: 5 });
    expect((await s.envelopesAfter(vaultId, scopeId, 0, { count: 10, bytes: 1e6 })).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await s.appendUpdates([], DEFAULT_LIMITS)).toEqual([]);
  });

  it('prunes what a newer snapshot covers and keeps the chain heads', async () => {
    const updates = [1, 2, 3, 4].map((c) => update(vaultId, scopeId, owner, c));
    for (const u of updates) await append(s, u);
    expect(await s.putSnapshot(snapshot(vaultId, scopeId, owner, 3, new Uint8Array([9])), DEFAULT_LIMITS)).toEqual({ ok: true, stored: true });
    expect(await s.putSnapshot(snapshot(vaultId, scopeId, owner, 2, new Uint8Array([8])), DEFAULT_LIMITS)).toEqual({ ok: true, stored: false });
    expect(await s.latestSnapshot(vaultId, scopeId)).toEqual({ covers: 3, bytes: new Uint8Array([9]) });
    expect((await s.envelopesAfter(vaultId, scopeId, 0, { count: 10, bytes: 1e6 })).map((e) => e.seq)).toEqual([4]);
    expect(await s.findUpdate(vaultId, scopeId, owner, 2)).toBeUndefined();
    expect(await s.findUpdate(vaultId, scopeId, owner, 4)).toEqual({ seq: 4, hash: updates[3]!.hash });
    expect((await s.chainHead(vaultId, scopeId, owner))?.counter).toBe(4);
    await s.putSnapshot(snapshot(vaultId, scopeId, owner, 4, new Uint8Array([7])), DEFAULT_LIMITS);
    expect(await s.chainHead(vaultId, scopeId, owner)).toEqual({ counter: 4, hash: updates[3]!.hash, seq: 4 });
  });

  it('pages by count and by bytes, always giving at least one', async () => {
    for (let c = 1; c <= 6; c++) await append(s, update(vaultId, scopeId, owner, c, 100));
    expect((await s.envelopesAfter(vaultId, scopeId, 1, { count: 2, bytes: 1e6 })).map((e) => e.seq)).toEqual([2, 3]);
    expect((await s.envelopesAfter(vaultId, scopeId, 0, { count: 10, bytes: 250 })).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await s.envelopesAfter(vaultId, scopeId, 0, { count: 10, bytes: 1 })).map((e) => e.seq)).toEqual([1]);
    expect(await s.envelopesAfter(vaultId, scopeId, 6, { count: 10, bytes: 1e6 })).toEqual([]);
  });
});

describe.skipIf(!PG_URL)('postgres storage', () => {
  it('applies its schema once when two relays start together, and refuses a database of a newer schema', async () => {
    const db = await freshPgDatabase();
    try {
      const [a, b] = await Promise.all([openPgStorage(db.url), openPgStorage(db.url)]);
      expect((await a.pool.query('SELECT version FROM tessera_schema')).rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await a.pool.query('UPDATE tessera_schema SET version = version + 1');
      await Promise.all([a.close(), b.close()]);
      await expect(openPgStorage(db.url)).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    } finally {
      await db.drop();
    }
  });
});
