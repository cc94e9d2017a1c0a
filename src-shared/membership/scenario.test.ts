/**
 * The sharing story end to end, as three teammates live it: Alice creates a vault, shares
 * environments with Bob (editor) and Carol (viewer), removes Bob, rotates on demand, and
 * widens then narrows Carol's access. Least privilege must be cryptographic: each member
 * recovers from the whole log exactly the keys their access allows, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex } from '../crypto/bytes';
import { isTesseraError } from '../errors';
import { addMember, changeMember, removeMember, rotateKeys } from './builders';
import { verifyChain } from './chain';
import { decodeEntry, type WrappedKey } from './entry';
import { aliceBobCarol, append, epochsOf, person } from './fixtures';
import { keysFor, memberName } from './keys';
import { canRead, canWrite, currentMember } from './state';
import { unwrapKey } from './wrap';

const suite = nodeSuite;

const setup = () => aliceBobCarol(suite);

/** Every wrapped key in the log, with where it sits. */
function allWraps(entries: readonly Uint8Array[]): WrappedKey[] {
  return entries.flatMap((bytes) => {
    const b = decodeEntry(bytes).body;
    const grants = 'grants' in b ? b.grants : [];
    const rotated = 'rotation' in b ? b.rotation.flatMap((r) => r.wraps) : [];
    return [...grants, ...rotated];
  });
}

describe('membership scenario', () => {
  it('each member recovers exactly the keys of the scopes they may read', () => {
    const { alice, bob, carol, log, meta, dev, staging, prod, vault } = setup();
    const state = verifyChain(suite, log.state.genesisHash, log.entries);
    expect(state.head.seq).toBe(2);

    const mine = (p: typeof alice) => keysFor(suite, state, log.entries, p.secrets);
    expect(epochsOf(mine(alice))).toEqual({ [meta]: [1], [dev]: [1], [staging]: [1], [prod]: [1] });
    expect(epochsOf(mine(bob))).toEqual({ [meta]: [1], [dev]: [1], [staging]: [1] });
    expect(epochsOf(mine(carol))).toEqual({ [meta]: [1], [dev]: [1] });
    for (const p of [alice, bob, carol]) {
      for (const [scope, epochs] of mine(p)) for (const [e, key] of epochs) expect(key).toEqual(log.allKeys.get(scope)!.get(e));
    }

    // Carol, holding every entry, can open no wrap but her own.
    let opened = 0;
    for (const w of allWraps(log.entries)) {
      try {
        unwrapKey(suite, w.wrapped, carol.boxSecret, { vaultId: vault.vaultId, scopeId: w.scopeId, epoch: w.epoch });
        opened++;
        expect(w.recipient).toEqual(carol.identity.boxPublicKey);
      } catch (e) {
        expect(isTesseraError(e, 'TAMPERED')).toBe(true);
      }
    }
    expect(opened).toBe(2);

    // Names are sealed under the meta key: every member reads them, the relay cannot.
    const carolMeta = mine(carol).get(meta)!;
    expect([alice, bob, carol].map((p) => memberName(suite, state, currentMember(state, p.identity.signPublicKey)!, carolMeta))).toEqual(['Alice', 'Bob', 'Carol']);
    expect(log.entries.some((e) => new TextDecoder().decode(e).includes('Carol'))).toBe(false);
  });

  it('read and write rights follow role and scopes', () => {
    const { alice, bob, carol, log, meta, dev, staging, prod } = setup();
    const s = log.state;
    const rights = (p: typeof alice, scope: string) => `${canRead(s, p.identity.signPublicKey, scope) ? 'r' : '-'}${canWrite(s, p.identity.signPublicKey, scope) ? 'w' : '-'}`;
    expect([meta, dev, staging, prod].map((sc) => rights(alice, sc))).toEqual(['rw', 'rw', 'rw', 'rw']);
    expect([meta, dev, staging, prod].map((sc) => rights(bob, sc))).toEqual(['rw', 'rw', 'rw', '--']);
    expect([meta, dev, staging, prod].map((sc) => rights(carol, sc))).toEqual(['r-', 'r-', '--', '--']);
    expect(canRead(s, person(suite, 'Mallory').identity.signPublicKey, meta)).toBe(false);
  });

  it('removing Bob rotates what he could read, for those who stay; Carol keeps history', () => {
    const { alice, bob, carol, log, meta, dev, staging, prod, keysOf } = setup();
    const built = removeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey });
    append(log, built);
    expect(epochsOf(built.newKeys)).toEqual({ [meta]: [2], [dev]: [2], [staging]: [2] });

    const body = decodeEntry(built.bytes).body;
    if (body.kind !== 'remove') throw new Error('expected a remove entry');
    const recipients = Object.fromEntries(body.rotation.map((r) => [toHex(r.scopeId), r.wraps.map((w) => toHex(w.recipient)).sort()]));
    const box = (p: typeof alice) => toHex(p.identity.boxPublicKey);
    expect(recipients).toEqual({
      [meta]: [box(alice), box(carol)].sort(),
      [dev]: [box(alice), box(carol)].sort(),
      [staging]: [box(alice)],
    });

    const state = verifyChain(suite, log.state.genesisHash, log.entries);
    expect(currentMember(state, bob.identity.signPublicKey)).toBeUndefined();
    expect(state.members.get(toHex(bob.identity.signPublicKey))?.removed?.seq).toBe(3);
    expect(Object.fromEntries(state.epochs)).toEqual({ [meta]: 2, [dev]: 2, [staging]: 2, [prod]: 1 });

    // Bob keeps what he saw and gets nothing new, even with the whole chain.
    expect(epochsOf(keysFor(suite, state, log.entries, bob.secrets))).toEqual({ [meta]: [1], [dev]: [1], [staging]: [1] });
    const carolKeys = keysFor(suite, state, log.entries, carol.secrets);
    expect(epochsOf(carolKeys)).toEqual({ [meta]: [1, 2], [dev]: [1, 2] });
    expect(carolKeys.get(dev)!.get(1)).toEqual(log.allKeys.get(dev)!.get(1));
    expect(carolKeys.get(dev)!.get(2)).toEqual(log.allKeys.get(dev)!.get(2));
    expect(epochsOf(keysFor(suite, state, log.entries, alice.secrets))).toEqual({ [meta]: [1, 2], [dev]: [1, 2], [staging]: [1, 2], [prod]: [1] });
  });

  it('rotate-keys on demand keeps history for current members', () => {
    const { alice, bob, carol, log, meta, dev, staging, prod, keysOf } = setup();
    append(log, rotateKeys(suite, log.state, alice.signing, keysOf(alice)));
    append(log, rotateKeys(suite, log.state, alice.signing, keysOf(alice), { scopes: [dev] }));
    const state = verifyChain(suite, log.state.genesisHash, log.entries);
    expect(Object.fromEntries(state.epochs)).toEqual({ [meta]: 2, [dev]: 3, [staging]: 2, [prod]: 2 });
    expect(epochsOf(keysFor(suite, state, log.entries, carol.secrets))).toEqual({ [meta]: [1, 2], [dev]: [1, 2, 3] });
    expect(epochsOf(keysFor(suite, state, log.entries, bob.secrets))).toEqual({ [meta]: [1, 2], [dev]: [1, 2, 3], [staging]: [1, 2] });
    const all = keysFor(suite, state, log.entries, alice.secrets);
    expect(epochsOf(all)).toEqual(epochsOf(log.allKeys));
    for (const [scope, epochs] of all) for (const [e, key] of epochs) expect(key).toEqual(log.allKeys.get(scope)!.get(e));
    // Names sealed under meta epoch 1 still open for a member who joins after the rotation.
    const dave = person(suite, 'Dave');
    append(log, addMember(suite, log.state, alice.signing, keysOf(alice), { identity: dave.identity, name: 'Dave', role: 'viewer', envScopes: [] }));
    const daveMeta = keysFor(suite, log.state, log.entries, dave.secrets).get(meta)!;
    expect(memberName(suite, log.state, currentMember(log.state, alice.identity.signPublicKey)!, daveMeta)).toBe('Alice');
    expect(memberName(suite, log.state, currentMember(log.state, dave.identity.signPublicKey)!, daveMeta)).toBe('Dave');
  });

  it('widening grants the new scope; narrowing rotates exactly what was taken away', () => {
    const { alice, carol, log, meta, dev, prod, keysOf } = setup();
    const carolKey = carol.identity.signPublicKey;
    const widened = changeMember(suite, log.state, alice.signing, keysOf(alice), { member: carolKey, role: 'editor', envScopes: [dev, prod] });
    expect(widened.newKeys.size).toBe(0);
    append(log, widened);
    expect(canWrite(log.state, carolKey, prod)).toBe(true);
    expect(epochsOf(keysFor(suite, log.state, log.entries, carol.secrets))).toEqual({ [meta]: [1], [dev]: [1], [prod]: [1] });

    const narrowed = changeMember(suite, log.state, alice.signing, keysOf(alice), { member: carolKey, role: 'viewer', envScopes: [dev] });
    expect(epochsOf(narrowed.newKeys)).toEqual({ [prod]: [2] });
    append(log, narrowed);
    const state = verifyChain(suite, log.state.genesisHash, log.entries);
    expect(canRead(state, carolKey, prod)).toBe(false);
    expect(epochsOf(keysFor(suite, state, log.entries, carol.secrets))).toEqual({ [meta]: [1], [dev]: [1], [prod]: [1] });
    expect(keysFor(suite, state, log.entries, alice.secrets).get(prod)?.get(2)).toEqual(narrowed.newKeys.get(prod)!.get(2));
  });
});
