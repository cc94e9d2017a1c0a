// The relay's protocol against real sockets: an in-process relay on 127.0.0.1, `ws` clients,
// real sealed and signed envelopes. Abuse and limits are in relay-abuse.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { authMessage } from '../src-shared/protocol/messages';
import { Author, newIdentity, ownedVault, randomId, RelayTestClient, startTestRelay, type Deliver } from '../test/helpers/relay-client';

let relay: Awaited<ReturnType<typeof startTestRelay>>;
const clients: RelayTestClient[] = [];

async function connectAs(id = newIdentity()): Promise<RelayTestClient> {
  const c = await RelayTestClient.connectAs(relay.url, id);
  clients.push(c);
  return c;
}

async function vault() {
  const v = await ownedVault(relay.url);
  clients.push(v.client);
  return v;
}

const seqs = (ds: readonly Deliver[]) => ds.map((d) => d.seq);

beforeEach(async () => {
  relay = await startTestRelay();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

describe('auth', () => {
  it('accepts a signature over the challenge', async () => {
    const c = await RelayTestClient.connect(relay.url);
    clients.push(c);
    expect(c.challenge).toHaveLength(32);
    await c.auth(newIdentity());
    expect(relay.relay.stats().authenticated).toBe(1);
  });

  it('refuses a signature over anything else and closes', async () => {
    const c = await RelayTestClient.connect(relay.url);
    clients.push(c);
    const id = newIdentity();
    const wrongNonce = nodeSuite.randomBytes(32);
    c.send({ type: 'auth', publicKey: id.publicKey, signature: nodeSuite.ed25519.sign(authMessage(wrongNonce), id.seed, id.publicKey) });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'AUTH_FAILED' });
    expect(await c.waitClosed()).toMatchObject({ code: 1008 });
  });

  it('refuses any other message before auth and closes', async () => {
    const c = await RelayTestClient.connect(relay.url);
    clients.push(c);
    c.send({ type: 'register', requestId: 1, vaultId: randomId() });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(await c.waitClosed()).toMatchObject({ code: 1008 });
  });
});

describe('register', () => {
  it('creates a vault, is idempotent for its owner, and refuses another key', async () => {
    const owner = newIdentity();
    const a = await connectAs(owner);
    const vaultId = randomId();
    expect(await a.register(vaultId)).toMatchObject({ type: 'registered' });
    expect(await a.register(vaultId)).toMatchObject({ type: 'registered' });
    const b = await connectAs();
    expect(await b.register(vaultId)).toMatchObject({ type: 'error', code: 'VAULT_EXISTS' });
    expect((await relay.storage.counts()).vaults).toBe(1);
  });
});

describe('push', () => {
  it('acks updates with seq 1, 2, 3', async () => {
    const { client, author } = await vault();
    for (const seq of [1, 2, 3]) expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq, scopeId: author.scopeId });
  });

  it('numbers each scope on its own', async () => {
    const { client, owner, vaultId, author } = await vault();
    const other = new Author(owner, vaultId, randomId());
    expect(await client.push(author.next())).toMatchObject({ seq: 1 });
    expect(await client.push(other.next())).toMatchObject({ seq: 1 });
    expect(await client.push(author.next())).toMatchObject({ seq: 2 });
  });

  it('keeps pipelined pushes in order', async () => {
    const { client, author } = await vault();
    const acks = await Promise.all(Array.from({ length: 20 }, () => client.push(author.next())));
    expect(acks.map((a) => (a.type === 'ack' ? a.seq : a.type))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('acks a re-push of the same bytes with the original seq (a lost ack)', async () => {
    const { client, author } = await vault();
    const envelopes = [author.next(), author.next(), author.next()];
    for (const e of envelopes) await client.push(e);
    expect(await client.push(envelopes[1]!)).toMatchObject({ type: 'ack', seq: 2 });
    expect(await client.push(envelopes[2]!)).toMatchObject({ type: 'ack', seq: 3 });
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 4 });
  });

  it('refuses a different envelope reusing a counter (REPLAY)', async () => {
    const { client, author } = await vault();
    await client.push(author.next());
    await client.push(author.next());
    expect(await client.push(author.seal(new Uint8Array([1]), { counter: 1, prevHash: new Uint8Array(32) }))).toMatchObject({ type: 'error', code: 'REPLAY' });
    expect(await client.push(author.seal(new Uint8Array([2]), { counter: 2 }))).toMatchObject({ type: 'error', code: 'REPLAY' });
  });

  it('refuses a skipped counter (COUNTER_GAP) and a forked chain (CHAIN_MISMATCH)', async () => {
    const { client, author } = await vault();
    await client.push(author.next());
    expect(await client.push(author.seal(new Uint8Array([1]), { counter: 3 }))).toMatchObject({ type: 'error', code: 'COUNTER_GAP' });
    expect(await client.push(author.seal(new Uint8Array([1]), { prevHash: nodeSuite.randomBytes(32) }))).toMatchObject({ type: 'error', code: 'CHAIN_MISMATCH' });
    // The socket stays usable after per-request errors.
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 2 });
  });

  it('refuses an author whose first update does not start the chain', async () => {
    const { client, author } = await vault();
    expect(await client.push(author.seal(new Uint8Array([1]), { prevHash: nodeSuite.randomBytes(32) }))).toMatchObject({ code: 'CHAIN_MISMATCH' });
    expect(await client.push(author.seal(new Uint8Array([1]), { counter: 2 }))).toMatchObject({ code: 'COUNTER_GAP' });
  });

  it('refuses a flipped bit in the signature (BAD_SIGNATURE)', async () => {
    const { client, author } = await vault();
    const bytes = author.seal(new Uint8Array([1, 2, 3]));
    bytes[bytes.length - 10]! ^= 0x01;
    expect(await client.push(bytes)).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' });
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('refuses bytes that are not an envelope (BAD_ENVELOPE) and keeps the socket', async () => {
    const { client, author } = await vault();
    expect(await client.push(new Uint8Array([1, 2, 3]))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
    expect(await client.push(author.seal(new Uint8Array(50)).subarray(0, 100))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
    expect(await client.push(author.next())).toMatchObject({ type: 'ack' });
  });

  it('refuses an unknown vault (UNKNOWN_VAULT)', async () => {
    const id = newIdentity();
    const c = await connectAs(id);
    const author = new Author(id, randomId(), randomId());
    expect(await c.push(author.next())).toMatchObject({ type: 'error', code: 'UNKNOWN_VAULT' });
    expect(await c.request({ type: 'subscribe', vaultId: randomId(), cursors: [] })).toMatchObject({ type: 'error', code: 'UNKNOWN_VAULT' });
  });

  it('refuses a pusher or subscriber who is not a member (NOT_A_MEMBER)', async () => {
    const { author, vaultId } = await vault();
    const stranger = await connectAs();
    expect(await stranger.push(author.next())).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
    expect(await stranger.request({ type: 'subscribe', vaultId, cursors: [] })).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
  });

  it("refuses an envelope whose author may not write, even from a member's socket (NO_WRITE_ACCESS)", async () => {
    const { client, vaultId, scopeId } = await vault();
    const outsider = new Author(newIdentity(), vaultId, scopeId);
    expect(await client.push(outsider.next())).toMatchObject({ type: 'error', code: 'NO_WRITE_ACCESS' });
  });

  it("refuses an epoch other than the scope's (STALE_EPOCH)", async () => {
    const { client, author } = await vault();
    await client.push(author.next());
    expect(await client.push(author.seal(new Uint8Array([1]), { epoch: 2 }))).toMatchObject({ type: 'error', code: 'STALE_EPOCH' });
    expect(await client.push(author.seal(new Uint8Array([1]), { epoch: 0 }))).toMatchObject({ type: 'error', code: 'STALE_EPOCH' });
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 2 });
  });
});

describe('subscribe', () => {
  it('fans a push out to other subscribed sockets, not back to the pusher', async () => {
    const { owner, client, vaultId, author } = await vault();
    const watcher = await connectAs(owner);
    expect((await watcher.subscribe(vaultId)).synced).toMatchObject({ type: 'synced', heads: [] });
    await client.subscribe(vaultId);
    const envelope = author.next();
    expect(await client.push(envelope)).toMatchObject({ type: 'ack', seq: 1 });
    const d = await watcher.nextDeliver();
    expect(d).toMatchObject({ vaultId, scopeId: author.scopeId, seq: 1 });
    expect(d.envelope).toEqual(envelope);
    await client.push(author.next());
    expect((await watcher.nextDeliver()).seq).toBe(2);
    expect(client.pending().filter((m) => m.type === 'deliver')).toEqual([]);
  });

  it('backfills after each cursor, from 0 for scopes not named, then reports heads', async () => {
    const { owner, client, vaultId, author } = await vault();
    const second = new Author(owner, vaultId, randomId());
    const pushed: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      pushed.push(author.next());
      await client.push(pushed[i]!);
    }
    await client.push(second.next());
    const reader = await connectAs(owner);
    const { delivers, synced } = await reader.subscribe(vaultId, [{ scopeId: author.scopeId, since: 2 }]);
    const ofScope = (s: Uint8Array) => delivers.filter((d) => Buffer.from(d.scopeId).equals(s));
    expect(seqs(ofScope(author.scopeId))).toEqual([3, 4, 5]);
    expect(ofScope(author.scopeId).map((d) => d.envelope)).toEqual(pushed.slice(2));
    expect(seqs(ofScope(second.scopeId))).toEqual([1]);
    expect(synced.type === 'synced' && new Map(synced.heads.map((h) => [Buffer.from(h.scopeId).toString('hex'), h.since]))).toEqual(
      new Map([
        [Buffer.from(author.scopeId).toString('hex'), 5],
        [Buffer.from(second.scopeId).toString('hex'), 1],
      ]),
    );
  });

  it('delivers every envelope once and in order while pushes race the backfill', async () => {
    const { owner, client, vaultId, author } = await vault();
    for (let i = 0; i < 50; i++) await client.push(author.next());
    const reader = await connectAs(owner);
    const pushes = Promise.all(Array.from({ length: 50 }, () => client.push(author.next())));
    const { delivers } = await reader.subscribe(vaultId);
    await pushes;
    const all = [...delivers];
    while (all.length < 100) all.push(await reader.nextDeliver());
    expect(seqs(all)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('stops deliveries after unsubscribe', async () => {
    const { owner, client, vaultId, author } = await vault();
    const watcher = await connectAs(owner);
    await watcher.subscribe(vaultId);
    watcher.send({ type: 'unsubscribe', vaultId });
    await watcher.register(vaultId); // a round trip: the unsubscribe has been handled
    await client.push(author.next());
    await expect(watcher.nextDeliver(300)).rejects.toThrow(/timed out/);
  });
});

describe('snapshots', () => {
  it('prune what they cover; new subscribers get the snapshot, then what follows', async () => {
    const { owner, client, vaultId, author } = await vault();
    const watcher = await connectAs(owner);
    await watcher.subscribe(vaultId);
    for (let i = 0; i < 5; i++) await client.push(author.next());
    const snapshot = author.snapshot(3);
    expect(await client.push(snapshot)).toMatchObject({ type: 'ack', seq: 3 });
    await client.push(author.next());

    // Live subscribers got the five updates and the sixth, never the snapshot.
    const live: Deliver[] = [];
    for (let i = 0; i < 6; i++) live.push(await watcher.nextDeliver());
    expect(seqs(live)).toEqual([1, 2, 3, 4, 5, 6]);

    const fresh = await connectAs(owner);
    const { delivers } = await fresh.subscribe(vaultId, [{ scopeId: author.scopeId, since: 0 }]);
    expect(seqs(delivers)).toEqual([3, 4, 5, 6]);
    expect(delivers[0]!.envelope).toEqual(snapshot);

    // A client already past the snapshot gets only what it lacks.
    const caughtUp = await connectAs(owner);
    expect(seqs((await caughtUp.subscribe(vaultId, [{ scopeId: author.scopeId, since: 4 }])).delivers)).toEqual([5, 6]);

    const stored = await relay.storage.envelopesAfter(vaultId, author.scopeId, 0, { count: 100, bytes: 1e9 });
    expect(stored.map((e) => e.seq)).toEqual([4, 5, 6]);
    // The chain survives pruning: the author goes on, and a re-push of its head still acks.
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 7 });
  });

  it('keep only the newest, and refuse covers outside 1..last seq', async () => {
    const { client, author, vaultId } = await vault();
    for (let i = 0; i < 4; i++) await client.push(author.next());
    expect(await client.push(author.snapshot(0))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
    expect(await client.push(author.snapshot(5))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
    expect(await client.push(author.snapshot(3, 'newer'))).toMatchObject({ type: 'ack', seq: 3 });
    expect(await client.push(author.snapshot(2, 'older'))).toMatchObject({ type: 'ack', seq: 2 });
    expect((await relay.storage.latestSnapshot(vaultId, author.scopeId))?.covers).toBe(3);
  });

  it('refuse a scope that has no envelopes yet', async () => {
    const { client, author } = await vault();
    expect(await client.push(author.snapshot(1))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
  });
});

describe('healthz and shutdown', () => {
  it('answers GET /healthz and 404 elsewhere', async () => {
    await vault();
    const res = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, vaults: 1, connections: 1 });
    expect((await fetch(`http://127.0.0.1:${relay.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${relay.port}/healthz/x`)).status).toBe(404);
  });

  it('serves GET /metrics in the Prometheus text format: pushes by outcome, connections, database time', async () => {
    const { client, author } = await vault();
    expect(await client.push(author.next())).toMatchObject({ type: 'ack' });
    expect(await client.push(author.seal(nodeSuite.randomBytes(8), { counter: 5 }))).toMatchObject({ type: 'error', code: 'COUNTER_GAP' });
    const res = await fetch(`http://127.0.0.1:${relay.port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('tessera_relay_pushes_total{outcome="accepted"} 1');
    expect(text).toContain('tessera_relay_pushes_total{outcome="COUNTER_GAP"} 1');
    expect(text).toContain('tessera_relay_connections 1');
    expect(text).toMatch(/tessera_relay_database_seconds_count [1-9]/);
    // No label names a vault, a key or an address.
    expect(text).not.toMatch(/vault=|key=|address=/);
  });

  it('closes every socket with 1001 on close()', async () => {
    const { client } = await vault();
    const idle = await RelayTestClient.connect(relay.url);
    clients.push(idle);
    await relay.close();
    expect(await client.waitClosed()).toMatchObject({ code: 1001 });
    expect(await idle.waitClosed()).toMatchObject({ code: 1001 });
  });
});
