import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { changeMember } from './builders';
import { accessScopeId, accessScopeKey, decodeAccessRecord, encodePolicy, encodeReport, isAccessScope } from './access-log';
import { aliceBobCarol, append, type Person } from './fixtures';

const suite = nodeSuite;
const readerOf = (p: Person) => ({ boxSecret: p.boxSecret, boxPublic: p.identity.boxPublicKey });
const report = { action: 'reveal' as const, secrets: ['STRIPE_KEY'], environment: 'production', at: 1_700_000_000_000, device: 'laptop-1' };

describe('access-log records', () => {
  it('a report opens for owners and admins only', () => {
    const { alice, bob, carol, log, keysOf, prod } = aliceBobCarol(suite);
    const vaultId = log.state.vaultId;
    const sealed = encodeReport(suite, log.state, report);
    expect(decodeAccessRecord(suite, sealed, vaultId, readerOf(alice))).toEqual({ kind: 'report', report });
    // Bob (editor) and Carol (viewer) see that there is a report, not what it says.
    expect(decodeAccessRecord(suite, sealed, vaultId, readerOf(bob))).toEqual({ kind: 'report', report: null });
    expect(decodeAccessRecord(suite, sealed, vaultId, readerOf(carol))).toEqual({ kind: 'report', report: null });

    // Bob made an admin: reports from then on are sealed to him too (earlier ones are not).
    append(log, changeMember(suite, log.state, alice.signing, keysOf(alice), { member: bob.identity.signPublicKey, role: 'admin', envScopes: [...log.state.envScopes].filter((s) => s !== prod) }));
    const later = encodeReport(suite, log.state, report);
    expect(decodeAccessRecord(suite, later, vaultId, readerOf(bob))).toEqual({ kind: 'report', report });
    expect(decodeAccessRecord(suite, sealed, vaultId, readerOf(bob))).toEqual({ kind: 'report', report: null });
  });

  it('an altered report or one for another vault does not open', () => {
    const { alice, log } = aliceBobCarol(suite);
    const sealed = encodeReport(suite, log.state, report);
    const flipped = Uint8Array.from(sealed);
    flipped[flipped.length - 3]! ^= 1;
    expect(() => decodeAccessRecord(suite, flipped, log.state.vaultId, readerOf(alice))).toThrow(expect.objectContaining({ code: 'TAMPERED' }));
    expect(() => decodeAccessRecord(suite, sealed, suite.randomBytes(16), readerOf(alice))).toThrow();
    expect(() => decodeAccessRecord(suite, sealed.subarray(0, sealed.length - 40), log.state.vaultId, readerOf(alice))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('a policy is readable by every member and keeps only known actions', () => {
    const { carol, log } = aliceBobCarol(suite);
    const policy = encodePolicy({ actions: ['reveal', 'copy', 'copy', 'delete-everything' as 'copy'] });
    expect(decodeAccessRecord(suite, policy, log.state.vaultId, readerOf(carol))).toEqual({ kind: 'policy', policy: { actions: ['reveal', 'copy'] } });
  });

  it('the scope id and key are derived: the same for every member, different per vault and epoch', () => {
    const a = suite.randomBytes(16);
    const b = suite.randomBytes(16);
    expect(accessScopeId(a)).toEqual(accessScopeId(Uint8Array.from(a)));
    expect(accessScopeId(a)).not.toEqual(accessScopeId(b));
    expect(isAccessScope(a, accessScopeId(a))).toBe(true);
    expect(isAccessScope(b, accessScopeId(a))).toBe(false);
    const k1 = suite.randomBytes(32);
    expect(accessScopeKey(k1)).toHaveLength(32);
    expect(accessScopeKey(k1)).not.toEqual(k1);
    expect(accessScopeKey(k1)).not.toEqual(accessScopeKey(suite.randomBytes(32)));
  });
});
