/**
 * SHA-512 (FIPS 180-4), and the 32-byte truncation Tessera uses for content hashes and
 * chains. Domain-separated so a hash of one kind is never valid as another.
 *
 * tweetnacl's by default, so the renderer has one too; a Node process hands in node:crypto's
 * (src-node/crypto/node-suite.ts does on import): the same bytes, about four times faster,
 * which the relay feels, since it hashes every envelope it checks, stores and chains.
 */
import nacl from 'tweetnacl';
import { concatBytes, utf8 } from './bytes';

export const HASH_BYTES = 32;

/** SHA-512 of the parts, concatenated. */
export type Sha512 = (parts: readonly Uint8Array[]) => Uint8Array;

const ZERO = new Uint8Array([0]);

const tweetnaclSha512: Sha512 = (parts) => nacl.hash(parts.length === 1 ? parts[0]! : concatBytes(...parts));

let implementation: Sha512 = tweetnaclSha512;

/** Replaces the SHA-512 implementation; it must give tweetnacl's bytes (tests compare them). */
export function useSha512(impl: Sha512): void {
  implementation = impl;
}

export function sha512(data: Uint8Array): Uint8Array {
  return implementation([data]);
}

/** SHA-512 over (domain ‖ 0x00 ‖ data), truncated to 32 bytes. */
export function hash32(domain: string, data: Uint8Array): Uint8Array {
  return implementation([utf8.encode(domain), ZERO, data]).subarray(0, HASH_BYTES);
}

/** tweetnacl's, whatever is in use: for tests that compare implementations. */
export const referenceSha512: Sha512 = tweetnaclSha512;
