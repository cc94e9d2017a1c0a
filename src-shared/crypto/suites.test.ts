/**
 * Both CryptoSuites against the contract in suite.ts, and against each other byte for byte:
 * the renderer (tweetnacl) and the main process (node:crypto + libsodium) must read and
 * write the same envelopes. tweetnacl's Ed25519 manages about 200 signatures a second, so
 * its signature properties run fewer cases than the native suite's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeSha512, nodeSuite, opensslSigner } from '../../src-node/crypto/node-suite';
import { hash32, referenceSha512, sha512 } from './hash';
import { isTesseraError } from '../errors';
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, type CryptoSuite } from './suite';
import { tweetnaclSuite } from './tweetnacl-suite';

const SUITES = [
  { name: tweetnaclSuite.name, suite: tweetnaclSuite, signatureRuns: 50 },
  { name: nodeSuite.name, suite: nodeSuite, signatureRuns: 200 },
  // Where libsodium cannot load, Node processes sign and verify with OpenSSL: same contract.
  { name: 'node:crypto (OpenSSL) Ed25519', suite: { ...nodeSuite, ed25519: opensslSigner }, signatureRuns: 200 },
];

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const message = fc.uint8Array({ maxLength: 4096 });
/** A position anywhere in a buffer of `length` bytes, and a bit in that byte. */
const flip = (b: Uint8Array, position: number, bit: number): Uint8Array => {
  const out = b.slice();
  out[position % out.length]! ^= 1 << bit;
  return out;
};
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
/** Byte equality that stays fast at 1 MB (toEqual walks element by element). */
const same = (x: Uint8Array | null, y: Uint8Array): boolean => x !== null && Buffer.from(x).equals(Buffer.from(y));

/** Group order of Ed25519 (RFC 8032 §5.1: L). */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** Replaces S with S + L: the same group element, a different (non-canonical) encoding. */
function withNonCanonicalS(signature: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
  s += L; // S < L < 2^253, so S + L still fits in 32 bytes
  const out = signature.slice();
  for (let i = 0; i < 32; i++) {
    out[32 + i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

/**
 * Every encoding of a point of order 1, 2, 4 or 8 (with both sign bits where it differs).
 * A "public key" from this list makes [k]A vanish for some k, the root of trivial forgeries.
 */
const SMALL_ORDER_POINTS = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity (order 1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4 (the all-zero key)
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
].map(hex);

function expectMalformed(f: () => unknown): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(isTesseraError(error, 'MALFORMED'), String(error)).toBe(true);
}

describe.each(SUITES)('$name', ({ suite, signatureRuns }) => {
  describe('secretbox (XSalsa20-Poly1305)', () => {
    it('opens what it seals, and the output is MAC ‖ ciphertext', () => {
      fc.assert(
        fc.property(bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (key, nonce, plaintext) => {
          const sealed = suite.secretbox.seal(plaintext, nonce, key);
          expect(sealed.length).toBe(plaintext.length + MAC_BYTES);
          expect(suite.secretbox.open(sealed, nonce, key)).toEqual(plaintext);
        }),
        { numRuns: 100 },
      );
    });

    it.each([0, 1, 1024 * 1024])('round-trips a %i-byte message', (length) => {
      const key = suite.randomBytes(KEY_BYTES);
      const nonce = suite.randomBytes(NONCE_BYTES);
      const plaintext = suite.randomBytes(length);
      const sealed = suite.secretbox.seal(plaintext, nonce, key);
      expect(sealed.length).toBe(length + MAC_BYTES);
      expect(same(suite.secretbox.open(sealed, nonce, key), plaintext)).toBe(true);
    });

    it('returns null under a wrong key or nonce', () => {
      fc.assert(
        fc.property(bytes(KEY_BYTES), bytes(NONCE_BYTES), message, fc.nat(), fc.nat(7), (key, nonce, plaintext, at, bit) => {
          const sealed = suite.secretbox.seal(plaintext, nonce, key);
          expect(suite.secretbox.open(sealed, nonce, flip(key, at, bit))).toBeNull();
          expect(suite.secretbox.open(sealed, flip(nonce, at, bit), key)).toBeNull();
        }),
        { numRuns: 100 },
      );
    });

    it('returns null when any bit of the sealed bytes is flipped', () => {
      fc.assert(
        fc.property(bytes(KEY_BYTES), bytes(NONCE_BYTES), message, fc.nat(), fc.nat(7), (key, nonce, plaintext, at, bit) => {
          const sealed = suite.secretbox.seal(plaintext, nonce, key);
          expect(suite.secretbox.open(flip(sealed, at, bit), nonce, key)).toBeNull();
        }),
        { numRuns: 200 },
      );
    });

    it('returns null, without throwing, for input shorter than a MAC', () => {
      const key = suite.randomBytes(KEY_BYTES);
      const nonce = suite.randomBytes(NONCE_BYTES);
      for (let n = 0; n < MAC_BYTES; n++) expect(suite.secretbox.open(new Uint8Array(n), nonce, key)).toBeNull();
    });

    it('rejects keys and nonces of the wrong length as MALFORMED', () => {
      const key = suite.randomBytes(KEY_BYTES);
      const nonce = suite.randomBytes(NONCE_BYTES);
      const m = new Uint8Array(8);
      expectMalformed(() => suite.secretbox.seal(m, nonce, key.subarray(1)));
      expectMalformed(() => suite.secretbox.seal(m, nonce.subarray(1), key));
      const sealed = suite.secretbox.seal(m, nonce, key);
      expectMalformed(() => suite.secretbox.open(sealed, nonce, new Uint8Array(KEY_BYTES + 1)));
      expectMalformed(() => suite.secretbox.open(sealed, new Uint8Array(NONCE_BYTES + 1), key));
    });
  });

  describe('box (X25519 + XSalsa20-Poly1305)', () => {
    it('the recipient opens what the sender seals', () => {
      fc.assert(
        fc.property(bytes(KEY_BYTES), bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (aliceSecret, bobSecret, nonce, plaintext) => {
          const alice = suite.box.publicKeyFromSecret(aliceSecret);
          const bob = suite.box.publicKeyFromSecret(bobSecret);
          expect(alice.length).toBe(PUBLIC_KEY_BYTES);
          const sealed = suite.box.seal(plaintext, nonce, bob, aliceSecret);
          expect(sealed.length).toBe(plaintext.length + MAC_BYTES);
          expect(suite.box.open(sealed, nonce, alice, bobSecret)).toEqual(plaintext);
        }),
        { numRuns: 50 },
      );
    });

    it('returns null for a third party, a wrong sender, or a flipped bit', () => {
      fc.assert(
        fc.property(bytes(KEY_BYTES), bytes(KEY_BYTES), bytes(KEY_BYTES), bytes(NONCE_BYTES), message, fc.nat(), fc.nat(7), (aliceSecret, bobSecret, eveSecret, nonce, plaintext, at, bit) => {
          fc.pre(!same(eveSecret, bobSecret) && !same(eveSecret, aliceSecret));
          const alice = suite.box.publicKeyFromSecret(aliceSecret);
          const bob = suite.box.publicKeyFromSecret(bobSecret);
          const eve = suite.box.publicKeyFromSecret(eveSecret);
          const sealed = suite.box.seal(plaintext, nonce, bob, aliceSecret);
          expect(suite.box.open(sealed, nonce, alice, eveSecret)).toBeNull();
          expect(suite.box.open(sealed, nonce, eve, bobSecret)).toBeNull();
          expect(suite.box.open(flip(sealed, at, bit), nonce, alice, bobSecret)).toBeNull();
        }),
        { numRuns: 20 },
      );
    });
  });

  describe('ed25519', () => {
    it('verifies its own signatures, of any length including empty', () => {
      fc.assert(
        fc.property(bytes(SEED_BYTES), message, (seed, m) => {
          const publicKey = suite.ed25519.publicKeyFromSeed(seed);
          expect(publicKey.length).toBe(PUBLIC_KEY_BYTES);
          const signature = suite.ed25519.sign(m, seed, publicKey);
          expect(signature.length).toBe(SIGNATURE_BYTES);
          expect(suite.ed25519.verify(m, signature, publicKey)).toBe(true);
        }),
        { numRuns: signatureRuns, examples: [[new Uint8Array(SEED_BYTES), new Uint8Array(0)]] },
      );
    });

    it('verifies a signature over a 1 MB message', () => {
      const seed = suite.randomBytes(SEED_BYTES);
      const publicKey = suite.ed25519.publicKeyFromSeed(seed);
      const m = suite.randomBytes(1024 * 1024);
      expect(suite.ed25519.verify(m, suite.ed25519.sign(m, seed, publicKey), publicKey)).toBe(true);
    });

    it('returns false when one bit of the message, signature or public key is flipped', () => {
      fc.assert(
        fc.property(bytes(SEED_BYTES), fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.constantFrom('message', 'signature', 'publicKey'), fc.nat(), fc.nat(7), (seed, m, target, at, bit) => {
          const publicKey = suite.ed25519.publicKeyFromSeed(seed);
          const signature = suite.ed25519.sign(m, seed, publicKey);
          const args: Record<typeof target, Uint8Array> = { message: m, signature, publicKey };
          args[target] = flip(args[target], at, bit);
          expect(suite.ed25519.verify(args.message, args.signature, args.publicKey)).toBe(false);
        }),
        { numRuns: signatureRuns },
      );
    });

    it('returns false under another key', () => {
      const m = new TextEncoder().encode('rotate the scope key');
      const seed = suite.randomBytes(SEED_BYTES);
      const signature = suite.ed25519.sign(m, seed, suite.ed25519.publicKeyFromSeed(seed));
      const other = suite.ed25519.publicKeyFromSeed(suite.randomBytes(SEED_BYTES));
      expect(suite.ed25519.verify(m, signature, other)).toBe(false);
    });

    it('never throws on garbage: any lengths, and small-order or all-zero keys', () => {
      const publicKey = fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        bytes(PUBLIC_KEY_BYTES),
        fc.constantFrom(...SMALL_ORDER_POINTS),
        fc.constant(new Uint8Array(PUBLIC_KEY_BYTES).fill(0xff)),
      );
      const signature = fc.oneof(fc.uint8Array({ maxLength: 80 }), bytes(SIGNATURE_BYTES), fc.constant(new Uint8Array(SIGNATURE_BYTES)));
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), signature, publicKey, (m, sig, pk) => {
          const ok = suite.ed25519.verify(m, sig, pk);
          expect(typeof ok).toBe('boolean');
          if (sig.length !== SIGNATURE_BYTES || pk.length !== PUBLIC_KEY_BYTES) expect(ok).toBe(false);
        }),
        { numRuns: signatureRuns },
      );
    });

    it('returns false for a genuine signature presented under a small-order or all-zero key', () => {
      const m = new TextEncoder().encode('tessera');
      const seed = suite.randomBytes(SEED_BYTES);
      const signature = suite.ed25519.sign(m, seed, suite.ed25519.publicKeyFromSeed(seed));
      for (const point of SMALL_ORDER_POINTS) expect(suite.ed25519.verify(m, signature, point)).toBe(false);
    });

    // Without libsodium's small-order check, (R = identity, S = 0) "verifies" every message
    // under the identity key (OpenSSL and tweetnacl alone accept it).
    it('rejects the universal forgery under the identity key (small-order key)', () => {
      const identity = SMALL_ORDER_POINTS[0]!;
      const forged = new Uint8Array(SIGNATURE_BYTES);
      forged.set(identity, 0); // R = identity, S = 0
      for (const text of ['', 'grant admin to mallory', 'any message at all']) {
        expect(suite.ed25519.verify(new TextEncoder().encode(text), forged, identity)).toBe(false);
      }
    });

    // tweetnacl alone does not check S < L (RFC 8032 §5.1.7): a valid signature could be
    // re-encoded into a second valid one.
    it('rejects a non-canonical signature (S + L)', () => {
      const m = new TextEncoder().encode('tessera');
      const seed = suite.randomBytes(SEED_BYTES);
      const publicKey = suite.ed25519.publicKeyFromSeed(seed);
      const signature = suite.ed25519.sign(m, seed, publicKey);
      expect(suite.ed25519.verify(m, withNonCanonicalS(signature), publicKey)).toBe(false);
    });

    it('rejects seeds and public keys of the wrong length as MALFORMED when signing', () => {
      const seed = suite.randomBytes(SEED_BYTES);
      const publicKey = suite.ed25519.publicKeyFromSeed(seed);
      const m = new Uint8Array(4);
      expectMalformed(() => suite.ed25519.publicKeyFromSeed(seed.subarray(1)));
      expectMalformed(() => suite.ed25519.sign(m, seed.subarray(1), publicKey));
      expectMalformed(() => suite.ed25519.sign(m, seed, publicKey.subarray(1)));
    });
  });

  it('randomBytes returns the length asked for, and not the same bytes twice', () => {
    expect(suite.randomBytes(0).length).toBe(0);
    const a = suite.randomBytes(32);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(suite.randomBytes(32));
  });
});

describe('tweetnacl and native suites agree byte for byte', () => {
  const a: CryptoSuite = tweetnaclSuite;
  const b: CryptoSuite = nodeSuite;

  it('same seed → same public key; same seed and message → same signature; each verifies the other', () => {
    fc.assert(
      fc.property(bytes(SEED_BYTES), message, (seed, m) => {
        const publicKey = a.ed25519.publicKeyFromSeed(seed);
        expect(b.ed25519.publicKeyFromSeed(seed)).toEqual(publicKey);
        const sigA = a.ed25519.sign(m, seed, publicKey);
        const sigB = b.ed25519.sign(m, seed, publicKey);
        expect(sigB).toEqual(sigA); // Ed25519 is deterministic
        expect(a.ed25519.verify(m, sigB, publicKey)).toBe(true);
        expect(b.ed25519.verify(m, sigA, publicKey)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('same key, nonce and message → identical secretbox; each opens the other', () => {
    fc.assert(
      fc.property(bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (key, nonce, m) => {
        const sealedA = a.secretbox.seal(m, nonce, key);
        expect(b.secretbox.seal(m, nonce, key)).toEqual(sealedA);
        expect(b.secretbox.open(sealedA, nonce, key)).toEqual(m);
        expect(a.secretbox.open(b.secretbox.seal(m, nonce, key), nonce, key)).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });

  it('agree on a 1 MB secretbox', () => {
    const key = b.randomBytes(KEY_BYTES);
    const nonce = b.randomBytes(NONCE_BYTES);
    const m = b.randomBytes(1024 * 1024);
    expect(same(a.secretbox.seal(m, nonce, key), b.secretbox.seal(m, nonce, key))).toBe(true);
  });

  it('same keys and nonce → identical box; each opens the other', () => {
    fc.assert(
      fc.property(bytes(KEY_BYTES), bytes(KEY_BYTES), bytes(NONCE_BYTES), message, (aliceSecret, bobSecret, nonce, m) => {
        const alice = a.box.publicKeyFromSecret(aliceSecret);
        const bob = b.box.publicKeyFromSecret(bobSecret);
        expect(b.box.publicKeyFromSecret(aliceSecret)).toEqual(alice);
        const sealed = a.box.seal(m, nonce, bob, aliceSecret);
        expect(b.box.seal(m, nonce, bob, aliceSecret)).toEqual(sealed);
        expect(b.box.open(sealed, nonce, alice, bobSecret)).toEqual(m);
      }),
      { numRuns: 30 },
    );
  });
});

describe('SHA-512: node:crypto and tweetnacl', () => {
  it('give the same bytes for any parts, and hash32 is the reference over domain ‖ 0x00 ‖ data', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 4 }), fc.string(), message, (parts, domain, data) => {
        expect(nodeSha512(parts)).toEqual(referenceSha512(parts));
        expect(nodeSha512([Uint8Array.from(parts.flatMap((p) => [...p]))])).toEqual(nodeSha512(parts));
        expect(sha512(data)).toEqual(referenceSha512([data]));
        const joined = Uint8Array.from([...new TextEncoder().encode(domain), 0, ...data]);
        expect(hash32(domain, data)).toEqual(referenceSha512([joined]).subarray(0, 32));
      }),
      { numRuns: 300 },
    );
  });

  it('is the FIPS 180-4 digest of "abc"', () => {
    const abc = new TextEncoder().encode('abc');
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const expected = 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';
    expect(hex(nodeSha512([abc]))).toBe(expected);
    expect(hex(referenceSha512([abc]))).toBe(expected);
  });
});
