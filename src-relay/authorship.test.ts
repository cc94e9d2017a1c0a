// The relay refuses what every honest client would: a change naming a membership head the
// relay does not have, or another entry at a head it has; a change in the old envelope format;
// and a removal whose pins the relay has seen the member move past.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { concatBytes, fromHex } from '../src-shared/crypto/bytes';
import { decodeEnvelope, envelopeHash, ZERO_HASH } from '../src-shared/envelope/envelope';
import { addMember, removeMember } from '../src-shared/membership/builders';
import { Author, person, RelayTestClient, sharedVault, startTestRelay } from '../test/helpers/relay-client';

const relays: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

async function withBob() {
  const relay = await startTestRelay();
  relays.push(relay);
  const [alice, bob] = [person(), person()];
  const { vaultId, dev, genesis, owner } = await sharedVault(relay.url, alice);
  const addBob = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: bob.identity, name: 'Bob', role: 'editor', envScopes: [dev] });
  expect(await owner.request({ type: 'log-append', vaultId, entry: addBob.bytes })).toMatchObject({ type: 'logged', seq: 1 });
  const bobSocket = await RelayTestClient.connectAs(relay.url, bob.signing);
  const key = genesis.newKeys.get(dev)!.get(1)!;
  return { vaultId, dev, genesis, addBob, alice, bob, owner, bobSocket, bobWrites: new Author(bob.signing, vaultId, fromHex(dev), key, 1, addBob.state.head) };
}

describe('authorship on the relay', () => {
  it('refuses a change under a head it lacks, another entry at a head it has, or one before the author was added', async () => {
    const { bobSocket, bobWrites, genesis } = await withBob();
    expect(await bobSocket.push(bobWrites.seal(new Uint8Array([1]), { logHead: { seq: 5, hash: ZERO_HASH } }))).toMatchObject({ type: 'error', code: 'UNKNOWN_LOG_HEAD' });
    expect(await bobSocket.push(bobWrites.seal(new Uint8Array([1]), { logHead: { seq: 1, hash: new Uint8Array(32).fill(3) } }))).toMatchObject({ type: 'error', code: 'UNKNOWN_LOG_HEAD' });
    // Seq 0 (the genesis) is a head the relay holds, but Bob was not a member there.
    expect(await bobSocket.push(bobWrites.seal(new Uint8Array([1]), { logHead: { seq: 0, hash: genesis.state.genesisHash } }))).toMatchObject({
      type: 'error',
      code: 'NO_WRITE_ACCESS',
    });
    expect(await bobSocket.push(bobWrites.next('at the head'))).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('no longer takes the envelope format that names no head', async () => {
    const { bobSocket, bobWrites } = await withBob();
    const v2 = bobWrites.seal(new Uint8Array([1]));
    // The same change in format 1: the head fields cut out, the version byte 1, signed again.
    const env = decodeEnvelope(v2);
    const headAt = env.signedLength - (24 + 1 + env.sealed.length) - 33;
    const body = concatBytes(v2.subarray(0, headAt), v2.subarray(headAt + 33, env.signedLength));
    body[3] = 1;
    const v1 = concatBytes(body, nodeSuite.ed25519.sign(body, bobWrites.id.seed, bobWrites.id.publicKey));
    expect(await bobSocket.push(v1)).toMatchObject({ type: 'error', code: 'UNSUPPORTED_VERSION' });
  });

  it('refuses a removal whose pinned last change the member has moved past, and takes one that pins what it holds', async () => {
    const { vaultId, dev, genesis, addBob, alice, bob, owner, bobSocket, bobWrites } = await withBob();
    const first = bobWrites.next('one');
    expect(await bobSocket.push(first)).toMatchObject({ type: 'ack' });
    expect(await bobSocket.push(bobWrites.next('two'))).toMatchObject({ type: 'ack' }); // after the remover looked
    const pins = (hash: Uint8Array, counter: number) => [{ scopeId: fromHex(dev), counter, hash }];
    const stale = removeMember(nodeSuite, addBob.state, alice.signing, genesis.newKeys, { member: bob.identity.signPublicKey, lastChanges: pins(envelopeHash(first), 1) });
    expect(await owner.request({ type: 'log-append', vaultId, entry: stale.bytes })).toMatchObject({ type: 'error', code: 'LAST_CHANGE_MOVED' });
    const current = removeMember(nodeSuite, addBob.state, alice.signing, genesis.newKeys, { member: bob.identity.signPublicKey, lastChanges: pins(bobWrites.prevHash, 2) });
    expect(await owner.request({ type: 'log-append', vaultId, entry: current.bytes })).toMatchObject({ type: 'logged', seq: 2 });
  });
});

