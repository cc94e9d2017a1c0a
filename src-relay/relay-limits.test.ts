// What a stranger, or a fresh key, can make the relay hold: nothing in memory for vaults it
// does not know, and no more on disk than the quotas. Each refusal has its code, and honest
// members of other vaults are served throughout. (Protocol abuse is in relay-abuse.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { fromHex, toHex } from '../src-shared/crypto/bytes';
import type { RelayMessage } from '../src-shared/protocol/messages';
import { Author, newIdentity, ownedVault, person, randomId, RelayTestClient, sharedVault, startTestRelay } from '../test/helpers/relay-client';
import { addMember, createGenesis } from '../src-shared/membership/builders';
import { DEFAULT_LIMITS, type RelayLimits } from './limits';
import { addressGroup, Registrations } from './registration';
import { openMemoryStorage } from './sqlite-storage';

let relay: Awaited<ReturnType<typeof startTestRelay>> | undefined;
const clients: RelayTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

async function setUp(limits: Partial<RelayLimits> = {}) {
  relay = await startTestRelay({ messagesPerSecond: 100_000, messageBurst: 100_000, ...limits });
  const honest = await vault();
  expect(await honest.client.push(honest.author.next())).toMatchObject({ type: 'ack', seq: 1 });
  let seq = 1;
  /** The honest member of another vault still pushes and gets the next seq. */
  const stillServes = async () => expect(await honest.client.push(honest.author.next())).toMatchObject({ type: 'ack', seq: ++seq });
  return { relay, stillServes };
}

async function vault() {
  const v = await ownedVault(relay!.url);
  clients.push(v.client);
  return v;
}

async function connectAs(id = newIdentity()) {
  const c = await RelayTestClient.connectAs(relay!.url, id);
  clients.push(c);
  return c;
}

/** Pushes `author`'s updates of `size` bytes until one is refused (at most `max`); returns the acks and the refusal. */
async function pushUntilRefused(client: RelayTestClient, author: Author, size: number, max: number): Promise<{ acked: number; refusal: RelayMessage }> {
  for (let acked = 0; acked < max; acked++) {
    const chain = { counter: author.counter, prevHash: author.prevHash };
    const answer = await client.push(author.next(nodeSuite.randomBytes(size)));
    if (answer.type !== 'ack') {
      Object.assign(author, chain); // not stored: the chain goes on from the last stored one
      return { acked, refusal: answer };
    }
  }
  throw new Error(`no refusal after ${max} pushes`);
}

describe('vault ids a stranger makes up', () => {
  it('leave nothing in memory, whatever the request', async () => {
    const { relay, stillServes } = await setUp();
    const stranger = await connectAs();
    const asks: Promise<RelayMessage>[] = [];
    for (let i = 0; i < 500; i++) {
      asks.push(stranger.request({ type: 'log-fetch', vaultId: randomId(), from: 0 }));
      asks.push(stranger.request({ type: 'join-list', vaultId: randomId() }));
      asks.push(stranger.request({ type: 'join', vaultId: randomId(), request: new Uint8Array(8) }));
    }
    const answers = await Promise.all(asks);
    expect(new Set(answers.map((a) => (a.type === 'error' ? a.code : a.type)))).toEqual(new Set(['NOT_A_MEMBER', 'UNKNOWN_VAULT']));
    // The honest vault was registered without a log: nothing is cached for it either.
    expect(relay.storage.memberships.cachedVaults).toBe(0);
    await stillServes();
  });
});

describe('storage quotas', () => {
  it('refuse a push that would take the vault past its quota (QUOTA_EXCEEDED), until a snapshot frees room', async () => {
    const { relay, stillServes } = await setUp({ maxVaultBytes: 20_000 });
    const { client, author, vaultId } = await vault();
    const { acked, refusal } = await pushUntilRefused(client, author, 1_000, 100);
    expect(acked).toBeGreaterThan(0);
    expect(refusal).toMatchObject({ type: 'error', code: 'QUOTA_EXCEEDED' });
    expect(refusal.type === 'error' && refusal.message).toMatch(/vault quota of 20000 bytes per vault/);
    expect(await relay.storage.vaultBytes(vaultId)).toBeLessThanOrEqual(20_000);
    await stillServes();

    // A snapshot of everything, smaller than what it prunes, makes room for more.
    expect(await client.push(author.snapshot(acked, 'everything so far'))).toMatchObject({ type: 'ack', seq: acked });
    expect(await client.push(author.next(nodeSuite.randomBytes(1_000)))).toMatchObject({ type: 'ack', seq: acked + 1 });
  });

  it('refuse a push that would take its author past the key quota, across the vaults it writes', async () => {
    const { stillServes } = await setUp({ maxKeyBytes: 20_000 });
    const first = await vault();
    const { acked } = await pushUntilRefused(first.client, first.author, 1_000, 100);
    expect(acked).toBeGreaterThan(0);
    // The same key in a vault of its own: nothing more fits.
    const second = new Author(first.owner, randomId(), randomId());
    expect(await first.client.register(second.vaultId)).toMatchObject({ type: 'registered' });
    const refusal = await first.client.push(second.next(nodeSuite.randomBytes(1_000)));
    expect(refusal).toMatchObject({ type: 'error', code: 'QUOTA_EXCEEDED' });
    expect(refusal.type === 'error' && refusal.message).toMatch(/key quota of 20000 bytes per key/);
    await stillServes();
  });

  it('hold under the quota however many sockets push at once', async () => {
    const { relay, stillServes } = await setUp({ maxVaultBytes: 30_000 });
    const { vaultId, owner } = await vault();
    const scopes = [0, 1, 2, 3].map(() => new Author(owner, vaultId, randomId()));
    const sockets = await Promise.all(scopes.map(() => connectAs(owner)));
    // Pipelined: each round of group commit takes pushes of every socket in one transaction.
    const answers = await Promise.all(scopes.flatMap((a, i) => Array.from({ length: 15 }, () => sockets[i]!.push(a.next(nodeSuite.randomBytes(900))))));
    const acked = answers.filter((a) => a.type === 'ack').length;
    expect(acked).toBeGreaterThan(0);
    expect(answers.some((a) => a.type === 'error' && a.code === 'QUOTA_EXCEEDED')).toBe(true);
    const stored = await Promise.all(scopes.map((a) => relay.storage.envelopesAfter(vaultId, a.scopeId, 0, { count: 100, bytes: 1e9 })));
    const storedBytes = stored.flat().reduce((n, e) => n + e.bytes.byteLength, 0);
    expect(stored.flat().length).toBe(acked);
    expect(storedBytes).toBeLessThanOrEqual(30_000);
    expect(await relay.storage.vaultBytes(vaultId)).toBe(storedBytes);
    await stillServes();
  });

  it('count the membership log: an entry over the quota is refused and the log stays as it was', async () => {
    const { stillServes } = await setUp({ maxVaultBytes: 6_000 });
    const alice = person();
    const { vaultId, dev, genesis, owner } = await sharedVault(relay!.url, alice);
    clients.push(owner);
    const writer = new Author(alice.signing, vaultId, fromHex(dev), genesis.newKeys.get(dev)!.get(1)!, 1, genesis.state.head);
    await pushUntilRefused(owner, writer, 500, 100);
    await pushUntilRefused(owner, writer, 1, 100); // what room is left is smaller than an envelope
    const bob = person();
    const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'viewer', envScopes: [dev] });
    expect(await owner.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'error', code: 'QUOTA_EXCEEDED' });
    expect(await owner.request({ type: 'log-fetch', vaultId, from: 0 })).toMatchObject({ type: 'log', length: 1 });
    await stillServes();
  });
});

describe('registration limits', () => {
  it('refuse a key more vaults than its limit (REGISTRATION_LIMITED); registering one again does not count', async () => {
    const { relay, stillServes } = await setUp({ maxVaultsPerKey: 3 });
    const alice = person();
    const shared = await sharedVault(relay.url, alice);
    clients.push(shared.owner);
    const ids = [randomId(), randomId()];
    for (const id of ids) expect(await shared.owner.register(id)).toMatchObject({ type: 'registered' });
    const refused = await shared.owner.register(randomId());
    expect(refused).toMatchObject({ type: 'error', code: 'REGISTRATION_LIMITED' });
    expect(refused.type === 'error' && refused.message).toMatch(/registered 3 vaults/);
    // What its clients do on every sync: register again, with the genesis where there is one.
    expect(await shared.owner.request({ type: 'register', vaultId: shared.vaultId, genesis: shared.genesis.bytes })).toMatchObject({ type: 'registered' });
    for (const id of ids) expect(await shared.owner.register(id)).toMatchObject({ type: 'registered' });
    // Another key has its own count.
    expect(await (await connectAs()).register(randomId())).toMatchObject({ type: 'registered' });
    expect((await relay.storage.counts()).vaults).toBe(1 + 3 + 1);
    await stillServes();
  });

  it('refuse an address more new vaults per hour than its rate, whatever keys it uses', async () => {
    // The honest vault of setUp is the first registration from 127.0.0.1.
    const { relay, stillServes } = await setUp({ registrationsPerHour: 3 });
    const first = await connectAs();
    const vaultId = randomId();
    expect(await first.register(vaultId)).toMatchObject({ type: 'registered' });
    // Registering an existing vault again, as every sync does, takes nothing from the bucket.
    for (let i = 0; i < 5; i++) expect(await first.register(vaultId)).toMatchObject({ type: 'registered' });
    expect(await (await connectAs()).register(randomId())).toMatchObject({ type: 'registered' });
    const fresh = await (await connectAs()).register(randomId());
    expect(fresh).toMatchObject({ type: 'error', code: 'REGISTRATION_LIMITED' });
    expect(fresh.type === 'error' && fresh.message).toMatch(/registered 3 vaults within an hour/);
    expect((await relay.storage.counts()).vaults).toBe(3);
    await stillServes();
  });

  it("never store a stranger's genesis for a vault registered by another key", async () => {
    const { relay } = await setUp();
    const { client, author, vaultId } = await vault(); // registered before sharing: no log
    const mallory = person();
    const genesis = createGenesis(nodeSuite, mallory.signing, { vaultId, metaScope: toHex(randomId()), envScopes: [], creator: mallory.identity, name: 'Mallory' });
    const socket = await connectAs(mallory.signing);
    expect(await socket.request({ type: 'register', vaultId, genesis: genesis.bytes })).toMatchObject({ type: 'error', code: 'VAULT_EXISTS' });
    expect(await relay.storage.memberships.state(vaultId)).toBeNull();
    expect(await socket.request({ type: 'log-fetch', vaultId, from: 0 })).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
    expect(await client.push(author.next())).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('give an address its registrations back at the hourly rate', async () => {
    const storage = openMemoryStorage();
    try {
      let now = 0;
      const registrations = new Registrations(storage, { ...DEFAULT_LIMITS, registrationsPerHour: 2 }, () => now);
      const register = (address: string) => registrations.register(newIdentity().publicKey, address, randomId()).then(() => 'ok', (e: { code: string }) => e.code);
      expect([await register('198.51.100.7'), await register('198.51.100.7'), await register('198.51.100.7')]).toEqual(['ok', 'ok', 'REGISTRATION_LIMITED']);
      // Another address, and the same one over IPv4-mapped IPv6, or later.
      expect(await register('203.0.113.9')).toBe('ok');
      expect(await register('::ffff:198.51.100.7')).toBe('REGISTRATION_LIMITED');
      now += 1_800_000; // half an hour: one registration back
      expect([await register('198.51.100.7'), await register('198.51.100.7')]).toEqual(['ok', 'REGISTRATION_LIMITED']);
      // One IPv6 /64 is one client.
      expect([await register('2001:db8:1:2::1'), await register('2001:db8:1:2:ffff::9'), await register('2001:db8:1:2:a:b:c:d')]).toEqual(['ok', 'ok', 'REGISTRATION_LIMITED']);
      expect(await register('2001:db8:1:3::1')).toBe('ok');
    } finally {
      await storage.close();
    }
  });

  it('count IPv4 addresses alone and IPv6 by /64', () => {
    expect(addressGroup('127.0.0.1')).toBe('127.0.0.1');
    expect(addressGroup('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});
