/**
 * Fingerprints are read aloud between people to rule out a swapped key, so they must change
 * with either key, never change for the same keys, and keep their exact format across
 * releases (the golden values below). SHA-512 is recomputed with libsodium, independently.
 */
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from './bytes';
import { fingerprint, formatFingerprint, memberId, type PublicIdentity } from './identity';
import { tweetnaclSuite } from './tweetnacl-suite';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const identity = fc.record({ signPublicKey: key, boxPublicKey: key });
const flip = (b: Uint8Array, position: number, bit: number): Uint8Array => {
  const out = b.slice();
  out[position % out.length]! ^= 1 << bit;
  return out;
};
const GOLDEN: PublicIdentity = { signPublicKey: new Uint8Array(32).fill(1), boxPublicKey: new Uint8Array(32).fill(2) };

beforeAll(async () => {
  await sodium.ready;
});

/** libsodium's crypto_hash is SHA-512 (checked against FIPS 180-2's "abc" below). */
const sha512 = (b: Uint8Array): Uint8Array => sodium.crypto_hash(b);

it('the reference hash is SHA-512', () => {
  expect(toHex(sha512(utf8.encode('abc')))).toBe(
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
      '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  );
});

describe('fingerprint', () => {
  it('is SHA-512 over the domain, a zero byte and both keys, cut to 32 bytes', () => {
    fc.assert(
      fc.property(identity, (id) => {
        const input = concatBytes(utf8.encode('tessera/fingerprint/v1'), new Uint8Array([0]), id.signPublicKey, id.boxPublicKey);
        expect(fingerprint(id)).toEqual(sha512(input).subarray(0, 32));
      }),
      { numRuns: 100 },
    );
  });

  it('changes when either public key changes by one bit', () => {
    fc.assert(
      fc.property(identity, fc.boolean(), fc.nat(), fc.nat(7), (id, signKey, at, bit) => {
        const changed = signKey
          ? { ...id, signPublicKey: flip(id.signPublicKey, at, bit) }
          : { ...id, boxPublicKey: flip(id.boxPublicKey, at, bit) };
        expect(fingerprint(changed)).not.toEqual(fingerprint(id));
        expect(formatFingerprint(fingerprint(changed))).not.toBe(formatFingerprint(fingerprint(id)));
        expect(memberId(changed)).not.toBe(memberId(id));
      }),
      { numRuns: 200 },
    );
  });

  it('changes when the two keys swap places', () => {
    fc.assert(
      fc.property(identity, (id) => {
        fc.pre(toHex(id.signPublicKey) !== toHex(id.boxPublicKey));
        const swapped = { signPublicKey: id.boxPublicKey, boxPublicKey: id.signPublicKey };
        expect(fingerprint(swapped)).not.toEqual(fingerprint(id));
      }),
    );
  });

  it('works on a real identity from the suite', () => {
    const sign = tweetnaclSuite.ed25519.publicKeyFromSeed(tweetnaclSuite.randomBytes(32));
    const box = tweetnaclSuite.box.publicKeyFromSecret(tweetnaclSuite.randomBytes(32));
    expect(fingerprint({ signPublicKey: sign, boxPublicKey: box }).length).toBe(32);
  });
});

describe('formatFingerprint', () => {
  it('gives 12 groups of 5 digits', () => {
    fc.assert(
      fc.property(identity, (id) => {
        expect(formatFingerprint(fingerprint(id))).toMatch(/^\d{5}( \d{5}){11}$/);
      }),
      { numRuns: 200 },
    );
  });

  it('reads each group from 5 bytes of SHA-512(fingerprint), big-endian, mod 100000', () => {
    fc.assert(
      fc.property(identity, (id) => {
        const wide = sha512(fingerprint(id));
        const groups = Array.from({ length: 12 }, (_, i) => {
          const n = BigInt(`0x${toHex(wide.subarray(i * 5, i * 5 + 5))}`);
          return String(n % 100000n).padStart(5, '0');
        });
        expect(formatFingerprint(fingerprint(id))).toBe(groups.join(' '));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the same output across releases (golden, computed independently)', () => {
    expect(formatFingerprint(fingerprint(GOLDEN))).toBe(
      '35728 62096 46337 79473 80810 19539 22298 87682 27778 84551 66480 10379',
    );
  });
});

describe('memberId', () => {
  it('is 16 lower-case hex characters: the first 8 bytes of the fingerprint', () => {
    fc.assert(
      fc.property(identity, (id) => {
        const m = memberId(id);
        expect(m).toMatch(/^[0-9a-f]{16}$/);
        expect(m).toBe(toHex(fingerprint(id)).slice(0, 16));
      }),
      { numRuns: 200 },
    );
  });

  it('is stable: the same keys, in fresh copies, give the same id', () => {
    fc.assert(
      fc.property(identity, (id) => {
        const copy = { signPublicKey: id.signPublicKey.slice(), boxPublicKey: id.boxPublicKey.slice() };
        expect(memberId(copy)).toBe(memberId(id));
        expect(memberId(id)).toBe(memberId(id));
      }),
    );
  });

  it('keeps the same value across releases (golden)', () => {
    expect(memberId(GOLDEN)).toBe('f82b26c3d3279387');
  });
});
