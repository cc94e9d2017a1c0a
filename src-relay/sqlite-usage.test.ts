// Stored-bytes accounting behind the quotas: every write charges the vault and its author,
// a snapshot credits what it prunes and replaces, a write over a quota changes nothing, and a
// database from before the accounting gets its totals computed when it is opened.
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { toHex } from '../src-shared/crypto/bytes';
import { envelopeHash } from '../src-shared/envelope/envelope';
import { createGenesis } from '../src-shared/membership/builders';
import { Author, newIdentity, person, randomId } from '../test/helpers/relay-client';
import { DEFAULT_LIMITS } from './limits';
import { openSqliteStorage, SCHEMA_VERSION } from './sqlite-storage';
import { BACKENDS } from '../test/helpers/storage-backends';
import type { NewUpdate, Quotas, RelayStorage } from './storage';

const roomy: Quotas = { maxVaultBytes: 1e12, maxKeyBytes: 1e12 };

/** Author `a`'s next update of `size` plaintext bytes, as the relay would store it. */
function next(a: Author, size: number): NewUpdate {
  const bytes = a.next(nodeSuite.randomBytes(size));
  return { vaultId: a.vaultId, scopeId: a.scopeId, author: a.id.publicKey, counter: a.counter, epoch: 1, hash: envelopeHash(bytes), bytes };
}

const snapshotOf = (a: Author, covers: number, size: number) => {
  const bytes = a.snapshot(covers, nodeSuite.randomBytes(size));
  return { vaultId: a.vaultId, scopeId: a.scopeId, author: a.id.publicKey, covers, bytes };
};

const genesisFor = (vaultId: Uint8Array, creator: ReturnType<typeof person>) =>
  createGenesis(nodeSuite, creator.signing, { vaultId, metaScope: toHex(randomId()), envScopes: [toHex(randomId())], creator: creator.identity, name: 'Ada' });

describe.each(BACKENDS)('stored bytes ($name)', (backend) => {
  let s: RelayStorage;
  beforeEach(async () => {
    s = await backend.open();
  });
  afterEach(() => s.close());

  it('are charged to the vault and each author, and credited back for what a snapshot prunes or replaces', async () => {
    const ada = person();
    const vaultId = randomId();
    const scopeId = randomId();
    await s.createVault(vaultId, ada.signing.publicKey, 1, 10);
    const genesis = genesisFor(vaultId, ada);
    await s.memberships.register(vaultId, s.memberships.checkGenesis(vaultId, ada.signing.publicKey, genesis.bytes), roomy);
    const g = genesis.bytes.byteLength;
    expect([await s.vaultBytes(vaultId), await s.keyBytes(ada.signing.publicKey)]).toEqual([g, g]);

    const a = new Author(ada.signing, vaultId, scopeId);
    const b = new Author(newIdentity(), vaultId, scopeId, a.key);
    const us = [next(a, 100), next(a, 120), next(b, 50), next(a, 10), next(b, 70)];
    expect((await s.appendUpdates(us, roomy)).every((r) => r.ok)).toBe(true);
    const len = (u: { bytes: Uint8Array }) => u.bytes.byteLength;
    const [a1, a2, b1, a3, b2] = us.map(len) as [number, number, number, number, number];
    expect(await s.vaultBytes(vaultId)).toBe(g + a1 + a2 + b1 + a3 + b2);
    expect(await s.keyBytes(a.id.publicKey)).toBe(g + a1 + a2 + a3);
    expect(await s.keyBytes(b.id.publicKey)).toBe(b1 + b2);

    // The same key in another vault: its total spans both.
    const other = new Author(ada.signing, randomId(), randomId());
    await s.createVault(other.vaultId, ada.signing.publicKey, 1, 10);
    const elsewhere = next(other, 40);
    await s.appendUpdates([elsewhere], roomy);
    expect(await s.keyBytes(a.id.publicKey)).toBe(g + a1 + a2 + a3 + len(elsewhere));
    expect(await s.vaultBytes(vaultId)).toBe(g + a1 + a2 + b1 + a3 + b2);

    // B's snapshot covers seq 1..4: a's three updates and b's first are pruned and credited.
    const snapB = snapshotOf(b, 4, 30);
    expect(await s.putSnapshot(snapB, roomy)).toEqual({ ok: true, stored: true });
    expect(await s.vaultBytes(vaultId)).toBe(g + b2 + len(snapB));
    expect(await s.keyBytes(a.id.publicKey)).toBe(g + len(elsewhere));
    expect(await s.keyBytes(b.id.publicKey)).toBe(b2 + len(snapB));

    // A's newer snapshot replaces B's and prunes b's last update.
    const snapA = snapshotOf(a, 5, 20);
    expect(await s.putSnapshot(snapA, roomy)).toEqual({ ok: true, stored: true });
    expect(await s.vaultBytes(vaultId)).toBe(g + len(snapA));
    expect(await s.keyBytes(a.id.publicKey)).toBe(g + len(elsewhere) + len(snapA));
    expect(await s.keyBytes(b.id.publicKey)).toBe(0);
    // An older one is not stored and changes nothing.
    expect(await s.putSnapshot(snapshotOf(b, 3, 500), roomy)).toEqual({ ok: true, stored: false });
    expect(await s.vaultBytes(vaultId)).toBe(g + len(snapA));
  });

  it('refuse an update that would take its vault past the quota, in the batch, storing nothing of it', async () => {
    const a = new Author(newIdentity(), randomId(), randomId());
    await s.createVault(a.vaultId, a.id.publicKey, 1, 10);
    const others = [0, 1, 2].map(() => new Author(newIdentity(), a.vaultId, a.scopeId, a.key));
    const us = [next(a, 100), ...others.map((o) => next(o, 100))];
    const size = us[0]!.bytes.byteLength; // every one the same size
    const quotas = { maxVaultBytes: 2 * size, maxKeyBytes: 1e12 };
    expect(await s.appendUpdates(us, quotas)).toEqual([
      { ok: true, seq: 1 },
      { ok: true, seq: 2 },
      { ok: false, over: { quota: 'vault', limit: 2 * size, used: 2 * size, adding: size } },
      { ok: false, over: { quota: 'vault', limit: 2 * size, used: 2 * size, adding: size } },
    ]);
    expect(await s.vaultBytes(a.vaultId)).toBe(2 * size);
    expect((await s.envelopesAfter(a.vaultId, a.scopeId, 0, { count: 10, bytes: 1e9 })).length).toBe(2);
    expect(await s.chainHead(a.vaultId, a.scopeId, others[1]!.id.publicKey)).toBeUndefined();
    expect(await s.keyBytes(others[1]!.id.publicKey)).toBe(0);
    // Up to the quota exactly is allowed.
    expect((await s.appendUpdates([next(a, 100)], { ...quotas, maxVaultBytes: 3 * size }))[0]).toEqual({ ok: true, seq: 3 });
  });

  it("refuse an update that would take its author past the key quota, across vaults", async () => {
    const id = newIdentity();
    const [v, w] = [new Author(id, randomId(), randomId()), new Author(id, randomId(), randomId())];
    for (const x of [v, w]) await s.createVault(x.vaultId, id.publicKey, 1, 10);
    const first = next(v, 100);
    const size = first.bytes.byteLength;
    const quotas = { maxVaultBytes: 1e12, maxKeyBytes: size + 10 };
    expect((await s.appendUpdates([first], quotas))[0]).toEqual({ ok: true, seq: 1 });
    expect((await s.appendUpdates([next(w, 100)], quotas))[0]).toEqual({ ok: false, over: { quota: 'key', limit: size + 10, used: size, adding: size } });
    expect(await s.vaultBytes(w.vaultId)).toBe(0);
  });

  it('let a snapshot through when it frees more than it adds, even at the quota; refuse one that grows past it', async () => {
    const a = new Author(newIdentity(), randomId(), randomId());
    await s.createVault(a.vaultId, a.id.publicKey, 1, 10);
    const us = [next(a, 200), next(a, 200), next(a, 200)];
    const total = us.reduce((n, u) => n + u.bytes.byteLength, 0);
    const full = { maxVaultBytes: total, maxKeyBytes: 1e12 };
    expect((await s.appendUpdates(us, full)).every((r) => r.ok)).toBe(true);
    const chain = { counter: a.counter, prevHash: a.prevHash };
    expect((await s.appendUpdates([next(a, 1)], full))[0]).toMatchObject({ ok: false, over: { quota: 'vault' } });
    Object.assign(a, chain); // that one was not stored

    const small = snapshotOf(a, 3, 100);
    expect(await s.putSnapshot(small, full)).toEqual({ ok: true, stored: true });
    expect(await s.vaultBytes(a.vaultId)).toBe(small.bytes.byteLength);

    const room = { maxVaultBytes: small.bytes.byteLength + 1000, maxKeyBytes: 1e12 };
    const update = next(a, 20);
    expect((await s.appendUpdates([update], room))[0]).toEqual({ ok: true, seq: 4 });
    const big = snapshotOf(a, 4, 3000);
    const result = await s.putSnapshot(big, room);
    expect(result).toEqual({
      ok: false,
      over: { quota: 'vault', limit: room.maxVaultBytes, used: small.bytes.byteLength + update.bytes.byteLength, adding: big.bytes.byteLength - small.bytes.byteLength - update.bytes.byteLength },
    });
    expect((await s.latestSnapshot(a.vaultId, a.scopeId))?.covers).toBe(3);
    expect((await s.envelopesAfter(a.vaultId, a.scopeId, 3, { count: 10, bytes: 1e9 })).map((e) => e.seq)).toEqual([4]);
  });

  it('count membership log entries, and refuse one over the quota without extending the log', async () => {
    const ada = person();
    const vaultId = randomId();
    await s.createVault(vaultId, ada.signing.publicKey, 1, 10);
    const genesis = genesisFor(vaultId, ada);
    const tight = { maxVaultBytes: genesis.bytes.byteLength - 1, maxKeyBytes: 1e12 };
    await expect(s.memberships.register(vaultId, s.memberships.checkGenesis(vaultId, ada.signing.publicKey, genesis.bytes), tight)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await s.memberships.state(vaultId)).toBeNull();
    expect(await s.vaultBytes(vaultId)).toBe(0);
  });

  it('limit the vaults one key registers, counting in the same transaction', async () => {
    const [owner, other] = [newIdentity().publicKey, newIdentity().publicKey];
    const ids = [randomId(), randomId(), randomId()];
    expect(await s.createVault(ids[0]!, owner, 1, 2)).toMatchObject({ ok: true, created: true });
    expect(await s.createVault(ids[1]!, owner, 1, 2)).toMatchObject({ ok: true, created: true });
    expect(await s.createVault(ids[2]!, owner, 1, 2)).toEqual({ ok: false, limit: 2 });
    expect(await s.getVault(ids[2]!)).toBeUndefined();
    // Its own vaults still answer (idempotent), and the limit is per key.
    expect(await s.createVault(ids[0]!, owner, 1, 2)).toMatchObject({ ok: true, created: false });
    expect(await s.createVault(ids[2]!, other, 1, 2)).toMatchObject({ ok: true, created: true });
  });
});

describe('a schema 1 database', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-relay-usage-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gets its totals computed once when opened, and credits pruning from them', async () => {
    const path = join(dir, 'relay.db');
    const ada = person();
    const vaultId = randomId();
    const a = new Author(ada.signing, vaultId, randomId());
    const b = new Author(newIdentity(), vaultId, a.scopeId, a.key);
    a.next('one'); // seq 1: pruned by the snapshot below, as schema 1 would have done
    const envelopes = [b.next('two'), a.next('three')]; // seq 2 (b's counter 1), seq 3 (a's counter 2)
    const snap = b.snapshot(1, 'covers one');
    const genesis = genesisFor(vaultId, ada);

    const raw = new Database(path);
    raw.exec(SCHEMA_1);
    raw.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    raw.prepare('INSERT INTO vaults (id, owner, created_at) VALUES (?, ?, 1)').run(vaultId, ada.signing.publicKey);
    raw.prepare("INSERT INTO members (vault_id, public_key, role) VALUES (?, ?, 'owner')").run(vaultId, ada.signing.publicKey);
    const insert = raw.prepare('INSERT INTO envelopes (vault_id, scope_id, seq, author, counter, hash, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run(vaultId, a.scopeId, 2, b.id.publicKey, 1, envelopeHash(envelopes[0]!), envelopes[0]!);
    insert.run(vaultId, a.scopeId, 3, a.id.publicKey, 2, envelopeHash(envelopes[1]!), envelopes[1]!);
    raw.prepare('INSERT INTO snapshots (vault_id, scope_id, covers, bytes) VALUES (?, ?, 1, ?)').run(vaultId, a.scopeId, snap);
    raw.prepare('INSERT INTO membership_log (vault_id, seq, bytes) VALUES (?, 0, ?)').run(vaultId, genesis.bytes);
    raw.prepare('INSERT INTO scopes (vault_id, scope_id, last_seq, epoch) VALUES (?, ?, 3, 1)').run(vaultId, a.scopeId);
    raw.close();

    const s = openSqliteStorage(path);
    try {
      const [e2, e3] = envelopes.map((e) => e.byteLength) as [number, number];
      const g = genesis.bytes.byteLength;
      expect(await s.vaultBytes(vaultId)).toBe(e2 + e3 + snap.byteLength + g);
      expect(await s.keyBytes(a.id.publicKey)).toBe(e3 + g);
      expect(await s.keyBytes(b.id.publicKey)).toBe(e2 + snap.byteLength);
      // The migrated snapshot's author was read from its bytes: replacing it credits b.
      const newer = a.snapshot(3, 'covers all');
      expect(await s.putSnapshot({ vaultId, scopeId: a.scopeId, author: a.id.publicKey, covers: 3, bytes: newer }, DEFAULT_LIMITS)).toEqual({ ok: true, stored: true });
      expect(await s.keyBytes(b.id.publicKey)).toBe(0);
      expect(await s.keyBytes(a.id.publicKey)).toBe(g + newer.byteLength);
      expect(await s.vaultBytes(vaultId)).toBe(g + newer.byteLength);
    } finally {
      await s.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: SCHEMA_VERSION }]);
    check.close();
    // Opening again migrates nothing twice.
    const again = openSqliteStorage(path);
    expect(await again.vaultBytes(vaultId)).toBe(genesis.bytes.byteLength + a.snapshot(3, 'covers all').byteLength);
    await again.close();
  });
});

// The tables as schema 1 created them (kept here as they were, whatever the code does now).
const SCHEMA_1 = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE vaults (id BLOB PRIMARY KEY, owner BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE members (
  vault_id BLOB NOT NULL, public_key BLOB NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')), PRIMARY KEY (vault_id, public_key)
) WITHOUT ROWID;
CREATE TABLE scopes (vault_id BLOB NOT NULL, scope_id BLOB NOT NULL, last_seq INTEGER NOT NULL, epoch INTEGER NOT NULL, PRIMARY KEY (vault_id, scope_id)) WITHOUT ROWID;
CREATE TABLE chain_heads (
  vault_id BLOB NOT NULL, scope_id BLOB NOT NULL, author BLOB NOT NULL, counter INTEGER NOT NULL, hash BLOB NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (vault_id, scope_id, author)
) WITHOUT ROWID;
CREATE TABLE envelopes (
  vault_id BLOB NOT NULL, scope_id BLOB NOT NULL, seq INTEGER NOT NULL, author BLOB NOT NULL, counter INTEGER NOT NULL, hash BLOB NOT NULL, bytes BLOB NOT NULL,
  UNIQUE (vault_id, scope_id, seq), UNIQUE (vault_id, scope_id, author, counter)
);
CREATE TABLE snapshots (vault_id BLOB NOT NULL, scope_id BLOB NOT NULL, covers INTEGER NOT NULL, bytes BLOB NOT NULL, UNIQUE (vault_id, scope_id));
CREATE TABLE membership_log (vault_id BLOB NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (vault_id, seq));
CREATE TABLE join_requests (vault_id BLOB NOT NULL, joiner BLOB NOT NULL, bytes BLOB NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (vault_id, joiner));
`;
