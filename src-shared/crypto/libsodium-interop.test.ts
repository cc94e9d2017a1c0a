/**
 * Both CryptoSuites against libsodium (libsodium.js, an independent build of the reference
 * C library) and against the RFC 8032 §7.1 Ed25519 vectors in test/vectors/. If a suite
 * and libsodium disagree on a single byte, vaults written by one cannot be read by the other.
 */
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeSuite, opensslSigner } from '../../src-node/crypto/node-suite';
import rfc8032 from '../../test/vectors/ed25519-rfc8032.json';
import { isTesseraError } from '../errors';
import { fromBase64Url, fromHex, toBase64Url, toHex } from './bytes';
import { KEY_BYTES, NONCE_BYTES, SEED_BYTES } from './suite';
import { tweetnaclSuite } from './tweetnacl-suite';

const SUITES = [
  { name: tweetnaclSuite.name, suite: tweetnaclSuite, signatureRuns: 50 },
  { name: nodeSuite.name, suite: nodeSuite, signatureRuns: 100 },
  // Where libsodium cannot load, Node processes sign and verify with OpenSSL: same contract.
  { name: 'node:crypto (OpenSSL) Ed25519', suite: { ...nodeSuite, ed25519: opensslSigner }, signatureRuns: 100 },
];

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const message = fc.uint8Array({ maxLength: 4096 });
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

beforeAll(async () => {
  await sodium.ready;
});

describe.each(SUITES)('$name against libsodium', ({ suite, signatureRuns }) => {
  it('secretbox: libsodium opens what Tessera seals, Tessera opens what libsodium seals', () => {
    fc.assert(
      fc.property(bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (key, nonce, m) => {
        const ours = suite.secretbox.seal(m, nonce, key);
        const theirs = sodium.crypto_secretbox_easy(m, nonce, key);
        expect(ours).toEqual(theirs);
        expect(sodium.crypto_secretbox_open_easy(ours, nonce, key)).toEqual(m);
        expect(suite.secretbox.open(theirs, nonce, key)).toEqual(m);
      }),
      { numRuns: 100 },
    );
  });

  it('box: same X25519 public keys, and each side opens the other’s boxes', () => {
    fc.assert(
      fc.property(bytes(KEY_BYTES), bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (aliceSecret, bobSecret, nonce, m) => {
        const alice = suite.box.publicKeyFromSecret(aliceSecret);
        const bob = suite.box.publicKeyFromSecret(bobSecret);
        expect(sodium.crypto_scalarmult_base(aliceSecret)).toEqual(alice);
        // Tessera (Alice) → libsodium (Bob)
        const ours = suite.box.seal(m, nonce, bob, aliceSecret);
        expect(sodium.crypto_box_open_easy(ours, nonce, alice, bobSecret)).toEqual(m);
        // libsodium (Bob) → Tessera (Alice)
        const theirs = sodium.crypto_box_easy(m, nonce, alice, bobSecret);
        expect(suite.box.open(theirs, nonce, bob, aliceSecret)).toEqual(m);
      }),
      { numRuns: 30 },
    );
  });

  it('ed25519: same public key and signature; each verifies the other’s', () => {
    fc.assert(
      fc.property(bytes(SEED_BYTES), message, (seed, m) => {
        const publicKey = suite.ed25519.publicKeyFromSeed(seed);
        const theirKeys = sodium.crypto_sign_seed_keypair(seed);
        expect(theirKeys.publicKey).toEqual(publicKey);
        // libsodium's secret key is seed ‖ public key.
        expect(theirKeys.privateKey.subarray(0, 32)).toEqual(seed);
        expect(theirKeys.privateKey.subarray(32)).toEqual(publicKey);

        const ours = suite.ed25519.sign(m, seed, publicKey);
        const theirs = sodium.crypto_sign_detached(m, theirKeys.privateKey);
        expect(ours).toEqual(theirs);
        expect(sodium.crypto_sign_verify_detached(ours, m, publicKey)).toBe(true);
        expect(suite.ed25519.verify(m, theirs, theirKeys.publicKey)).toBe(true);
      }),
      { numRuns: signatureRuns },
    );
  });

  it.each(rfc8032.vectors)('ed25519: RFC 8032 $name gives the published public key and signature', (v) => {
    const seed = hex(v.secretKey);
    const publicKey = hex(v.publicKey);
    const m = hex(v.message);
    const signature = hex(v.signature);
    expect(toHex(suite.ed25519.publicKeyFromSeed(seed))).toBe(v.publicKey);
    expect(toHex(suite.ed25519.sign(m, seed, publicKey))).toBe(v.signature);
    expect(suite.ed25519.verify(m, signature, publicKey)).toBe(true);
  });
});

describe('the RFC 8032 vector file', () => {
  it('holds TEST 1, 2, 3 and 1024 with their message lengths', () => {
    expect(rfc8032.vectors.map((v) => [v.name, v.message.length / 2])).toEqual([
      ['TEST 1', 0],
      ['TEST 2', 1],
      ['TEST 3', 2],
      ['TEST 1024', 1023],
    ]);
  });

  it.each(rfc8032.vectors)('libsodium agrees with $name (so the file is not mistyped)', (v) => {
    const keys = sodium.crypto_sign_seed_keypair(hex(v.secretKey));
    expect(sodium.to_hex(keys.publicKey)).toBe(v.publicKey);
    expect(sodium.to_hex(sodium.crypto_sign_detached(hex(v.message), keys.privateKey))).toBe(v.signature);
    expect(sodium.crypto_sign_verify_detached(hex(v.signature), hex(v.message), hex(v.publicKey))).toBe(true);
  });
});

describe('libsodium as the reference for edge cases', () => {
  it('rejects the small-order forgery that both suites accept (see suites.test.ts)', () => {
    const identity = hex('0100000000000000000000000000000000000000000000000000000000000000');
    const forged = new Uint8Array(64);
    forged.set(identity, 0); // R = identity, S = 0
    expect(sodium.crypto_sign_verify_detached(forged, new TextEncoder().encode('any message'), identity)).toBe(false);
  });
});

describe('hex and base64url helpers', () => {
  const anyBytes = fc.uint8Array({ maxLength: 300 });

  it('toHex and fromHex match Buffer and libsodium', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        const s = toHex(b);
        expect(s).toBe(Buffer.from(b).toString('hex'));
        expect(s).toBe(sodium.to_hex(b));
        expect(fromHex(s)).toEqual(b);
        expect(fromHex(s.toUpperCase())).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('toBase64Url and fromBase64Url match Buffer and libsodium (no padding)', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        const s = toBase64Url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(s).toBe(sodium.to_base64(b, sodium.base64_variants.URLSAFE_NO_PADDING));
        expect(fromBase64Url(s)).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it('reject what is not hex or base64url as MALFORMED', () => {
    const malformed = (f: () => unknown): boolean => {
      try {
        f();
        return false;
      } catch (e) {
        return isTesseraError(e, 'MALFORMED');
      }
    };
    for (const s of ['0', 'abc', 'zz', '0x00', ' 00', '00 ', 'é0']) expect(malformed(() => fromHex(s)), s).toBe(true);
    for (const s of ['A', 'AAAAA', 'AA==', 'AA+A', 'AA/A', 'AA.A', 'AAé', 'AA A']) expect(malformed(() => fromBase64Url(s)), s).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
        fc.pre(/[^A-Za-z0-9_-]/.test(s) || s.length % 4 === 1);
        expect(malformed(() => fromBase64Url(s))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
