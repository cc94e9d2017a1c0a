// The access log on the relay: every member may append to it, viewers included (who may
// write nothing else); strangers may not; nobody may snapshot it; its epoch is the metadata's.
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { fromHex } from '../src-shared/crypto/bytes';
import { accessScopeId } from '../src-shared/membership/access-log';
import { addMember, rotateKeys } from '../src-shared/membership/builders';
import { Author, person, RelayTestClient, sharedVault, startTestRelay } from '../test/helpers/relay-client';

const relays: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

describe('the access log on the relay', () => {
  it('takes appends from any member, viewers included, and nothing else', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const [alice, carol, stranger] = [person(), person(), person()];
    const { vaultId, meta, dev, genesis, owner } = await sharedVault(relay.url, alice);
    const addCarol = addMember(nodeSuite, genesis.state, alice.signing, genesis.newKeys, { identity: carol.identity, name: 'Carol', role: 'viewer', envScopes: [dev] });
    expect(await owner.request({ type: 'log-append', vaultId, entry: addCarol.bytes })).toMatchObject({ type: 'logged' });

    const scope = accessScopeId(vaultId);
    const carolSocket = await RelayTestClient.connectAs(relay.url, carol.signing);
    const carolReports = new Author(carol.signing, vaultId, scope, undefined, 1, addCarol.state.head);
    expect(await carolSocket.push(carolReports.next('report 1'))).toMatchObject({ type: 'ack', seq: 1 });
    expect(await carolSocket.push(carolReports.next('report 2'))).toMatchObject({ type: 'ack', seq: 2 });
    // The viewer still writes nothing else.
    const carolValues = new Author(carol.signing, vaultId, fromHex(dev), genesis.newKeys.get(dev)!.get(1)!, 1, addCarol.state.head);
    expect(await carolSocket.push(carolValues.next('a value'))).toMatchObject({ type: 'error', code: 'NO_WRITE_ACCESS' });
    // Nobody prunes the reports with a snapshot, not even the owner.
    const aliceReports = new Author(alice.signing, vaultId, scope, undefined, 1, addCarol.state.head);
    expect(await owner.push(aliceReports.snapshot(2))).toMatchObject({ type: 'error', code: 'BAD_ENVELOPE' });
    // A stranger signing a report is not a member.
    const strangerSocket = await RelayTestClient.connectAs(relay.url, stranger.signing);
    expect(await strangerSocket.push(new Author(stranger.signing, vaultId, scope).next('noise'))).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });

    // A rotation moves the metadata epoch, and the access log's with it.
    const rotated = rotateKeys(nodeSuite, addCarol.state, alice.signing, genesis.newKeys);
    expect(await owner.request({ type: 'log-append', vaultId, entry: rotated.bytes })).toMatchObject({ type: 'logged' });
    expect(await carolSocket.push(carolReports.seal(new TextEncoder().encode('old epoch')))).toMatchObject({ type: 'error', code: 'STALE_EPOCH' });
    carolReports.epoch = rotated.state.epochs.get(meta)!;
    carolReports.logHead = rotated.state.head;
    expect(carolReports.epoch).toBe(2);
    expect(await carolSocket.push(carolReports.next('new epoch'))).toMatchObject({ type: 'ack', seq: 3 });
  });
});
