/**
 * A member's public identity (Ed25519 signing key + X25519 box key) and its fingerprint:
 * what two people read to each other to be sure no one in the middle swapped keys.
 */
import { concatBytes, toHex } from './bytes';
import { hash32, sha512 } from './hash';

export interface PublicIdentity {
  readonly signPublicKey: Uint8Array;
  readonly boxPublicKey: Uint8Array;
}

export function fingerprint(id: PublicIdentity): Uint8Array {
  return hash32('tessera/fingerprint/v1', concatBytes(id.signPublicKey, id.boxPublicKey));
}

/** A short, stable id for a member: the first 8 bytes of the fingerprint, in hex. */
export function memberId(id: PublicIdentity): string {
  return toHex(fingerprint(id).subarray(0, 8));
}

/**
 * 12 groups of 5 digits (about 199 bits), as in Signal's safety numbers:
 * digits read aloud well in any language.
 */
export function formatFingerprint(fp: Uint8Array): string {
  const wide = sha512(fp); // 64 bytes: 12 groups of 5 distinct bytes
  const groups: string[] = [];
  for (let i = 0; i < 12; i++) {
    const b = wide.subarray(i * 5, i * 5 + 5);
    // 5 bytes → a 40-bit number → 5 decimal digits (mod 100000, bias negligible at 2^40).
    let n = 0;
    for (const x of b) n = n * 256 + x;
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}
