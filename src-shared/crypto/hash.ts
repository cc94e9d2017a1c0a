/**
 * SHA-512 (FIPS 180-4) from tweetnacl, and the 32-byte truncation Tessera uses for
 * content hashes and chains. Domain-separated so a hash of one kind is never valid as
 * another.
 */
import nacl from 'tweetnacl';
import { concatBytes, utf8 } from './bytes';

export const HASH_BYTES = 32;

export function sha512(data: Uint8Array): Uint8Array {
  return nacl.hash(data);
}

/** SHA-512 over (domain ‖ 0x00 ‖ data), truncated to 32 bytes. */
export function hash32(domain: string, data: Uint8Array): Uint8Array {
  return nacl.hash(concatBytes(utf8.encode(domain), new Uint8Array([0]), data)).subarray(0, HASH_BYTES);
}
