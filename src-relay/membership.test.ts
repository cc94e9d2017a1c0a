// The relay's rights come from the vault's signed membership log: a viewer's write is
// refused, an editor's accepted, an entry that breaks the log's rules never appended.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-main/crypto/node-suite';
import { fromHex } from '../src-shared/crypto/bytes';
import { addMember } from '../src-shared/membership/builders';
import { decodeEntry, encodeEntry } from '../src-shared/membership/entry';
import { Author, person, RelayTestClient, sharedVault, startTestRelay } from '../test/helpers/relay-client';

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
  });
});
