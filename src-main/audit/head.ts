/**
 * The head file: how many records the log held after the last append and the hash of the
 * last one, under an HMAC keyed from the device key. A chain alone cannot show that its
 * end was cut off; the head can. It is written after the records it describes are on
 * disk, so after a crash it may lag the log (fine) but never lead it.
 *
 * Limit (documented): someone who kept an old copy of both the log and the head can put
 * both back; only a checkpoint exported elsewhere shows that.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { readFileIfExists } from '../fs/atomic-file';
import { HASH_BYTES } from './records';

export interface Head {
  /** Records in the log (the next record's seq). */
  readonly count: number;
  readonly lastHash: Uint8Array;
  /**
   * Set for good once an append found the log shorter than the head said (or the head
   * gone): the seq where the cut was, and what was found. Appends go on after a cut, so
   * without this mark the chain would look whole again.
   */
  readonly broken: { readonly at: number; readonly reason: 'truncated' | 'head' } | null;
}

const MAC_BYTES = 32;
const HEAD_BYTES = 8 + 8 + 1 + HASH_BYTES + MAC_BYTES;
const REASONS = ['truncated', 'head'] as const;

function mac(key: Uint8Array, fields: Uint8Array): Buffer {
  return createHmac('sha256', key).update('tessera/audit-head/v1\0').update(fields).digest();
}

export function encodeHead(key: Uint8Array, head: Head): Buffer {
  const out = Buffer.alloc(HEAD_BYTES);
  out.writeBigUInt64LE(BigInt(head.count), 0);
  out.writeBigUInt64LE(BigInt(head.broken ? head.broken.at + 1 : 0), 8);
  out[16] = head.broken ? REASONS.indexOf(head.broken.reason) : 0;
  out.set(head.lastHash, 17);
  out.set(mac(key, out.subarray(0, HEAD_BYTES - MAC_BYTES)), HEAD_BYTES - MAC_BYTES);
  return out;
}

/** The head, null when there is no head file, or 'damaged' when it does not authenticate. */
export async function readHead(path: string, key: Uint8Array): Promise<Head | null | 'damaged'> {
  const raw = await readFileIfExists(path);
  if (!raw) return null;
  if (raw.length !== HEAD_BYTES) return 'damaged';
  if (!timingSafeEqual(raw.subarray(HEAD_BYTES - MAC_BYTES), mac(key, raw.subarray(0, HEAD_BYTES - MAC_BYTES)))) return 'damaged';
  const brokenAt = Number(raw.readBigUInt64LE(8));
  return {
    count: Number(raw.readBigUInt64LE(0)),
    lastHash: new Uint8Array(raw.subarray(17, 17 + HASH_BYTES)),
    broken: brokenAt ? { at: brokenAt - 1, reason: REASONS[raw[16]!] ?? 'head' } : null,
  };
}

/**
 * Overwrites the head in place and syncs it: one small write per append batch instead of
 * a temp file, rename and two folder syncs. The record is far smaller than a disk sector,
 * so it is not torn in practice; if it were, verify reports the head as damaged.
 */
export async function writeHead(path: string, key: Uint8Array, head: Head): Promise<void> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fh = await fs.open(path, 'w', 0o600);
  }
  try {
    await fh.write(encodeHead(key, head), 0, HEAD_BYTES, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
