// Group commit through real sockets: pipelined pushes stored several per transaction, acked
// only once durable and in request order, with bad ones refused alone. The store is the
// in-memory one behind a gate, so a test can hold a transaction open and see what waits.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { Author, newIdentity, randomId, RelayTestClient, type Deliver } from '../test/helpers/relay-client';
import type { RelayLimits } from './limits';
import { createRelay, type Relay } from './relay';
import { openMemoryStorage } from './sqlite-storage';
import type { AppendResult, NewUpdate, Quotas, RelayStorage } from './storage';

/** The in-memory store; each appendUpdates call is recorded and, while held, waits before committing. */
class GatedStorage {
  readonly storage: RelayStorage;
  /** The size of every appendUpdates call, in order. */
  readonly batches: number[] = [];
  private gate: Promise<void> | undefined;
  private open = () => undefined as void;
  private next: 'fail' | 'refuse' | undefined;
  private refuseAlways = false;

  constructor(readonly inner = openMemoryStorage()) {
    this.storage = { ...inner, appendUpdates: (us, quotas) => this.append(us, quotas) };
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open();
  }

  /** The next transaction throws (a full disk): nothing of it is stored. */
  failNext(): void {
    this.next = 'fail';
  }

  /** The next transaction (or every one) refuses each update, as if another relay had moved every head. */
  refuseNext(always = false): void {
    this.next = 'refuse';
    this.refuseAlways = always;
  }

  private async append(us: readonly NewUpdate[], quotas: Quotas): Promise<AppendResult[]> {
    this.batches.push(us.length);
    if (this.gate) await this.gate;
    const next = this.next;
    if (!this.refuseAlways) this.next = undefined;
    if (next === 'fail') throw new Error('disk full');
    if (next === 'refuse') return us.map(() => ({ ok: false }));
    return this.inner.appendUpdates(us, quotas);
  }
}

let relay: Relay | undefined;
let server: Server | undefined;
const clients: RelayTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  await new Promise((resolve) => server?.close(resolve));
  relay = server = undefined;
});

async function setUp(limits: Partial<RelayLimits> = {}) {
  const gated = new GatedStorage();
  relay = createRelay({ storage: gated.storage, limits, log: () => undefined });
  server = createServer();
  relay.attach(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const owner = newIdentity();
  const connect = async () => {
    const c = await RelayTestClient.connectAs(url, owner);
    clients.push(c);
    return c;
  };
  const client = await connect();
  const vaultId = randomId();
  expect(await client.register(vaultId)).toMatchObject({ type: 'registered' });
  return { gated, connect, client, owner, vaultId, author: new Author(owner, vaultId, randomId()) };
}

/** Sends pushes without waiting, numbering the requests from `first`. */
function pipeline(client: RelayTestClient, envelopes: readonly Uint8Array[], first = 1000): void {
  envelopes.forEach((envelope, i) => client.send({ type: 'push', requestId: first + i, envelope }));
}

/** The next `n` answers, in the order they arrived, as "ack <seq>" or the error code. */
async function answers(client: RelayTestClient, n: number, first = 1000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = await client.next((x) => x.type === 'ack' || x.type === 'error');
    expect('requestId' in m && m.requestId, `answer ${i}`).toBe(first + i);
    out.push(m.type === 'ack' ? `ack ${m.seq}` : m.type === 'error' ? m.code : m.type);
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

/** Holds the first push's transaction open, pipelines `rest` behind it, then lets it go. */
async function behindHeldCommit(s: Awaited<ReturnType<typeof setUp>>, first: Uint8Array, rest: readonly Uint8Array[]): Promise<void> {
  s.gated.hold();
  const before = s.gated.batches.length;
  pipeline(s.client, [first]);
  await until(() => s.gated.batches.length > before);
  pipeline(s.client, rest, 1001);
  await sleep(200); // their signature checks finish and they wait for the writer
  s.gated.release();
}

const storedSeqs = async (s: Awaited<ReturnType<typeof setUp>>, scopeId = s.author.scopeId) =>
  (await s.gated.inner.envelopesAfter(s.vaultId, scopeId, 0, { count: 1000, bytes: 1e9 })).map((e) => e.seq);

describe('group commit', () => {
  it('stores pipelined pushes in one transaction and acks them in order, with consecutive seqs', async () => {
    const s = await setUp();
    const envelopes = Array.from({ length: 31 }, () => s.author.next());
    await behindHeldCommit(s, envelopes[0]!, envelopes.slice(1));
    expect(await answers(s.client, 31)).toEqual(envelopes.map((_, i) => `ack ${i + 1}`));
    expect(s.gated.batches).toEqual([1, 30]);
      const stored = await s.gated.inner.envelopesAfter(s.vaultId, s.author.scopeId, 0, { count: 100, bytes: 1e9 });
    expect(stored.map((e) => e.bytes)).toEqual(envelopes);
  });

  it('acks nothing before its transaction has committed', async () => {
    const s = await setUp();
    s.gated.hold();
    pipeline(s.client, [s.author.next(), s.author.next(), s.author.next()]);
    await until(() => s.gated.batches.length > 0);
    await sleep(100);
    expect(s.client.pending()).toEqual([]);
    s.gated.release();
    expect(await answers(s.client, 3)).toEqual(['ack 1', 'ack 2', 'ack 3']);
  });

  it('refuses a bad push in the middle alone; the ones around it are stored and delivered in order', async () => {
    const s = await setUp();
    const watcher = await s.connect();
    await watcher.subscribe(s.vaultId);
    const a = s.author;
    const x = new Uint8Array([7]);
    const e1 = a.next();
    const e2 = a.next();
    const badSignature = a.seal(x);
    badSignature[badSignature.length - 10]! ^= 0x01;
    const e3 = a.next();
    const replay = a.seal(x, { counter: 2 });
    const e4 = a.next();
    const gap = a.seal(x, { counter: a.counter + 3 });
    const fork = a.seal(x, { prevHash: nodeSuite.randomBytes(32) });
    const staleEpoch = a.seal(x, { epoch: 2 });
    const e5 = a.next();
    const e6 = a.next();
    const sent = [e2, badSignature, e3, replay, e4, gap, fork, staleEpoch, e5, e5, e6];
    await behindHeldCommit(s, e1, sent);
    expect(await answers(s.client, 12)).toEqual([
      'ack 1', 'ack 2', 'BAD_SIGNATURE', 'ack 3', 'REPLAY', 'ack 4', 'COUNTER_GAP', 'CHAIN_MISMATCH', 'STALE_EPOCH', 'ack 5', 'ack 5', 'ack 6',
    ]);
    // A refusal or a duplicate that would rest on an update not yet committed waits for the
    // next transaction: e2 and e3 went together, then e4, e5 and e6 each after such a push.
    expect(s.gated.batches).toEqual([1, 2, 1, 1, 1]);
    const stored = await s.gated.inner.envelopesAfter(s.vaultId, a.scopeId, 0, { count: 100, bytes: 1e9 });
    expect(stored.map((e) => e.bytes)).toEqual([e1, e2, e3, e4, e5, e6]);
    const live: Deliver[] = [];
    while (live.length < 6) live.push(await watcher.nextDeliver());
    expect(live.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(live.map((d) => d.envelope)).toEqual([e1, e2, e3, e4, e5, e6]);
    await expect(watcher.nextDeliver(100)).rejects.toThrow(/timed out/);
  });

  it('keeps each socket in order and each scope consecutive when several sockets pipeline at once', async () => {
    const s = await setUp();
    const watcher = await s.connect();
    await watcher.subscribe(s.vaultId);
    // One scope per socket: until the membership log, the owner is the only author there is.
    const writers = [{ client: s.client, author: s.author }];
    for (let i = 0; i < 2; i++) writers.push({ client: await s.connect(), author: new Author(s.owner, s.vaultId, randomId()) });
    const sent = writers.map((w) => Array.from({ length: 40 }, () => w.author.next()));
    writers.forEach((w, i) => pipeline(w.client, sent[i]!));
    for (const [i, w] of writers.entries()) expect(await answers(w.client, 40)).toEqual(sent[i]!.map((_, k) => `ack ${k + 1}`));
    expect(s.gated.batches.length).toBeLessThan(120);
    const live: Deliver[] = [];
    while (live.length < 120) live.push(await watcher.nextDeliver());
    for (const [i, w] of writers.entries()) {
      const ofScope = live.filter((d) => Buffer.from(d.scopeId).equals(w.author.scopeId));
      expect(ofScope.map((d) => d.seq)).toEqual(Array.from({ length: 40 }, (_, k) => k + 1));
      expect(ofScope.map((d) => d.envelope)).toEqual(sent[i]);
    }
  });

  it('finishes the pushes received before shutdown and refuses later ones in turn', async () => {
    const s = await setUp();
    const envelopes = [s.author.next(), s.author.next(), s.author.next()];
    s.gated.hold();
    pipeline(s.client, envelopes);
    await until(() => s.gated.batches.length > 0);
    const closed = relay!.close();
    pipeline(s.client, [s.author.next()], 1003);
    await sleep(100); // the late push reaches the relay
    s.gated.release();
    expect(await answers(s.client, 4)).toEqual(['ack 1', 'ack 2', 'ack 3', 'SHUTTING_DOWN']);
    expect(await s.client.waitClosed()).toMatchObject({ code: 1001 });
    await closed;
    expect(await storedSeqs(s)).toEqual([1, 2, 3]);
  });

  it('stores a pipelined snapshot after the updates it covers', async () => {
    const s = await setUp();
    const updates = [s.author.next(), s.author.next(), s.author.next()];
    const after = s.author.next();
    await behindHeldCommit(s, updates[0]!, [updates[1]!, updates[2]!, s.author.snapshot(3), after]);
    expect(await answers(s.client, 5)).toEqual(['ack 1', 'ack 2', 'ack 3', 'ack 3', 'ack 4']);
    expect((await s.gated.inner.latestSnapshot(s.vaultId, s.author.scopeId))?.covers).toBe(3);
    expect(await storedSeqs(s)).toEqual([4]);
  });

  it('runs anything but a push alone: pushes pipelined behind register wait for the vault', async () => {
    const s = await setUp();
    const vaultId = randomId();
    const author = new Author(s.owner, vaultId, randomId());
    s.client.send({ type: 'register', requestId: 999, vaultId });
    pipeline(s.client, [author.next(), author.next(), author.next()]);
    expect(await s.client.next((m) => m.type === 'registered' || m.type === 'error' || m.type === 'ack')).toMatchObject({ type: 'registered', requestId: 999 });
    expect(await answers(s.client, 3)).toEqual(['ack 1', 'ack 2', 'ack 3']);
  });

  it('answers a failed transaction with INTERNAL for each of its pushes and stores none of them', async () => {
    const s = await setUp();
    const envelopes = Array.from({ length: 4 }, () => s.author.next());
    s.gated.failNext();
    await behindHeldCommit(s, envelopes[0]!, envelopes.slice(1));
    // The held one failed; the others, checked against a head that never moved, are gaps.
    expect(await answers(s.client, 4)).toEqual(['INTERNAL', 'COUNTER_GAP', 'COUNTER_GAP', 'COUNTER_GAP']);
    expect(await storedSeqs(s)).toEqual([]);
    pipeline(s.client, envelopes, 2000);
    expect(await answers(s.client, 4, 2000)).toEqual(['ack 1', 'ack 2', 'ack 3', 'ack 4']);
  });

  it('checks and writes again when another relay moved a head meanwhile, and gives up after a few rounds', async () => {
    const s = await setUp();
    s.gated.refuseNext();
    pipeline(s.client, [s.author.next(), s.author.next()]);
    expect(await answers(s.client, 2)).toEqual(['ack 1', 'ack 2']);
    s.gated.refuseNext(true);
    pipeline(s.client, [s.author.next()], 2000);
    expect(await answers(s.client, 1, 2000)).toEqual(['INTERNAL']);
    expect(await storedSeqs(s)).toEqual([1, 2]);
  });

  it('reads no further than maxQueuedRequests ahead, and answers every push of a long pipeline in order', async () => {
    const s = await setUp({ maxQueuedRequests: 4 });
    const envelopes = Array.from({ length: 100 }, () => s.author.next());
    pipeline(s.client, envelopes);
    expect(await answers(s.client, 100)).toEqual(envelopes.map((_, i) => `ack ${i + 1}`));
  });
});
