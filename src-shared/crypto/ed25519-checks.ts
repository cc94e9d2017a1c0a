/**
 * The checks libsodium makes before an Ed25519 verification (crypto_sign_verify_detached),
 * made here for both suites so that they accept exactly the same signatures:
 *
 * - S must be canonical (S < L, RFC 8032 §5.1.7); otherwise a valid signature could be
 *   re-encoded into a second valid one with other bytes (tweetnacl does not check).
 * - The public key A and the point R must not have small order: with A of small order,
 *   (R = identity, S = 0) "verifies" every message (OpenSSL and tweetnacl accept it).
 * - A must be a canonical encoding (its y below the field prime).
 */

// Points of order 1, 2, 4 or 8, and the non-canonical encodings of 0 and 1, compared with
// the sign bit masked off (libsodium's ge25519_has_small_order blocklist).
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => Uint8Array.from({ length: 32 }, (_, i) => parseInt(h.slice(i * 2, i * 2 + 2), 16)));

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

export function hasSmallOrder(point: Uint8Array): boolean {
  return SMALL_ORDER.some((b) => {
    let d = (point[31]! & 0x7f) ^ b[31]!;
    for (let i = 0; i < 31; i++) d |= point[i]! ^ b[i]!;
    return d === 0;
  });
}

/** y < 2^255 - 19 (the sign bit ignored). */
export function isCanonicalPoint(point: Uint8Array): boolean {
  if ((point[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (point[i] !== 0xff) return true;
  return point[0]! < 0xed;
}

/** S < L, comparing little-endian from the top byte. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L[i]!) return true;
    if (s[i]! > L[i]!) return false;
  }
  return false; // S == L
}

/** True when a signature and key may go on to the curve arithmetic at all. */
export function passesEd25519Prechecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  return (
    isCanonicalScalar(signature.subarray(32)) &&
    !hasSmallOrder(signature.subarray(0, 32)) &&
    isCanonicalPoint(publicKey) &&
    !hasSmallOrder(publicKey)
  );
}
