/**
 * Wrapped keys, history keys and sealed names: they open only for their addressee, only
 * in their own context (vault, scope, epoch, member), with either suite; and keys of small
 * order, which would make a wrap readable by anyone, are refused.
 */
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { tweetnaclSuite } from '../crypto/tweetnacl-suite';
import { isTesseraError } from '../errors';
import { isWeakBoxKey, SMALL_ORDER, openHistory, openName, sealHistory, sealName, unwrapKey, wrapKey, WRAPPED_KEY_BYTES, type WrapContext } from './wrap';


const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'returned';
  } catch (e) {
    return isTesseraError(e) ? `${e.code}/${String(e.details.reason ?? '')}` : String(e);
  }
};

beforeAll(async () => {
  await sodium.ready;
});

describe.each([nodeSuite, tweetnaclSuite])('$name', (suite) => {
  const recipientSecret = suite.randomBytes(32);
  const recipient = suite.box.publicKeyFromSecret(recipientSecret);
  const ctx: WrapContext = { vaultId: suite.randomBytes(16), scopeId: suite.randomBytes(16), epoch: 3 };
  const key = suite.randomBytes(32);

  it('a wrapped key opens for its recipient in its context only', () => {
    const wrapped = wrapKey(suite, key, recipient, ctx);
    expect(wrapped.length).toBe(WRAPPED_KEY_BYTES);
    expect(unwrapKey(suite, wrapped, recipientSecret, ctx)).toEqual(key);
    // Both suites make the same boxes: what one wraps, the other opens.
    const other = suite === nodeSuite ? tweetnaclSuite : nodeSuite;
    expect(unwrapKey(other, wrapped, recipientSecret, ctx)).toEqual(key);

    expect(codeOf(() => unwrapKey(suite, wrapped, suite.randomBytes(32), ctx))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => unwrapKey(suite, wrapped, recipientSecret, { ...ctx, epoch: 4 }))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => unwrapKey(suite, wrapped, recipientSecret, { ...ctx, scopeId: suite.randomBytes(16) }))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => unwrapKey(suite, wrapped, recipientSecret, { ...ctx, vaultId: suite.randomBytes(16) }))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => unwrapKey(suite, wrapped.subarray(1), recipientSecret, ctx))).toBe('TAMPERED/BAD_WRAP');
    // Fresh randomness every time: two wraps of one key share nothing.
    expect(wrapKey(suite, key, recipient, ctx)).not.toEqual(wrapped);
  });

  it('any altered byte of a wrap makes it refuse to open', () => {
    const wrapped = wrapKey(suite, key, recipient, ctx);
    // The one spot X25519 itself would forgive: the top bit of the ephemeral key.
    const topBit = wrapped.slice();
    topBit[31]! ^= 0x80;
    expect(codeOf(() => unwrapKey(suite, topBit, recipientSecret, ctx))).toBe('TAMPERED/BAD_WRAP');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: wrapped.length - 1 }), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
        const bad = wrapped.slice();
        bad[pos]! ^= 1 << bit;
        expect(codeOf(() => unwrapKey(suite, bad, recipientSecret, ctx))).toBe('TAMPERED/BAD_WRAP');
      }),
      { numRuns: suite === nodeSuite ? 100 : 20 },
    );
  });

  it('a history key opens with the next epoch’s key, for its own epoch', () => {
    const next = suite.randomBytes(32);
    const sealed = sealHistory(suite, key, next, ctx);
    expect(openHistory(suite, sealed, next, ctx)).toEqual(key);
    expect(codeOf(() => openHistory(suite, sealed, key, ctx))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => openHistory(suite, sealed, next, { ...ctx, epoch: 2 }))).toBe('TAMPERED/BAD_WRAP');
  });

  it('a sealed name opens for its member only', () => {
    const member = suite.randomBytes(32);
    const sealed = sealName(suite, 'Zoë', key, ctx, member);
    expect(openName(suite, sealed, key, ctx, member)).toBe('Zoë');
    expect(codeOf(() => openName(suite, sealed, key, ctx, suite.randomBytes(32)))).toBe('TAMPERED/BAD_WRAP');
    expect(codeOf(() => sealName(suite, '', key, ctx, member))).toBe('INVALID_NAME/');
    expect(codeOf(() => sealName(suite, ' Zoë', key, ctx, member))).toBe('INVALID_NAME/');
    expect(codeOf(() => sealName(suite, 'x'.repeat(257), key, ctx, member))).toBe('INVALID_NAME/');
  });
});

describe('weak X25519 keys', () => {
  it('the blocklist is exactly what libsodium refuses a shared secret with, in every encoding', () => {
    expect(SMALL_ORDER).toHaveLength(7);
    for (const listed of SMALL_ORDER) {
      for (const top of [0, 0x80]) {
        const point = listed.slice();
        point[31]! |= top;
        expect(isWeakBoxKey(point)).toBe(true);
        expect(() => sodium.crypto_scalarmult(sodium.randombytes_buf(32), point)).toThrow();
        expect(codeOf(() => wrapKey(nodeSuite, new Uint8Array(32), point, { vaultId: new Uint8Array(16), scopeId: new Uint8Array(16), epoch: 1 }))).toBe('MEMBERSHIP_REFUSED/WEAK_KEY');
      }
    }
  });

  it('real public keys are not weak', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        const pk = sodium.crypto_scalarmult_base(secret);
        expect(isWeakBoxKey(pk)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
