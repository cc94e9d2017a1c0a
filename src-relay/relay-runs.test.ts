// `deliver-run` frames against real sockets: negotiated in the handshake, sent only to clients
// that offered them, and carrying each seq once and in order, backfill and live alike.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CLIENT_SUBPROTOCOLS, SUBPROTOCOL, type RelayMessage } from '../src-shared/protocol/messages';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { fromHex } from '../src-shared/crypto/bytes';
import { addMember } from '../src-shared/membership/builders';
import { Author, deliveriesOf, newIdentity, ownedVault, person, RelayTestClient, sharedVault, startTestRelay, type Deliver, type DeliverRun } from '../test/helpers/relay-client';

let relay: Awaited<ReturnType<typeof startTestRelay>>;
const clients: RelayTestClient[] = [];

async function connectAs(id = newIdentity(), protocols: readonly string[] = CLIENT_SUBPROTOCOLS): Promise<RelayTestClient> {
  const c = await RelayTestClient.connectAs(relay.url, id, { protocols });
  clients.push(c);
  return c;
}

async function vault() {
  const v = await ownedVault(relay.url);
  clients.push(v.client);
  return v;
}

const isDelivery = (m: RelayMessage): m is Deliver | DeliverRun => m.type === 'deliver' || m.type === 'deliver-run';

/** Takes delivery frames until they bring `count` envelopes, each seq once: the frames, and the deliveries. */
async function receive(c: RelayTestClient, count: number): Promise<{ frames: (Deliver | DeliverRun)[]; deliveries: Deliver[] }> {
  const frames: (Deliver | DeliverRun)[] = [];
  const deliveries: Deliver[] = [];
  while (deliveries.length < count) {
    const frame = (await c.next(isDelivery)) as Deliver | DeliverRun;
    frames.push(frame);
    deliveries.push(...deliveriesOf(frame));
  }
  return { frames, deliveries };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeEach(async () => {
  relay = await startTestRelay();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

describe('the subprotocol', () => {
  it('is the runs one when offered, the plain one when only that is, and none for a client that offers none', async () => {
    expect((await connectAs(newIdentity(), CLIENT_SUBPROTOCOLS)).ws.protocol).toBe(SUBPROTOCOL.runs);
    expect((await connectAs(newIdentity(), [SUBPROTOCOL.plain])).ws.protocol).toBe(SUBPROTOCOL.plain);
    expect((await connectAs(newIdentity(), [])).ws.protocol).toBe('');
  });

  it('lets a relay that knows no subprotocols answer with the plain one (ws picks the first offered)', async () => {
    const old = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => old.once('listening', () => resolve()));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${(old.address() as { port: number }).port}`, [...CLIENT_SUBPROTOCOLS]);
      await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
      expect(ws.protocol).toBe(SUBPROTOCOL.plain);
      ws.terminate();
    } finally {
      await new Promise<void>((resolve) => old.close(() => resolve()));
    }
  });
});

describe('backfill', () => {
  it('comes in runs to a client that takes them, one envelope a frame to one that does not', async () => {
    const { owner, client, vaultId, author } = await vault();
    const pushed = Array.from({ length: 30 }, () => author.next());
    for (const e of pushed) await client.push(e);

    const runs = await connectAs(owner);
    const withRuns = await runs.subscribe(vaultId, [{ scopeId: author.scopeId, since: 4 }]);
    expect(withRuns.synced).toMatchObject({ type: 'synced' });
    const frames = runs.pending().filter(isDelivery);
    expect(frames.map((f) => f.type)).toEqual(['deliver-run']);
    expect(frames.flatMap(deliveriesOf).map((d) => [d.seq, d.envelope])).toEqual(range(5, 30).map((seq) => [seq, pushed[seq - 1]]));

    const plain = await connectAs(owner, []);
    const { delivers } = await plain.subscribe(vaultId);
    expect(delivers.map((d) => d.seq)).toEqual(range(1, 30));
    expect(plain.pending().some((m) => m.type === 'deliver-run')).toBe(false);
  });
});

describe('live', () => {
  it('brings pipelined pushes to every kind of reader, each seq once and in order', async () => {
    const { owner, client, vaultId, author } = await vault();
    const runs = await connectAs(owner);
    const plain = await connectAs(owner, []);
    await runs.subscribe(vaultId);
    await plain.subscribe(vaultId);
    const pushed = Array.from({ length: 60 }, () => author.next());
    await Promise.all(pushed.map((e) => client.push(e)));

    const got = await receive(runs, 60);
    expect(got.deliveries.map((d) => [d.seq, d.envelope])).toEqual(pushed.map((e, i) => [i + 1, e]));
    // Sixty pushes sent at once are stored in a few rounds, and a round reaches a reader as one frame.
    expect(got.frames.some((f) => f.type === 'deliver-run')).toBe(true);
    const plainGot = await receive(plain, 60);
    expect(plainGot.frames.every((f) => f.type === 'deliver')).toBe(true);
    expect(plainGot.deliveries.map((d) => d.seq)).toEqual(range(1, 60));
    // Nothing more: no seq twice.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs.pending().filter(isDelivery)).toEqual([]);
  });

  it("leave out a subscriber's own pushes (it has their acks) and bring it everyone else's, in order", async () => {
    const [alice, bob] = [person(), person()];
    const { vaultId, dev, genesis, owner } = await sharedVault(relay.url, alice);
    clients.push(owner);
    const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev] });
    expect(await owner.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'logged' });
    const key = genesis.newKeys.get(dev)!.get(1)!;
    const [aliceWrites, bobWrites] = [alice, bob].map((p) => new Author(p.signing, vaultId, fromHex(dev), key, 1, addBob.state.head));
    const [aliceSocket, bobSocket, watcher] = [await connectAs(alice.signing), await connectAs(bob.signing), await connectAs(alice.signing)];
    for (const c of [aliceSocket, bobSocket, watcher]) await c.subscribe(vaultId);

    // Both push into the one scope at once, pipelined: rounds hold both chains, interleaved.
    const [aliceAcks, bobAcks] = await Promise.all(
      [
        [aliceSocket, aliceWrites],
        [bobSocket, bobWrites],
      ].map(([socket, author]) => Promise.all(Array.from({ length: 30 }, () => (socket as RelayTestClient).push((author as Author).next())))),
    );
    const seqsOf = (acks: RelayMessage[]) => acks.map((a) => (a.type === 'ack' ? a.seq : -1));
    const [aliceSeqs, bobSeqs] = [seqsOf(aliceAcks!), seqsOf(bobAcks!)];
    expect([...aliceSeqs, ...bobSeqs].sort((a, z) => a - z)).toEqual(range(1, 60));

    expect((await receive(watcher, 60)).deliveries.map((d) => d.seq)).toEqual(range(1, 60));
    expect((await receive(aliceSocket, 30)).deliveries.map((d) => d.seq)).toEqual(bobSeqs);
    expect((await receive(bobSocket, 30)).deliveries.map((d) => d.seq)).toEqual(aliceSeqs);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const c of [aliceSocket, bobSocket, watcher]) expect(c.pending().filter(isDelivery)).toEqual([]);
  });
});
