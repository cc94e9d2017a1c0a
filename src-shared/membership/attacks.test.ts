/**
 * A malicious relay (it stores the log and can alter, replay, fork or withhold it, but not
 * sign) and a member's hostile client (it signs, but only as itself): every attempt must be
 * refused with the specific reason, never accepted and never a crash.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex } from '../crypto/bytes';
import { isTesseraError } from '../errors';
import { addMember, changeMember, createGenesis, removeMember, rotateKeys } from './builders';
import { applyEntry, verifyChain } from './chain';
import { decodeEntry, encodeEntry, entryHash, readEntry, type EntryBody } from './entry';
import { aliceBobCarol, append, mergeKeys, newVault, person, type Person } from './fixtures';
import { keysFor } from './keys';
import { checkJoinerKeys, compareChains, compareHeads } from './relay-checks';
import type { MembershipState } from './state';
import { wrapKey } from './wrap';

const suite = nodeSuite;

/** The TesseraError code and reason `f` threw, as 'CODE/REASON', or 'returned'. */
function refusal(f: () => unknown): string {
  try {
    f();
    return 'returned';
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    return `${e.code}/${String(e.details.reason ?? '')}`;
  }
}

const setup = () => aliceBobCarol(suite);

/** An entry with `body` on top of `state`, signed by `signer`: what a hostile member's client can make. */
function signed(state: MembershipState, signer: Person, body: EntryBody): Uint8Array {
  return encodeEntry(suite, { vaultId: state.vaultId, seq: state.head.seq + 1, prevHash: state.head.hash, at: 1 }, body, signer.signing);
}

/** The state with `p` promoted: lets a builder make the entry p's hostile client would sign. */
function asIf(state: MembershipState, p: Person, role: 'owner' | 'admin', scopes?: readonly string[]): MembershipState {
  const key = toHex(p.identity.signPublicKey);
  const m = state.members.get(key)!;
  return { ...state, members: new Map(state.members).set(key, { ...m, role, scopes: scopes ? new Set(scopes) : m.scopes }) };
}

describe('a relay that alters entries', () => {
  it('a flipped bit anywhere in any entry is refused as TAMPERED', () => {
    const { alice, bob, log, keysOf } = setup();
    append(log, changeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey, role: 'viewer', envScopes: [] }));
    append(log, rotateKeys(suite, log.state, alice.signing, keysOf(alice)));
    append(log, removeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey }));
    const before = log.entries.map((_, i) => (i === 0 ? undefined : verifyChain(suite, log.state.genesisHash, log.entries.slice(0, i))));
    let checked = 0;
    log.entries.forEach((bytes, i) => {
      for (let pos = 0; pos < bytes.length; pos++) {
        const bad = bytes.slice();
        bad[pos]! ^= 1 << (pos % 8);
        const prior = before[i];
        const apply = prior ? () => applyEntry(suite, prior, bad) : () => verifyChain(suite, log.state.genesisHash, [bad]);
        expect(refusal(apply)).toMatch(/^TAMPERED\//);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(3000);
  });

  it('truncated or extended entries are refused', () => {
    const { log } = setup();
    const add = log.entries[1]!;
    expect(refusal(() => readEntry(suite, add.subarray(0, add.length - 1)))).toBe('TAMPERED/MALFORMED');
    expect(refusal(() => readEntry(suite, new Uint8Array([...add, 0])))).toBe('TAMPERED/MALFORMED');
    expect(refusal(() => readEntry(suite, new Uint8Array(0)))).toBe('TAMPERED/MALFORMED');
  });

  it('substituting the joiner’s key in an add breaks the signature; a substituted add fails the joiner’s check', () => {
    const { alice, log, keysOf } = setup();
    const dave = person(suite, 'Dave');
    const mallory = person(suite, 'Mallory');
    const inviteId = suite.randomBytes(16);
    const before = log.state;
    const add = addMember(suite, before, alice.signing, keysOf(alice), { identity: dave.identity, name: 'Dave', role: 'viewer', envScopes: [], inviteId });
    const entry = decodeEntry(add.bytes);
    // The box key sits right after the sign key at the start of the body.
    const bytes = add.bytes.slice();
    const at = bytes.findIndex((_, i) => dave.identity.boxPublicKey.every((b, j) => bytes[i + j] === b));
    bytes.set(mallory.identity.boxPublicKey, at);
    expect(refusal(() => applyEntry(suite, before, bytes))).toBe('TAMPERED/BAD_SIGNATURE');

    expect(refusal(() => checkJoinerKeys(entry, dave.identity, inviteId))).toBe('returned');
    // Alice was handed Mallory's keys for Dave's invite (and skipped the fingerprint check).
    const tricked = addMember(suite, before, alice.signing, keysOf(alice), { identity: mallory.identity, name: 'Dave', role: 'viewer', envScopes: [], inviteId });
    expect(refusal(() => checkJoinerKeys(decodeEntry(tricked.bytes), dave.identity, inviteId))).toBe('TAMPERED/KEY_MISMATCH');
    expect(refusal(() => checkJoinerKeys(entry, dave.identity, suite.randomBytes(16)))).toBe('INVALID_INPUT/');
  });

  it('an old entry replayed after the head is refused (REPLAY), in a run too', () => {
    const { log } = setup();
    expect(refusal(() => applyEntry(suite, log.state, log.entries[1]!))).toBe('TAMPERED/REPLAY');
    expect(refusal(() => verifyChain(suite, log.state.genesisHash, [...log.entries, log.entries[1]!]))).toBe('TAMPERED/REPLAY');
    expect(refusal(() => compareChains(suite, log.entries, [log.entries[2]!, log.entries[1]!]))).toBe('TAMPERED/REPLAY');
  });

  it('two different entries after one head are a FORK', () => {
    const { alice, log, keysOf } = setup();
    const head = log.state;
    const ours = rotateKeys(suite, head, alice.signing, keysOf(alice));
    const theirs = rotateKeys(suite, head, alice.signing, keysOf(alice), { scopes: [head.metaScope] });
    const local = [...log.entries, ours.bytes];
    expect(refusal(() => compareChains(suite, local, [log.entries[2]!, theirs.bytes]))).toBe('LOG_FORKED/FORK');
    expect(refusal(() => compareHeads(ours.state.head, theirs.state.head))).toBe('LOG_FORKED/FORK');
    expect(refusal(() => applyEntry(suite, ours.state, theirs.bytes))).toBe('TAMPERED/REPLAY');
    // A later entry on their branch, shown to a client still on the common head.
    const later = rotateKeys(suite, theirs.state, alice.signing, mergeKeys(keysOf(alice), theirs.newKeys), { scopes: [head.metaScope] });
    expect(refusal(() => compareChains(suite, local, [theirs.bytes, later.bytes]))).toBe('LOG_FORKED/FORK');
    expect(refusal(() => applyEntry(suite, ours.state, later.bytes))).toBe('LOG_FORKED/FORK');
  });

  it('a chain from another genesis than the pinned one is refused', () => {
    const { log, alice } = setup();
    const other = createGenesis(suite, alice.signing, { vaultId: log.state.vaultId, metaScope: log.state.metaScope, envScopes: log.state.envScopes, creator: alice.identity, name: 'Alice' });
    expect(refusal(() => verifyChain(suite, log.state.genesisHash, [other.bytes]))).toBe('TAMPERED/GENESIS_MISMATCH');
    expect(refusal(() => verifyChain(suite, log.state.genesisHash, []))).toBe('TAMPERED/GENESIS_MISMATCH');
    expect(refusal(() => compareChains(suite, log.entries, [other.bytes]))).toBe('TAMPERED/GENESIS_MISMATCH');
    expect(refusal(() => applyEntry(suite, log.state, other.bytes))).toBe('TAMPERED/REPLAY');
  });

  it('an entry of another vault is refused', () => {
    const { log, alice } = setup();
    const elsewhere = newVault(suite, alice, 1);
    const e = rotateKeys(suite, elsewhere.log.state, alice.signing, keysFor(suite, elsewhere.log.state, elsewhere.log.entries, alice.secrets));
    expect(refusal(() => applyEntry(suite, { ...log.state, head: elsewhere.log.state.head }, e.bytes))).toBe('TAMPERED/WRONG_VAULT');
  });
});

describe('keysFor', () => {
  it('reads only the chain the state was verified from, for a member of it', () => {
    const { alice, carol, log, keysOf } = setup();
    const other = rotateKeys(suite, log.state, alice.signing, keysOf(alice));
    expect(refusal(() => keysFor(suite, log.state, log.entries.slice(0, 2), carol.secrets))).toBe('INVALID_INPUT/');
    expect(refusal(() => keysFor(suite, log.state, [...log.entries.slice(0, 2), other.bytes], carol.secrets))).toBe('INVALID_INPUT/');
    expect(refusal(() => keysFor(suite, log.state, [log.entries[0]!, log.entries[0]!, log.entries[2]!], carol.secrets))).toBe('INVALID_INPUT/');
    expect(refusal(() => keysFor(suite, log.state, log.entries, person(suite, 'Mallory').secrets))).toBe('NO_ACCESS/UNKNOWN_MEMBER');
    expect(refusal(() => keysFor(suite, log.state, log.entries, { ...carol.secrets, boxSecretKey: alice.boxSecret }))).toBe('NO_ACCESS/UNKNOWN_MEMBER');
  });
});

describe('a relay that withholds entries', () => {
  it('a client kept from Bob’s removal learns it is behind once it sees a later head', () => {
    const { alice, bob, log, keysOf } = setup();
    const carolsView = [...log.entries]; // the relay stops forwarding to Carol here
    append(log, removeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey }));
    append(log, rotateKeys(suite, log.state, alice.signing, keysOf(alice)));
    const carolsHead = { seq: carolsView.length - 1, hash: entryHash(carolsView.at(-1)!) };
    expect(compareHeads(carolsHead, log.state.head)).toBe('behind');
    expect(compareHeads(log.state.head, carolsHead)).toBe('ahead');
    expect(compareHeads(carolsHead, carolsHead)).toBe('same');

    const answer = compareChains(suite, carolsView, log.entries.slice(2));
    expect(answer).toEqual({ status: 'behind', missing: log.entries.slice(3) });
    expect(compareChains(suite, log.entries, log.entries.slice(2, 3))).toMatchObject({ status: 'ahead', remoteHead: { seq: 2 } });
    expect(compareChains(suite, log.entries, log.entries.slice(1))).toEqual({ status: 'same' });
    // Skipping the removal itself is a gap, however the run is cut.
    expect(refusal(() => compareChains(suite, carolsView, log.entries.slice(4)))).toBe('TAMPERED/GAP');
    expect(refusal(() => compareChains(suite, carolsView, [log.entries[2]!, log.entries[4]!]))).toBe('TAMPERED/GAP');
    expect(refusal(() => verifyChain(suite, log.state.genesisHash, [...carolsView, log.entries[4]!]))).toBe('TAMPERED/GAP');
  });
});

describe('a member’s hostile client', () => {
  it('editors and viewers cannot add members; removed members cannot write entries', () => {
    const { alice, bob, carol, log, dev, keysOf } = setup();
    const dave = person(suite, 'Dave');
    for (const p of [bob, carol]) {
      const forged = addMember(suite, asIf(log.state, p, 'admin'), p.signing, keysOf(p), { identity: dave.identity, name: 'Dave', role: 'viewer', envScopes: [dev] });
      expect(refusal(() => applyEntry(suite, log.state, forged.bytes))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
    }
    const bobKeys = keysOf(bob);
    const s0 = log.state;
    append(log, removeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey }));
    const late = rotateKeys(suite, asIf(s0, bob, 'owner'), bob.signing, bobKeys, { scopes: [dev] });
    expect(refusal(() => applyEntry(suite, log.state, signed(log.state, bob, decodeEntry(late.bytes).body)))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
  });

  it('admins manage editors and viewers only, within the scopes they read', () => {
    const { alice, bob, carol, log, dev, staging, prod, keysOf } = setup();
    append(log, changeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey, role: 'admin', envScopes: [dev, staging] }));
    const dave = person(suite, 'Dave');
    const add = (role: 'admin' | 'editor', envScopes: string[]) => () => addMember(suite, log.state, bob.signing, keysOf(bob), { identity: dave.identity, name: 'Dave', role, envScopes });
    expect(refusal(add('editor', [dev]))).toBe('returned');
    expect(refusal(add('admin', [dev]))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
    // Bob cannot wrap production: the builder lacks the key, and a forged grant is refused.
    expect(refusal(add('editor', [prod]))).toBe('MEMBERSHIP_REFUSED/NO_KEY');
    const forged = addMember(suite, asIf(log.state, bob, 'owner', [dev, staging, prod]), bob.signing, keysOf(alice), { identity: dave.identity, name: 'Dave', role: 'editor', envScopes: [prod] });
    expect(refusal(() => applyEntry(suite, log.state, forged.bytes))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
    expect(refusal(() => removeMember(suite, log.state, bob.signing, keysOf(bob), { member: alice.identity.signPublicKey }))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
    expect(refusal(() => changeMember(suite, log.state, bob.signing, keysOf(bob), { member: carol.identity.signPublicKey, role: 'admin', envScopes: [dev] }))).toBe('MEMBERSHIP_REFUSED/NOT_ALLOWED');
    expect(refusal(() => removeMember(suite, log.state, bob.signing, keysOf(bob), { member: carol.identity.signPublicKey }))).toBe('returned');
  });

  it('nobody removes or demotes the last owner; owners read every environment', () => {
    const { alice, bob, log, dev, staging, prod, keysOf } = setup();
    const me = alice.identity.signPublicKey;
    expect(refusal(() => removeMember(suite, log.state, alice.signing, keysOf(alice), { member: me }))).toBe('MEMBERSHIP_REFUSED/LAST_OWNER');
    expect(refusal(() => changeMember(suite, log.state, alice.signing, keysOf(alice), { member: me, role: 'admin', envScopes: [dev, staging, prod] }))).toBe('MEMBERSHIP_REFUSED/LAST_OWNER');
    expect(refusal(() => changeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey, role: 'owner', envScopes: [dev] }))).toBe('MEMBERSHIP_REFUSED/OWNER_SCOPES');
    append(log, changeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey, role: 'owner', envScopes: [dev, staging, prod] }));
    expect(refusal(() => removeMember(suite, log.state, alice.signing, keysOf(alice), { member: me }))).toBe('returned');
  });

  it('narrowing or removal without the right rotation is refused', () => {
    const { alice, bob, carol, log, prod: vaultProd, keysOf } = setup();
    const s = log.state;
    const narrow: EntryBody = { kind: 'change', member: carol.identity.signPublicKey, role: 'viewer', envScopes: [], grants: [], rotation: [] };
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, narrow)))).toBe('MEMBERSHIP_REFUSED/MISSING_ROTATION');

    const removal = decodeEntry(removeMember(suite, s, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey }).bytes).body;
    if (removal.kind !== 'remove') throw new Error('expected a remove entry');
    for (let i = 0; i < removal.rotation.length; i++) {
      const partial = { ...removal, rotation: removal.rotation.filter((_, j) => j !== i) };
      expect(refusal(() => applyEntry(suite, s, signed(s, alice, partial)))).toBe('MEMBERSHIP_REFUSED/MISSING_ROTATION');
    }
    // A rotation of a scope Carol never had, riding along with narrowing: refused too.
    const proper = decodeEntry(changeMember(suite, s, alice.signing, keysOf(alice), { member: carol.identity.signPublicKey, role: 'viewer', envScopes: [] }).bytes).body;
    const prod = decodeEntry(rotateKeys(suite, s, alice.signing, keysOf(alice), { scopes: [vaultProd] }).bytes).body;
    if (proper.kind !== 'change' || prod.kind !== 'rotate') throw new Error('expected change and rotate entries');
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, proper)))).toBe('returned');
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, { ...proper, rotation: [...proper.rotation, ...prod.rotation] })))).toBe('MEMBERSHIP_REFUSED/EXTRA_ROTATION');
  });

  it('every new key goes to exactly the readers, at the next epoch', () => {
    const { alice, bob, carol, log, dev, keysOf, vault } = setup();
    const s = log.state;
    const mallory = person(suite, 'Mallory');
    const body = decodeEntry(rotateKeys(suite, s, alice.signing, keysOf(alice), { scopes: [dev] }).bytes).body;
    if (body.kind !== 'rotate') throw new Error('expected a rotate entry');
    const r = body.rotation[0]!;
    const wrapTo = (p: Person) => ({ ...r.wraps[0]!, recipient: p.identity.boxPublicKey, wrapped: wrapKey(suite, suite.randomBytes(32), p.identity.boxPublicKey, { vaultId: vault.vaultId, scopeId: r.scopeId, epoch: r.epoch }) });
    const variant = (rot: typeof r) => signed(s, alice, { kind: 'rotate', rotation: [rot] });
    expect(refusal(() => applyEntry(suite, s, variant({ ...r, wraps: [...r.wraps, wrapTo(mallory)] })))).toBe('MEMBERSHIP_REFUSED/UNKNOWN_MEMBER');
    expect(refusal(() => applyEntry(suite, s, variant({ ...r, wraps: r.wraps.slice(1) })))).toBe('MEMBERSHIP_REFUSED/MISSING_WRAP');
    expect(refusal(() => applyEntry(suite, s, variant({ ...r, wraps: [...r.wraps, r.wraps[0]!] })))).toBe('MEMBERSHIP_REFUSED/DUPLICATE');
    expect(refusal(() => applyEntry(suite, s, variant({ ...r, epoch: 3, wraps: r.wraps.map((w) => ({ ...w, epoch: 3 })) })))).toBe('MEMBERSHIP_REFUSED/BAD_EPOCH');
    // Staging is Bob's and Alice's: a staging key for Carol is refused.
    const staging = decodeEntry(rotateKeys(suite, s, alice.signing, keysOf(alice), { scopes: [vault.envs[1]!] }).bytes).body;
    if (staging.kind !== 'rotate') throw new Error('expected a rotate entry');
    const st = staging.rotation[0]!;
    expect(refusal(() => applyEntry(suite, s, variant({ ...st, wraps: [...st.wraps, { ...wrapTo(carol), scopeId: st.scopeId }] })))).toBe('MEMBERSHIP_REFUSED/WRONG_RECIPIENT');

    // A grant to a key the chain does not name, in place of the joiner's.
    const dave = person(suite, 'Dave');
    const add = decodeEntry(addMember(suite, s, alice.signing, keysOf(alice), { identity: dave.identity, name: 'Dave', role: 'viewer', envScopes: [dev] }).bytes).body;
    if (add.kind !== 'add') throw new Error('expected an add entry');
    const stolen = { ...add, grants: add.grants.map((g, i) => (i === 0 ? { ...g, recipient: mallory.identity.boxPublicKey } : g)) };
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, stolen)))).toBe('MEMBERSHIP_REFUSED/UNKNOWN_MEMBER');
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, { ...add, grants: add.grants.slice(1) })))).toBe('MEMBERSHIP_REFUSED/MISSING_WRAP');
    const toBob = { ...add, grants: add.grants.map((g, i) => (i === 0 ? { ...g, recipient: bob.identity.boxPublicKey } : g)) };
    expect(refusal(() => applyEntry(suite, s, signed(s, alice, toBob)))).toBe('MEMBERSHIP_REFUSED/WRONG_RECIPIENT');
  });

  it('members with weak or reused keys are refused', () => {
    const { alice, bob, log, keysOf } = setup();
    const weak = { signPublicKey: person(suite, 'W').identity.signPublicKey, boxPublicKey: new Uint8Array(32) };
    expect(refusal(() => addMember(suite, log.state, alice.signing, keysOf(alice), { identity: weak, name: 'W', role: 'viewer', envScopes: [] }))).toBe('MEMBERSHIP_REFUSED/WEAK_KEY');
    expect(refusal(() => addMember(suite, log.state, alice.signing, keysOf(alice), { identity: bob.identity, name: 'Bob', role: 'viewer', envScopes: [] }))).toBe('MEMBERSHIP_REFUSED/ALREADY_MEMBER');
    const sameBox = { signPublicKey: person(suite, 'X').identity.signPublicKey, boxPublicKey: bob.identity.boxPublicKey };
    expect(refusal(() => addMember(suite, log.state, alice.signing, keysOf(alice), { identity: sameBox, name: 'X', role: 'viewer', envScopes: [] }))).toBe('MEMBERSHIP_REFUSED/DUPLICATE');
  });
});
