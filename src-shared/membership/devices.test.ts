/**
 * A person's several devices in the membership log: a device is linked by another device of
 * the same person and gets exactly that person's access; the person's access changes on all
 * their devices at once; one device is revoked (re-keying what it read) while the person
 * stays, by the person's other devices or by a manager; and the rules a hostile member's
 * client would try to bend (adding a device that reads more, revoking someone else's) hold.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { fromHex, toHex } from '../crypto/bytes';
import { decodeEnvelope, sealEnvelope, ZERO_HASH } from '../envelope/envelope';
import { isTesseraError } from '../errors';
import { checkAuthorship } from './authorship';
import { addDevice, addMember, changeMember, removeMember, revokeDevice } from './builders';
import { applyEntry, verifyChain } from './chain';
import { decodeEntry, encodeEntry, entryHash } from './entry';
import { aliceBobCarol, append, epochsOf, person, type Person } from './fixtures';
import { deviceName, memberName } from './keys';
import { canRead, canWrite, currentMember, currentPeople, devicesOf, ownerCount, personOf } from './state';
import { wrapKey } from './wrap';

const suite = nodeSuite;

/** Alice, Bob and Carol as usual, Bob with a second device ("laptop") linked from his first. */
function withBobsLaptop() {
  const t = aliceBobCarol(suite);
  const laptop = person(suite, 'Bob');
  append(t.log, addDevice(suite, t.log.state, t.bob.signing, t.keysOf(t.bob), { identity: laptop.identity, name: 'laptop' }));
  return { ...t, laptop };
}

/** The refusal reason of applying `build()`'s entry, or "accepted". */
function reasonOf(build: () => unknown): string {
  try {
    build();
    return 'accepted';
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    return String(e.details.reason ?? e.code);
  }
}

const key = (p: Person) => p.identity.signPublicKey;

describe('a person’s devices', () => {
  it('a linked device reads exactly its person’s scopes, carries their name and role, and counts as the same person', () => {
    const t = withBobsLaptop();
    const state = verifyChain(suite, t.log.state.genesisHash, t.log.entries);
    expect(decodeEntry(t.log.entries.at(-1)!).version).toBe(3); // older clients say they are too old, not "tampered"

    expect(epochsOf(t.keysOf(t.laptop))).toEqual(epochsOf(t.keysOf(t.bob)));
    expect(epochsOf(t.keysOf(t.laptop))).toEqual({ [t.meta]: [1], [t.dev]: [1], [t.staging]: [1] });
    expect(canRead(state, key(t.laptop), t.prod)).toBe(false);
    expect(canWrite(state, key(t.laptop), t.dev)).toBe(true);

    const laptop = currentMember(state, key(t.laptop))!;
    expect(laptop.role).toBe('editor');
    expect(personOf(laptop)).toBe(toHex(key(t.bob)));
    expect(laptop.device?.addedBy).toBe(toHex(key(t.bob)));
    const metaKeys = t.keysOf(t.carol).get(t.meta)!;
    expect(memberName(suite, state, laptop, metaKeys)).toBe('Bob');
    expect(deviceName(suite, state, laptop, metaKeys)).toBe('laptop');
    expect(deviceName(suite, state, currentMember(state, key(t.bob))!, metaKeys)).toBeUndefined();

    // People are listed once each, with their devices.
    const people = currentPeople(state);
    expect(people.map((p) => p.devices.length)).toEqual([1, 2, 1]);
    expect(devicesOf(state, toHex(key(t.bob))).map((d) => toHex(key(t.bob)) === toHex(d.identity.signPublicKey))).toEqual([true, false]);
  });

  it('a viewer’s device is a viewer of the same environment, and a forged grant of more is refused', () => {
    const t = aliceBobCarol(suite);
    const phone = person(suite, 'Carol');
    append(t.log, addDevice(suite, t.log.state, t.carol.signing, t.keysOf(t.carol), { identity: phone.identity, name: 'phone' }));
    const m = currentMember(t.log.state, key(phone))!;
    expect(m.role).toBe('viewer');
    expect([...m.scopes]).toEqual([t.dev]);
    expect(canWrite(t.log.state, key(phone), t.dev)).toBe(false);

    // Carol's client grants her new device a key of production (a random one: she has none).
    const tablet = person(suite, 'Carol');
    const state = t.log.state;
    const grantsFor = (scopes: string[]) =>
      scopes.map((s) => {
        const ctx = { vaultId: state.vaultId, scopeId: fromHex(s), epoch: 1 };
        return { ...ctx, recipient: tablet.identity.boxPublicKey, wrapped: wrapKey(suite, suite.randomBytes(32), tablet.identity.boxPublicKey, ctx) };
      });
    const forged = (scopes: string[]) => {
      const base = decodeEntry(addDevice(suite, state, t.carol.signing, t.keysOf(t.carol), { identity: tablet.identity, name: 'tablet' }).bytes);
      if (base.body.kind !== 'device-add') throw new Error('not a device-add');
      const body = { ...base.body, grants: grantsFor(scopes) };
      return encodeEntry(suite, { vaultId: state.vaultId, seq: state.head.seq + 1, prevHash: state.head.hash, at: 1 }, body, t.carol.signing);
    };
    expect(reasonOf(() => applyEntry(suite, state, forged([t.meta, t.dev, t.prod])))).toBe('WRONG_RECIPIENT');
    expect(reasonOf(() => applyEntry(suite, state, forged([t.meta])))).toBe('MISSING_WRAP');
    expect(reasonOf(() => applyEntry(suite, state, forged([t.meta, t.dev])))).toBe('accepted');
  });

  it('a key already in the log, or a machine member, links no device', () => {
    const t = withBobsLaptop();
    expect(reasonOf(() => addDevice(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { identity: t.laptop.identity, name: 'x' }))).toBe('ALREADY_MEMBER');
    const ci = person(suite, 'ci');
    append(t.log, addMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { identity: ci.identity, name: 'ci', role: 'viewer', envScopes: [t.dev], machine: { expiresAt: null } }));
    expect(reasonOf(() => addDevice(suite, t.log.state, ci.signing, t.keysOf(ci), { identity: person(suite, 'ci').identity, name: 'y' }))).toBe('NOT_ALLOWED');
  });

  it('a change of the person’s access holds on every device, and each device gets the new keys', () => {
    const t = withBobsLaptop();
    append(t.log, changeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: key(t.bob), role: 'viewer', envScopes: [t.dev, t.prod] }));
    for (const device of [t.bob, t.laptop]) {
      const m = currentMember(t.log.state, key(device))!;
      expect(m.role).toBe('viewer');
      expect([...m.scopes].sort()).toEqual([t.dev, t.prod].sort());
      expect(epochsOf(t.keysOf(device))).toEqual({ [t.meta]: [1], [t.dev]: [1], [t.prod]: [1], [t.staging]: [1] }); // staging: history up to the re-key
    }
    // Naming the laptop changes Bob too.
    append(t.log, changeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: key(t.laptop), role: 'editor', envScopes: [t.dev] }));
    expect(currentMember(t.log.state, key(t.bob))!.role).toBe('editor');
  });

  it('a change that grants keys to the person’s first device only is refused', () => {
    const t = withBobsLaptop();
    const state = t.log.state;
    const built = decodeEntry(changeMember(suite, state, t.alice.signing, t.keysOf(t.alice), { member: key(t.bob), role: 'editor', envScopes: [t.dev, t.staging, t.prod] }).bytes);
    if (built.body.kind !== 'change') throw new Error('not a change');
    const body = { ...built.body, grants: built.body.grants.filter((g) => toHex(g.recipient) === toHex(t.bob.identity.boxPublicKey)) };
    const bytes = encodeEntry(suite, { vaultId: state.vaultId, seq: state.head.seq + 1, prevHash: state.head.hash, at: 1 }, body, t.alice.signing);
    expect(reasonOf(() => applyEntry(suite, state, bytes))).toBe('MISSING_WRAP');
  });

  it('revoking a device re-keys what it read, keeps the person, and leaves the device nothing new', () => {
    const t = withBobsLaptop();
    const before = epochsOf(t.keysOf(t.laptop));
    append(t.log, revokeDevice(suite, t.log.state, t.bob.signing, t.keysOf(t.bob), { device: key(t.laptop) }));
    expect(currentMember(t.log.state, key(t.laptop))).toBeUndefined();
    expect(currentMember(t.log.state, key(t.bob))?.role).toBe('editor');
    expect(epochsOf(t.keysOf(t.bob))).toEqual({ [t.meta]: [1, 2], [t.dev]: [1, 2], [t.staging]: [1, 2] });
    expect(epochsOf(t.keysOf(t.carol))).toEqual({ [t.meta]: [1, 2], [t.dev]: [1, 2] });
    expect(epochsOf(t.keysOf(t.laptop))).toEqual(before); // nothing written afterwards opens with its keys
    expect(verifyChain(suite, t.log.state.genesisHash, t.log.entries).head.seq).toBe(t.log.state.head.seq);

    // A write the laptop signs at the new head is refused by the authorship rule.
    const epoch = t.log.state.epochs.get(t.dev)!;
    const env = decodeEnvelope(
      sealEnvelope(
        suite,
        { kind: 'update', vaultId: t.vault.vaultId, scopeId: fromHex(t.dev), epoch, counter: 1, prevHash: ZERO_HASH, covers: 0, logHead: { seq: t.log.state.head.seq, hash: t.log.state.head.hash } },
        new Uint8Array([1]),
        suite.randomBytes(32),
        t.laptop.signing,
      ),
    );
    const hashAt = (seq: number) => (t.log.entries[seq] ? entryHash(t.log.entries[seq]!) : undefined);
    expect(reasonOf(() => checkAuthorship(t.log.state, env, t.dev, { entryHash: hashAt }))).toBe('AUTHOR_MAY_NOT_WRITE');
  });

  it('who may revoke: the person’s own devices and managers; not a teammate, not the last device', () => {
    const t = withBobsLaptop();
    expect(reasonOf(() => revokeDevice(suite, t.log.state, t.carol.signing, t.keysOf(t.carol), { device: key(t.laptop) }))).toBe('NOT_ALLOWED');
    // The laptop may revoke Bob's first device (a lost desktop), and Bob stays a member through it.
    const lostFirst = revokeDevice(suite, t.log.state, t.laptop.signing, t.keysOf(t.laptop), { device: key(t.bob) });
    expect(currentMember(lostFirst.state, key(t.laptop))?.role).toBe('editor');
    expect(currentPeople(lostFirst.state)).toHaveLength(3);
    // An owner may cut off Bob's laptop; then Bob's last device goes only with Bob.
    append(t.log, revokeDevice(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { device: key(t.laptop) }));
    expect(reasonOf(() => revokeDevice(suite, t.log.state, t.bob.signing, t.keysOf(t.bob), { device: key(t.bob) }))).toBe('LAST_DEVICE');
  });

  it('a person with several devices is removed device by device, so each device’s last changes are pinned', () => {
    const t = withBobsLaptop();
    expect(reasonOf(() => removeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: key(t.bob) }))).toBe('DEVICES_REMAIN');
    append(t.log, revokeDevice(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { device: key(t.laptop) }));
    append(t.log, removeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: key(t.bob) }));
    expect(currentPeople(t.log.state)).toHaveLength(2);
  });

  it('an owner’s second device is not a second owner', () => {
    const t = aliceBobCarol(suite);
    const desktop = person(suite, 'Alice');
    append(t.log, addDevice(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { identity: desktop.identity, name: 'desktop' }));
    expect(ownerCount(t.log.state)).toBe(1);
    expect(reasonOf(() => changeMember(suite, t.log.state, desktop.signing, t.keysOf(desktop), { member: key(t.alice), role: 'admin', envScopes: [t.dev, t.staging, t.prod] }))).toBe('LAST_OWNER');
  });
});
