/**
 * The envelope: one sealed, signed Yjs update (or snapshot) of one scope. The same bytes
 * are the local storage format and the relay's wire format (DESIGN.md, "Keys and documents").
 *
 *   3   magic "TSE"               also the signature's domain separation: no other kind of
 *                                 message Tessera signs starts with these bytes
 *   u8  format version (1)
 *   u8  kind (1 update, 2 snapshot)
 *   16  vault id
 *   16  scope id
 *   var epoch                     which of the scope's keys sealed it
 *   32  author Ed25519 public key
 *   var counter                   author's per-scope counter: 1, 2, 3… (0 for snapshots)
 *   32  previous hash             hash of the author's previous update in this scope (zeros first)
 *   var covers                    snapshot: the relay sequence it covers up to (0 = local)
 *   var log seq                   (version 2) the membership log head the author wrote under:
 *   32  log hash                  its seq and entry hash (0 and zeros for a vault without a log)
 *   24  nonce                     random, for XSalsa20-Poly1305
 *   var+ sealed                   secretbox(plaintext) under the epoch key
 *   64  signature                 Ed25519 over every byte above (magic included)
 *
 * The signature binds the ciphertext to its vault, scope, epoch, author and place in the
 * author's chain, so the relay can check authorship and order without any key to read it.
 * Version 2 adds the membership head: whether the author could write this scope, and under
 * which epoch, is judged at that head (src-shared/membership/authorship.ts), so a change
 * cannot be passed off as written at another point of the vault's membership history, and a
 * reader who sees a later head than its own knows the relay is holding entries back.
 * Version 1 envelopes (no head) are still read; nothing writes them any more.
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, equalBytes, utf8 } from '../crypto/bytes';
import { hash32, HASH_BYTES } from '../crypto/hash';
import { NONCE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type CryptoSuite } from '../crypto/suite';
import { TesseraError } from '../errors';
import { ByteReader } from './reader';

export const ENVELOPE_VERSION = 2;
/** The format before the membership head was named: read, never written. */
export const LEGACY_ENVELOPE_VERSION = 1;
export const ID_BYTES = 16;
/** No single envelope may exceed this (a snapshot of a very large vault included). */
export const MAX_SEALED_BYTES = 256 * 1024 * 1024;

export type EnvelopeKind = 'update' | 'snapshot';
const KIND_CODE: Record<EnvelopeKind, number> = { update: 1, snapshot: 2 };

const MAGIC = utf8.encode('TSE');

export interface EnvelopeHeader {
  readonly kind: EnvelopeKind;
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  readonly epoch: number;
  readonly author: Uint8Array;
  readonly counter: number;
  readonly prevHash: Uint8Array;
  readonly covers: number;
  /** The membership log head the author wrote under (seq 0 and zeros: a vault without a log). */
  readonly logHead: LogHeadRef;
}

/** A membership log head as an envelope names it. */
export interface LogHeadRef {
  readonly seq: number;
  readonly hash: Uint8Array;
}

export interface Envelope extends EnvelopeHeader {
  /** 2, or 1 for an envelope written before heads were named (its logHead is then seq 0, zeros). */
  readonly version: number;
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
  readonly signature: Uint8Array;
  /** The whole encoding, as stored and sent. */
  readonly bytes: Uint8Array;
  /** Where the signature starts: bytes[0, signedLength) is what was signed. */
  readonly signedLength: number;
}

export interface SigningKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export const ZERO_HASH = new Uint8Array(HASH_BYTES);
/** What a vault without a membership log (made before sharing) names as its head. */
export const NO_LOG_HEAD: LogHeadRef = { seq: 0, hash: ZERO_HASH };

function checkHeader(h: EnvelopeHeader): void {
  const ok =
    h.vaultId.length === ID_BYTES &&
    h.scopeId.length === ID_BYTES &&
    h.author.length === PUBLIC_KEY_BYTES &&
    h.prevHash.length === HASH_BYTES &&
    Number.isSafeInteger(h.epoch) && h.epoch >= 0 &&
    Number.isSafeInteger(h.counter) && h.counter >= 0 &&
    Number.isSafeInteger(h.covers) && h.covers >= 0 &&
    Number.isSafeInteger(h.logHead.seq) && h.logHead.seq >= 0 && h.logHead.hash.length === HASH_BYTES &&
    (h.kind === 'update' ? h.counter >= 1 : h.counter === 0);
  if (!ok) throw new TesseraError('INVALID_INPUT', 'Invalid envelope header');
}

/** Seals `plaintext` under `key` and signs the result. Returns the encoded envelope. */
export function sealEnvelope(
  suite: CryptoSuite,
  header: Omit<EnvelopeHeader, 'author'>,
  plaintext: Uint8Array,
  key: Uint8Array,
  signer: SigningKey,
): Uint8Array {
  const full: EnvelopeHeader = { ...header, author: signer.publicKey };
  checkHeader(full);
  const nonce = suite.randomBytes(NONCE_BYTES);
  const sealed = suite.secretbox.seal(plaintext, nonce, key);
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, MAGIC);
  encoding.writeUint8(e, ENVELOPE_VERSION);
  encoding.writeUint8(e, KIND_CODE[full.kind]);
  encoding.writeUint8Array(e, full.vaultId);
  encoding.writeUint8Array(e, full.scopeId);
  encoding.writeVarUint(e, full.epoch);
  encoding.writeUint8Array(e, full.author);
  encoding.writeVarUint(e, full.counter);
  encoding.writeUint8Array(e, full.prevHash);
  encoding.writeVarUint(e, full.covers);
  encoding.writeVarUint(e, full.logHead.seq);
  encoding.writeUint8Array(e, full.logHead.hash);
  encoding.writeUint8Array(e, nonce);
  encoding.writeVarUint8Array(e, sealed);
  const signed = encoding.toUint8Array(e);
  const signature = suite.ed25519.sign(signed, signer.seed, signer.publicKey);
  return concatBytes(signed, signature);
}

/** Parses an envelope without checking its signature. Throws MALFORMED / UNSUPPORTED_VERSION. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r: ByteReader = new ByteReader(bytes, 'envelope'); // annotated so fail() narrows
  if (!equalBytes(r.fixed(MAGIC.length), MAGIC)) r.fail('not an envelope');
  const version = r.u8();
  if (version !== ENVELOPE_VERSION && version !== LEGACY_ENVELOPE_VERSION) {
    throw new TesseraError('UNSUPPORTED_VERSION', `Envelope format ${version} is not supported by this version of Tessera`);
  }
  const kindCode = r.u8();
  const kind: EnvelopeKind | undefined = kindCode === 1 ? 'update' : kindCode === 2 ? 'snapshot' : undefined;
  if (!kind) r.fail(`unknown kind ${kindCode}`);
  const vaultId = r.fixed(ID_BYTES);
  const scopeId = r.fixed(ID_BYTES);
  const epoch = r.varUint();
  const author = r.fixed(PUBLIC_KEY_BYTES);
  const counter = r.varUint();
  const prevHash = r.fixed(HASH_BYTES);
  const covers = r.varUint();
  const logHead = version === LEGACY_ENVELOPE_VERSION ? { seq: 0, hash: ZERO_HASH } : { seq: r.varUint(), hash: r.fixed(HASH_BYTES) };
  const nonce = r.fixed(NONCE_BYTES);
  const sealed = r.sized(MAX_SEALED_BYTES);
  const signedLength = r.offset;
  const signature = r.fixed(SIGNATURE_BYTES);
  r.end();
  if (kind === 'update' ? counter < 1 : counter !== 0) r.fail('bad counter');
  return { version, kind, vaultId, scopeId, epoch, author, counter, prevHash, covers, logHead, nonce, sealed, signature, bytes, signedLength };
}

/** True when the author's signature covers every byte of the envelope. */
export function verifyEnvelope(suite: CryptoSuite, env: Envelope): boolean {
  return suite.ed25519.verify(env.bytes.subarray(0, env.signedLength), env.signature, env.author);
}

/** The same check off the main thread where the suite can (node:crypto's thread pool). */
export function verifyEnvelopeAsync(suite: CryptoSuite, env: Envelope): Promise<boolean> {
  const message = env.bytes.subarray(0, env.signedLength);
  return suite.ed25519.verifyAsync ? suite.ed25519.verifyAsync(message, env.signature, env.author) : Promise.resolve(verifyEnvelope(suite, env));
}

/** Decrypts with the epoch key. Throws TAMPERED when the MAC fails (wrong key or altered bytes). */
export function openEnvelope(suite: CryptoSuite, env: Envelope, key: Uint8Array): Uint8Array {
  const plain = suite.secretbox.open(env.sealed, env.nonce, key);
  if (!plain) throw new TesseraError('TAMPERED', 'An envelope failed its integrity check');
  return plain;
}

/** Decodes, verifies and opens in one step: what every reader of untrusted bytes should call. */
export function openVerifiedEnvelope(
  suite: CryptoSuite,
  bytes: Uint8Array,
  keyForEpoch: (env: Envelope) => Uint8Array,
  opts: { skipSignature?: boolean } = {},
): { envelope: Envelope; plaintext: Uint8Array } {
  let envelope: Envelope;
  try {
    envelope = decodeEnvelope(bytes);
  } catch (e) {
    // Any bit flip in a length, a fixed field or the version byte shows up here: report it as
    // tampering (a genuinely newer format is named in the message).
    if (e instanceof TesseraError && (e.code === 'MALFORMED' || e.code === 'UNSUPPORTED_VERSION')) {
      throw new TesseraError('TAMPERED', `Envelope rejected: ${e.message}`);
    }
    throw e;
  }
  if (!opts.skipSignature && !verifyEnvelope(suite, envelope)) {
    throw new TesseraError('TAMPERED', 'An envelope has an invalid signature');
  }
  return { envelope, plaintext: openEnvelope(suite, envelope, keyForEpoch(envelope)) };
}

/** The chain hash of an update: what the author's next update names as `prevHash`. */
export function envelopeHash(bytes: Uint8Array): Uint8Array {
  return hash32('tessera/envelope-hash/v1', bytes);
}
