/**
 * HMAC-SHA-512 (RFC 2104 over FIPS 180-4 SHA-512, as in RFC 4231), on tweetnacl's SHA-512,
 * so that shared code can authenticate with a shared secret anywhere.
 */
import nacl from 'tweetnacl';
import { concatBytes } from './bytes';

const BLOCK = 128;

export function hmacSha512(key: Uint8Array, message: Uint8Array): Uint8Array {
  let k = key.length > BLOCK ? nacl.hash(key) : key;
  const padded = new Uint8Array(BLOCK);
  padded.set(k);
  k = padded;
  const ipad = k.map((b) => b ^ 0x36);
  const opad = k.map((b) => b ^ 0x5c);
  const inner = nacl.hash(concatBytes(ipad, message));
  const out = nacl.hash(concatBytes(opad, inner));
  padded.fill(0);
  ipad.fill(0);
  opad.fill(0);
  return out;
}
