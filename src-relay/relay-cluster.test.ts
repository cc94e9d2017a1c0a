// Two relay processes' worth of relays (each its own pool, its own LISTEN connection, its own
// memory) on one PostgreSQL database: what one stores reaches the other's subscribers, what
// one appends to a membership log the other knows at once, and racing pushes are decided by
// the database. The kill -9 and restart cases run real processes (test/integration).
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { fromHex } from '../src-shared/crypto/bytes';
import { addMember } from '../src-shared/membership/builders';
import { freshPgDatabase, PG_URL } from '../test/helpers/storage-backends';
import { Author, ownedVault, person, RelayTestClient, sharedVault, type Deliver } from '../test/helpers/relay-client';
import { startRelay, type RunningRelay } from './main';

const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function twoRelays(): Promise<{ a: RunningRelay; b: RunningRelay; url: string }> {
  const db = await freshPgDatabase();
  cleanup.push(db.drop);
  const start = async () => {
    const r = await startRelay({ host: '127.0.0.1', port: 0, db: db.url, log: () => undefined, out: () => undefined });
    cleanup.push(r.close);
    return r;
  };
  return { a: await start(), b: await start(), url: db.url };
}

async function sql<T>(url: string, text: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const seqs = (ds: Deliver[]) => ds.map((d) => d.seq);

async function deliveries(client: RelayTestClient, n: number): Promise<Deliver[]> {
  const out: Deliver[] = [];
  while (out.length < n) out.push(await client.nextDeliver(10_000));
  return out;
}

describe.skipIf(!PG_URL)('several relay processes on one PostgreSQL', () => {
  it('delivers what writers on A push to readers on B and on A, each change once, stored once', async () => {
    const { a, b, url } = await twoRelays();
    const [alice, bob] = [person(), person()];
    const { vaultId, dev, genesis, owner: writer } = await sharedVault(a.url, alice);
    const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev] });
    expect(await writer.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'logged' });
    const key = genesis.newKeys.get(dev)!.get(1)!;
    const author = new Author(alice.signing, vaultId, fromHex(dev), key, 1, addBob.state.head);
    const second = new Author(bob.signing, vaultId, fromHex(dev), key, 1, addBob.state.head);
    const secondSocket = await RelayTestClient.connectAs(b.url, bob.signing);
    const onB = await RelayTestClient.connectAs(b.url, alice.signing);
    const onA = await RelayTestClient.connectAs(a.url, bob.signing);
    await onB.subscribe(vaultId);
    await onA.subscribe(vaultId);
    // Two writers of one scope, one on each relay, pipelining: seqs interleave across processes.
    const pushes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      pushes.push(writer.push(author.next(`a${i}`)));
      pushes.push(secondSocket.push(second.next(`b${i}`)));
    }
    const acks = await Promise.all(pushes);
    expect(acks.every((m) => (m as { type: string }).type === 'ack')).toBe(true);
    // Each reader gets every seq once, in order (its own pushes it knows from their acks).
    const want = Array.from({ length: 80 }, (_, i) => i + 1);
    expect(seqs(await deliveries(onB, 80))).toEqual(want);
    expect(seqs(await deliveries(onA, 80))).toEqual(want);
    expect(onB.pending().filter((m) => m.type === 'deliver')).toEqual([]);
    const [stored] = await sql<{ n: string; distinct: string }>(url, 'SELECT count(*) AS n, count(DISTINCT (author, counter)) AS distinct FROM envelopes');
    expect([Number(stored?.n), Number(stored?.distinct)]).toEqual([80, 80]);
    // The fan-out across processes is measured: B saw 80 notices' worth of deliveries.
    const metrics = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text();
    expect(metrics).toMatch(/tessera_relay_deliveries_total\{source="remote"\} (\d+)/);
    expect(Number(/tessera_relay_fanout_lag_seconds_count (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  });

  it('accepts exactly one push per counter when two relays race on one chain', async () => {
    const { a, b, url } = await twoRelays();
    const { owner, vaultId, scopeId } = await ownedVault(a.url);
    const onA = await RelayTestClient.connectAs(a.url, owner);
    const onB = await RelayTestClient.connectAs(b.url, owner);
    // The same author's chain, forked: each counter is signed twice with different bytes.
    const left = new Author(owner, vaultId, scopeId);
    const right = new Author(owner, vaultId, scopeId);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => Promise.all([onA.push(left.seal(nodeSuite.randomBytes(8), { counter: i + 1 })), onB.push(right.seal(nodeSuite.randomBytes(8), { counter: i + 1 }))])));
    // Only counter 1 can win on a fresh chain (each later one links to its own fork's prev hash).
    const first = results[0]!.map((m) => m.type);
    expect(first.sort()).toEqual(['ack', 'error']);
    const rows = await sql<{ counter: string; n: string }>(url, 'SELECT counter, count(*) AS n FROM envelopes GROUP BY counter');
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  });

  it('tells B of a member A added: B forgets its cached membership and announces the entry', async () => {
    const { a, b } = await twoRelays();
    const [alice, bob] = [person(), person()];
    const { vaultId, dev, genesis, owner } = await sharedVault(a.url, alice);
    const aliceOnB = await RelayTestClient.connectAs(b.url, alice.signing);
    await aliceOnB.subscribe(vaultId); // B now holds the vault's membership state
    const bobOnB = await RelayTestClient.connectAs(b.url, bob.signing);
    expect(await bobOnB.subscribe(vaultId).then((r) => r.synced)).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
    const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev] });
    expect(await owner.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'logged', seq: 1 });
    expect(await aliceOnB.next((m) => m.type === 'log', 10_000)).toMatchObject({ type: 'log', requestId: 0, from: 1, length: 2 });
    expect((await bobOnB.subscribe(vaultId)).synced).toMatchObject({ type: 'synced' });
    // And Bob's write through B checks against the log A extended.
    const bobWrites = new Author(bob.signing, vaultId, fromHex(dev), genesis.newKeys.get(dev)!.get(1)!, 1, addBob.state.head);
    expect(await bobOnB.push(bobWrites.next('bob'))).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('reads what it missed while its notice connection was down', async () => {
    const { a, b, url } = await twoRelays();
    const { owner, client: writer, vaultId, author } = await ownedVault(a.url);
    const onB = await RelayTestClient.connectAs(b.url, owner);
    await onB.subscribe(vaultId);
    // Cut B's LISTEN connection (as a database failover would), and push while it is gone.
    await sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()");
    for (let i = 0; i < 5; i++) expect(await writer.push(author.next(`m${i}`))).toMatchObject({ type: 'ack' });
    // Some notices may reach B before its connection is cut; the rest it reads on resuming.
    expect(seqs(await deliveries(onB, 5))).toEqual([1, 2, 3, 4, 5]);
    await expect.poll(async () => /tessera_relay_notice_resumes_total (\d+)/.exec(await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text())?.[1], { timeout: 10_000 }).toBe('1');
  });
});
