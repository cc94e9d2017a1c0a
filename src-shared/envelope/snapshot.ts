/**
 * What a snapshot envelope seals: the scope's full Yjs state plus each author's chain head
 * (counter and hash of their last update) at that point, so the chains continue after the
 * updates themselves are compacted away.
 */
import * as encoding from 'lib0/encoding';
import { toBase64Url, fromBase64Url } from '../crypto/bytes';
import { HASH_BYTES } from '../crypto/hash';
import { PUBLIC_KEY_BYTES } from '../crypto/suite';
import { MAX_SEALED_BYTES } from './envelope';
import { ByteReader } from './reader';
import { TesseraError } from '../errors';

export interface ChainHead {
  readonly counter: number;
  readonly hash: Uint8Array;
}

/** Author (base64url public key) → head. */
export type ChainHeads = Map<string, ChainHead>;

/** Throws INVALID_INPUT for a head that would not read back as written. */
export function encodeSnapshot(heads: ChainHeads, state: Uint8Array): Uint8Array {
  for (const [author, h] of heads) {
    if (fromBase64Url(author).length !== PUBLIC_KEY_BYTES || h.hash.length !== HASH_BYTES || !Number.isSafeInteger(h.counter) || h.counter < 0) {
      throw new TesseraError('INVALID_INPUT', 'Invalid chain head in snapshot');
    }
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // snapshot plaintext format
  encoding.writeVarUint(e, heads.size);
  for (const [author, h] of heads) {
    encoding.writeUint8Array(e, fromBase64Url(author));
    encoding.writeVarUint(e, h.counter);
    encoding.writeUint8Array(e, h.hash);
  }
  encoding.writeVarUint8Array(e, state);
  return encoding.toUint8Array(e);
}

export function decodeSnapshot(bytes: Uint8Array): { heads: ChainHeads; state: Uint8Array } {
  const r: ByteReader = new ByteReader(bytes, 'snapshot');
  if (r.varUint() !== 1) r.fail('unknown snapshot format');
  const n = r.varUint();
  if (n > 1_000_000) r.fail('too many authors');
  const heads: ChainHeads = new Map();
  for (let i = 0; i < n; i++) {
    const author = toBase64Url(r.fixed(PUBLIC_KEY_BYTES));
    heads.set(author, { counter: r.varUint(), hash: r.fixed(HASH_BYTES) });
  }
  const state = r.sized(MAX_SEALED_BYTES);
  r.end();
  return { heads, state };
}
