// The relay's rights come from the vault's signed membership log: a viewer's write is
// refused, an editor's accepted, an entry that breaks the log's rules never appended.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { fromHex, toHex } from '../src-shared/crypto/bytes';
import { addMember, createGenesis } from '../src-shared/membership/builders';
import { decodeEntry, encodeEntry } from '../src-shared/membership/entry';
import type { MembershipState } from '../src-shared/membership/state';
import { Author, person, RelayTestClient, sharedVault, startTestRelay } from '../test/helpers/relay-client';
import { DEFAULT_LIMITS as QUOTAS } from './limits';
import { Memberships, type MembershipStore } from './membership';
import { openMemoryStorage } from './sqlite-storage';

const relays: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

describe('membership on the relay', () => {
  it('takes members and write rights from the log, and appends only entries that follow its rules', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const [alice, bob, carol] = [person(), person(), person()];
    const { vaultId, dev, genesis, owner: ownerSocket } = await sharedVault(relay.url, alice);
    const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev] });
    const addCarol = addMember(nodeSuite, addBob.state, alice.signing, genesis.newKeys, { identity: carol.identity, name: 'Carol', role: 'viewer', envScopes: [dev] });
    expect(await ownerSocket.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'logged', seq: 1 });
    // The same entry again, and an entry built on an old head, break the chain.
    expect(await ownerSocket.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'error', code: 'MEMBERSHIP_REFUSED' });
    expect(await ownerSocket.request({ type: 'log-append', vaultId, entry: addCarol.bytes })).toMatchObject({ type: 'logged', seq: 2 });
    // A viewer cannot add members: Carol signs an add entry of her own on the current head.
    const dave = person();
    const carolSocket = await RelayTestClient.connectAs(relay.url, carol.signing);
    const template = addMember(nodeSuite, addCarol.state, alice.signing, genesis.newKeys, { identity: dave.identity, name: 'Dave', role: 'viewer', envScopes: [] });
    const byCarol = encodeEntry(nodeSuite, { vaultId, seq: 3, prevHash: addCarol.state.head.hash, at: Date.now() }, decodeEntry(template.bytes).body, carol.signing);
    expect(await carolSocket.request({ type: 'log-append', vaultId, entry: byCarol })).toMatchObject({ type: 'error', code: 'MEMBERSHIP_REFUSED' });

    const key = genesis.newKeys.get(dev)!.get(1)!;
    const bobWrites = new Author(bob.signing, vaultId, fromHex(dev), key, 1, addCarol.state.head);
    const carolWrites = new Author(carol.signing, vaultId, fromHex(dev), key, 1, addCarol.state.head);
    const bobSocket = await RelayTestClient.connectAs(relay.url, bob.signing);
    expect(await bobSocket.push(bobWrites.next('bob writes'))).toMatchObject({ type: 'ack', seq: 1 });
    expect(await carolSocket.push(carolWrites.next('carol tries'))).toMatchObject({ type: 'error', code: 'NO_WRITE_ACCESS' });
    // Someone the log does not name is not a member, whatever they sign.
    const stranger = await RelayTestClient.connectAs(relay.url, dave.signing);
    expect(await stranger.request({ type: 'log-fetch', vaultId, from: 0 })).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
    const log = await carolSocket.request({ type: 'log-fetch', vaultId, from: 0 });
    expect(log).toMatchObject({ type: 'log', length: 3 });
    // Join requests: every person who is a member sees them (each links their own devices
    // through them); someone the log does not name does not.
    expect(await carolSocket.request({ type: 'join-list', vaultId })).toMatchObject({ type: 'joins' });
    expect(await bobSocket.request({ type: 'join-list', vaultId })).toMatchObject({ type: 'joins' });
    expect(await stranger.request({ type: 'join-list', vaultId })).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
  });
});

describe('the membership cache', () => {
  /** A vault with a membership log of `members` entries after its genesis, registered in `memberships`. */
  async function loggedVault(memberships: Memberships, members = 0) {
    const alice = person();
    const [meta, dev] = [toHex(nodeSuite.randomBytes(16)), toHex(nodeSuite.randomBytes(16))];
    const vaultId = nodeSuite.randomBytes(16);
    const genesis = createGenesis(nodeSuite, alice.signing, { vaultId, metaScope: meta, envScopes: [dev], creator: alice.identity, name: 'Alice' });
    await memberships.register(vaultId, memberships.checkGenesis(vaultId, alice.signing.publicKey, genesis.bytes), QUOTAS);
    let state = genesis.state;
    const added: string[] = [];
    for (let i = 0; i < members; i++) {
      const m = person();
      const entry = addMember(nodeSuite, state, alice.signing, genesis.newKeys, { identity: m.identity, name: `M${i}`, role: 'viewer', envScopes: [] });
      await memberships.append(vaultId, entry.bytes, QUOTAS);
      state = entry.state;
      added.push(toHex(m.signing.publicKey));
    }
    return { vaultId, alice, genesis, state, added };
  }

  const summary = (s: MembershipState | null) => s && { genesis: toHex(s.genesisHash), head: s.head.seq, members: [...s.members.keys()].sort() };

  it('keeps nothing for vault ids it does not know, however many are asked about', async () => {
    const storage = openMemoryStorage();
    try {
      const { memberships } = storage;
      await loggedVault(memberships);
      // A vault registered before sharing has no log either: its state is null, and not kept.
      const legacy = nodeSuite.randomBytes(16);
      await storage.createVault(legacy, nodeSuite.randomBytes(32), 1, 1);
      expect(await memberships.state(legacy)).toBeNull();
      for (let i = 0; i < 2_000; i++) expect(await memberships.state(nodeSuite.randomBytes(16))).toBeNull();
      await expect(memberships.requestJoin(nodeSuite.randomBytes(16), new Uint8Array(10))).rejects.toMatchObject({ code: 'UNKNOWN_VAULT' });
      expect(memberships.cachedVaults).toBe(1);
    } finally {
      await storage.close();
    }
  });

  it('holds at most its size in states; an evicted vault is rebuilt from its log and answers the same', async () => {
    const storage = openMemoryStorage({ cachedVaults: 3 });
    try {
      const { memberships } = storage;
      const vaults = [];
      for (let i = 0; i < 6; i++) {
        vaults.push(await loggedVault(memberships, i % 3));
        expect(memberships.cachedVaults).toBeLessThanOrEqual(3);
      }
      // Every vault still answers as its log says, cached or rebuilt, in any order.
      for (const v of [...vaults, ...vaults.slice().reverse()]) {
        expect(summary(await memberships.state(v.vaultId))).toEqual(summary(v.state));
        expect(memberships.cachedVaults).toBeLessThanOrEqual(3);
      }
      // An append to an evicted vault builds on the rebuilt state, and survives another eviction.
      const first = vaults[0]!;
      for (const v of vaults.slice(1, 5)) await memberships.state(v.vaultId);
      const bob = person();
      const addBob = addMember(nodeSuite, first.state, first.alice.signing, first.genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [] });
      expect(await memberships.append(first.vaultId, addBob.bytes, QUOTAS)).toBe(1);
      for (const v of vaults.slice(1, 5)) await memberships.state(v.vaultId);
      expect(summary(await memberships.state(first.vaultId))).toEqual(summary(addBob.state));
    } finally {
      await storage.close();
    }
  });

  it('rebuilds a log that the store hands out in pages', async () => {
    const storage = openMemoryStorage();
    try {
      const { vaultId, state } = await loggedVault(storage.memberships, 4);
      // Two entries per read: the rebuild must keep asking until a read comes back empty.
      const store = pagedStore((v, from) => storage.memberships.entries(v, from));
      expect(summary(await new Memberships(store).state(vaultId))).toEqual(summary(state));
    } finally {
      await storage.close();
    }
  });
});

/** A read-only store over `entries` that hands out two entries per read. */
function pagedStore(entries: (vaultId: Uint8Array, from: number) => Promise<Uint8Array[]>): MembershipStore {
  const never = () => Promise.reject(new Error('read only'));
  return { logEntries: async (v, from) => (await entries(v, from)).slice(0, 2), appendLogEntry: never, putJoinRequest: never, joinRequests: never };
}
