/**
 * The audit log's record format. The file is a sequence of frames
 * `'A' kind ‖ u32 little-endian length ‖ body` (kind 'E' an event, 'C' a checkpoint), the
 * same framing idea as the vault store (src-main/store/frames.ts): the magic lets a reader
 * resync after damage and the length finds the end of a record.
 *
 *   event body:      seq u64 ‖ previous hash 32 ‖ nonce 24 ‖ secretbox(seq ‖ previous hash ‖ JSON)
 *   checkpoint body: seq u64 ‖ previous hash 32 ‖ at u64 ‖ Ed25519 signature 64
 *
 * Every record carries the SHA-256 of the body before it (the first carries a hash bound
 * to the profile), so removing, reordering or inserting a record breaks a link. The links
 * make every byte before a checkpoint part of what the checkpoint signs (with the profile's
 * identity key), and every byte up to the end part of what the head file authenticates
 * (head.ts): re-hashing the chain after an edit cannot reach past either without keys the
 * file's thief does not have. Event bodies are sealed under a key derived from the device
 * key, because names in an event are as private as the vault; the sealed part repeats the
 * header, so a seal also fails when moved to another place, which is how verify names the
 * edited event.
 */
import { createHash, createHmac, hash as cryptoHash } from 'node:crypto';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { MAC_BYTES, NONCE_BYTES, SIGNATURE_BYTES } from '../../src-shared/crypto/suite';
import { utf8 } from '../../src-shared/crypto/bytes';

export const HASH_BYTES = 32;
export const RECORD_MAGIC = 0x41; // 'A'
export const KIND_EVENT = 0x45; // 'E'
export const KIND_CHECKPOINT = 0x43; // 'C'
export const FRAME_HEADER_BYTES = 6;
const LINK_BYTES = 8 + HASH_BYTES;
const CHECKPOINT_BODY_BYTES = LINK_BYTES + 8 + SIGNATURE_BYTES;
// An event is a few hundred bytes; anything this large is damage, not an event.
const MAX_BODY_BYTES = 1024 * 1024;

/** The keys the audit log uses, derived from the device key for this purpose only. */
export interface AuditKeys {
  /** Seals event bodies. */
  readonly seal: Uint8Array;
  /** Authenticates the head file (see head.ts). */
  readonly head: Uint8Array;
}

export function auditKeysFromDeviceKey(deviceKey: Uint8Array): AuditKeys {
  const derive = (purpose: string) => new Uint8Array(createHmac('sha256', deviceKey).update(`tessera/audit-log/${purpose}/v1`).digest());
  return { seal: derive('seal'), head: derive('head') };
}

/** The "previous hash" of the first record: binds a log to its profile. */
export function genesisHash(profileId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`tessera/audit-log/genesis/v1\0${profileId}`).digest());
}

// One-shot hashing (Node 20.12+) is the cheaper call; verify makes one per record.
const sha256: (data: Uint8Array) => Uint8Array =
  typeof cryptoHash === 'function' ? (data) => cryptoHash('sha256', data, 'buffer') : (data) => createHash('sha256').update(data).digest();

export function hashBody(body: Uint8Array): Uint8Array {
  return sha256(body);
}

function writeLink(out: Uint8Array, seq: number, prevHash: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(0, BigInt(seq), true);
  out.set(prevHash, 8);
}

function frame(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  out[0] = RECORD_MAGIC;
  out[1] = kind;
  new DataView(out.buffer).setUint32(2, body.length, true);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** One event record: the frame to append and its body (whose hash the next record carries). */
export function sealEventRecord(suite: CryptoSuite, key: Uint8Array, seq: number, prevHash: Uint8Array, json: string): { frame: Uint8Array; body: Uint8Array } {
  const text = utf8.encode(json);
  const plain = new Uint8Array(LINK_BYTES + text.length);
  writeLink(plain, seq, prevHash);
  plain.set(text, LINK_BYTES);
  const nonce = suite.randomBytes(NONCE_BYTES);
  const sealed = suite.secretbox.seal(plain, nonce, key);
  const body = new Uint8Array(LINK_BYTES + NONCE_BYTES + sealed.length);
  writeLink(body, seq, prevHash);
  body.set(nonce, LINK_BYTES);
  body.set(sealed, LINK_BYTES + NONCE_BYTES);
  return { frame: frame(KIND_EVENT, body), body };
}

/** What a checkpoint's signature covers. */
export function checkpointMessage(profileId: string, seq: number, prevHash: Uint8Array, at: number): Uint8Array {
  const head = utf8.encode(`tessera/audit-checkpoint/v1\0${profileId}\0`);
  const out = new Uint8Array(head.length + LINK_BYTES + 8);
  out.set(head, 0);
  writeLink(out.subarray(head.length), seq, prevHash);
  new DataView(out.buffer).setBigUint64(head.length + LINK_BYTES, BigInt(at), true);
  return out;
}

export function checkpointRecord(seq: number, prevHash: Uint8Array, at: number, signature: Uint8Array): { frame: Uint8Array; body: Uint8Array } {
  const body = new Uint8Array(CHECKPOINT_BODY_BYTES);
  writeLink(body, seq, prevHash);
  new DataView(body.buffer).setBigUint64(LINK_BYTES, BigInt(at), true);
  body.set(signature, LINK_BYTES + 8);
  return { frame: frame(KIND_CHECKPOINT, body), body };
}

export type RecordAt =
  | { kind: 'record'; offset: number; end: number; type: 'event' | 'checkpoint'; body: Uint8Array; seq: number; prevHash: Uint8Array }
  /** Bytes that are no record header. */
  | { kind: 'garbage'; offset: number }
  /** A header whose record runs past the end of the file: an append in progress, or torn by a crash. */
  | { kind: 'tail'; offset: number };

/** Reads the record starting at `pos` (structure only: no MAC or signature is checked). */
export function recordAt(buf: Uint8Array, pos: number): RecordAt {
  const kind = buf[pos + 1];
  if (buf[pos] !== RECORD_MAGIC || (kind !== undefined && kind !== KIND_EVENT && kind !== KIND_CHECKPOINT)) return { kind: 'garbage', offset: pos };
  if (buf.length - pos < FRAME_HEADER_BYTES) return { kind: 'tail', offset: pos };
  const len = buf[pos + 2]! | (buf[pos + 3]! << 8) | (buf[pos + 4]! << 16) | (buf[pos + 5]! * 2 ** 24);
  const type = kind === KIND_EVENT ? 'event' : 'checkpoint';
  const minLen = type === 'event' ? LINK_BYTES + NONCE_BYTES + MAC_BYTES : CHECKPOINT_BODY_BYTES;
  if (len < minLen || len > MAX_BODY_BYTES || (type === 'checkpoint' && len !== CHECKPOINT_BODY_BYTES)) return { kind: 'garbage', offset: pos };
  const end = pos + FRAME_HEADER_BYTES + len;
  if (end > buf.length) return { kind: 'tail', offset: pos };
  const body = buf.subarray(pos + FRAME_HEADER_BYTES, end);
  // Two 32-bit halves: cheaper than a BigInt per record, exact up to 2^53.
  const seq = (body[0]! | (body[1]! << 8) | (body[2]! << 16)) + body[3]! * 2 ** 24 + ((body[4]! | (body[5]! << 8) | (body[6]! << 16) | (body[7]! << 24)) >>> 0) * 2 ** 32;
  return { kind: 'record', offset: pos, end, type, body, seq, prevHash: body.subarray(8, LINK_BYTES) };
}

type WholeRecord = Extract<RecordAt, { kind: 'record' }>;

/**
 * The whole records of `buf` in order, stepping over bytes that are no record to the next
 * record start; `end` is where the last whole record (or skipped stretch) ends, so anything
 * after it is a partial record still being appended, or torn by a crash.
 */
export function wholeRecords(buf: Uint8Array): { records: WholeRecord[]; end: number } {
  const records: WholeRecord[] = [];
  let pos = 0;
  let end = 0;
  while (pos < buf.length) {
    const r = recordAt(buf, pos);
    if (r.kind === 'tail') break;
    if (r.kind === 'garbage') {
      pos = end = nextRecordStart(buf, pos + 1);
      continue;
    }
    records.push(r);
    pos = end = r.end;
  }
  return { records, end };
}

/** The next offset at or after `from` that could start a record. */
export function nextRecordStart(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === RECORD_MAGIC && (i + 1 === buf.length || buf[i + 1] === KIND_EVENT || buf[i + 1] === KIND_CHECKPOINT)) return i;
  }
  return buf.length;
}

/** Opens an event body: its JSON text, or null when the MAC or the inner header does not match. */
export function openEventBody(suite: CryptoSuite, key: Uint8Array, body: Uint8Array): string | null {
  const nonce = body.subarray(LINK_BYTES, LINK_BYTES + NONCE_BYTES);
  const plain = suite.secretbox.open(body.subarray(LINK_BYTES + NONCE_BYTES), nonce, key);
  if (!plain || plain.length < LINK_BYTES) return null;
  for (let i = 0; i < LINK_BYTES; i++) if (plain[i] !== body[i]) return null;
  // The seal proves these are the bytes this profile wrote (valid UTF-8), so no strict decoder is needed.
  return Buffer.from(plain.buffer, plain.byteOffset + LINK_BYTES, plain.length - LINK_BYTES).toString('utf8');
}

/** A checkpoint's time and signature. */
export function checkpointParts(body: Uint8Array): { at: number; signature: Uint8Array } {
  return {
    at: Number(new DataView(body.buffer, body.byteOffset + LINK_BYTES, 8).getBigUint64(0, true)),
    signature: body.subarray(LINK_BYTES + 8, LINK_BYTES + 8 + SIGNATURE_BYTES),
  };
}
