/**
 * Keyed fingerprints of the user's own secret values, so a scan finds them in files
 * without a list of plaintext values existing anywhere but the unlocked process that built
 * the index. The index holds, per form a value can take in a file (as is, base64 at each of
 * the three byte alignments, base64url, URL-encoded):
 *
 *   - a 32-bit rolling hash of its first ANCHOR bytes under a random multiplier, to find
 *     candidate positions in one pass over the bytes, and
 *   - HMAC-SHA-256 of the whole form under a random 32-byte key, to confirm a candidate.
 *
 * Both keys are drawn per scan and die with the process; the index is not written to disk
 * (building it for 1,000 values takes milliseconds, so a cache would buy nothing and leave
 * guessable hashes of short values behind). Worker threads get the index, never values.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Values shorter than this are not looked for: too many innocent strings would match. */
export const MIN_VALUE_LENGTH = 8;
const ANCHOR = 8;

export type Encoding = 'plain' | 'base64' | 'base64url' | 'url';

/** What the index knows of one form of one value. No value bytes. */
export interface FingerprintEntry {
  readonly anchor: number;
  readonly length: number;
  readonly digest: Uint8Array;
  /** Index into the caller's list of secrets. */
  readonly secret: number;
  readonly encoding: Encoding;
}

/** Structured-clone friendly, for worker threads. */
export interface FingerprintIndexData {
  readonly hmacKey: Uint8Array;
  readonly multiplier: number;
  readonly entries: readonly FingerprintEntry[];
}

export interface FingerprintMatch {
  readonly start: number;
  readonly end: number;
  readonly secret: number;
  readonly encoding: Encoding;
}

/** The forms a value takes in files, each as bytes to look for. */
export function valueForms(value: string): { bytes: Buffer; encoding: Encoding }[] {
  const plain = Buffer.from(value, 'utf8');
  const forms: { bytes: Buffer; encoding: Encoding }[] = [{ bytes: plain, encoding: 'plain' }];
  for (let shift = 0; shift < 3; shift++) {
    const core = base64Core(plain, shift);
    if (core.length >= MIN_VALUE_LENGTH) {
      forms.push({ bytes: Buffer.from(core, 'latin1'), encoding: 'base64' });
      const url = core.replace(/\+/g, '-').replace(/\//g, '_');
      if (url !== core) forms.push({ bytes: Buffer.from(url, 'latin1'), encoding: 'base64url' });
    }
  }
  const encoded = encodeURIComponent(value);
  for (const u of [encoded, encoded.replace(/%20/g, '+'), encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]) {
    if (u !== value && !forms.some((f) => f.bytes.toString('latin1') === u)) forms.push({ bytes: Buffer.from(u, 'latin1'), encoding: 'url' });
  }
  return forms;
}

/**
 * The base64 characters that depend on the value alone when it sits `shift` bytes past a
 * 3-byte boundary of a larger encoded blob (a base64'd .env file, a Kubernetes Secret):
 * characters mixing in neighbouring bytes are cut off at both ends.
 */
function base64Core(value: Buffer, shift: number): string {
  const padded = Buffer.concat([Buffer.alloc(shift), value, Buffer.alloc(2)]);
  const text = padded.toString('base64');
  const firstBit = 8 * shift;
  const endBit = 8 * (shift + value.length);
  const from = Math.ceil(firstBit / 6);
  const to = Math.floor(endBit / 6); // characters [from, to) lie wholly inside the value
  return to > from ? text.slice(from, to) : '';
}

export function buildFingerprintIndex(values: readonly string[]): FingerprintIndexData {
  const hmacKey = new Uint8Array(randomBytes(32));
  const multiplier = (randomBytes(4).readUInt32LE(0) | 1) >>> 0;
  const entries: FingerprintEntry[] = [];
  const seen = new Set<string>();
  values.forEach((value, secret) => {
    if (value.length < MIN_VALUE_LENGTH) return;
    for (const { bytes, encoding } of valueForms(value)) {
      if (bytes.length < ANCHOR) continue;
      const digest = new Uint8Array(createHmac('sha256', hmacKey).update(bytes).digest());
      const id = `${secret}:${Buffer.from(digest).toString('hex')}`;
      if (seen.has(id)) continue;
      seen.add(id);
      entries.push({ anchor: rollingHash(bytes, 0, multiplier), length: bytes.length, digest, secret, encoding });
    }
  });
  return { hmacKey, multiplier, entries };
}

function rollingHash(b: Uint8Array, at: number, m: number): number {
  let h = 0;
  for (let j = 0; j < ANCHOR; j++) h = (Math.imul(h, m) + b[at + j]!) | 0;
  return h >>> 0;
}

const FILTER_BITS = 22;

/** Finds indexed values in byte buffers. */
export class FingerprintMatcher {
  private readonly filter = new Uint32Array(1 << (FILTER_BITS - 5));
  private readonly byAnchor = new Map<number, FingerprintEntry[]>();
  private readonly top: number;
  readonly maxLength: number;

  constructor(private readonly index: FingerprintIndexData) {
    let max = 0;
    for (const e of index.entries) {
      const slot = this.slot(e.anchor);
      this.filter[slot >>> 5]! |= 1 << (slot & 31);
      const list = this.byAnchor.get(e.anchor) ?? [];
      list.push(e);
      this.byAnchor.set(e.anchor, list);
      max = Math.max(max, e.length);
    }
    this.maxLength = max;
    // m^(ANCHOR-1), to take the leaving byte out of the rolling hash.
    let top = 1;
    for (let j = 0; j < ANCHOR - 1; j++) top = Math.imul(top, index.multiplier);
    this.top = top;
  }

  get empty(): boolean {
    return this.index.entries.length === 0;
  }

  // The upper bits of a multiplicative hash are the well-mixed ones.
  private slot(h: number): number {
    return Math.imul(h, 0x9e3779b1) >>> (32 - FILTER_BITS);
  }

  /** Every indexed form that occurs in buf[0, limit) (starting there; it may end up to buf.length). */
  find(buf: Uint8Array, limit = buf.length): FingerprintMatch[] {
    const out: FingerprintMatch[] = [];
    const n = buf.length;
    if (this.empty || n < ANCHOR) return out;
    const m = this.index.multiplier;
    const top = this.top;
    const filter = this.filter;
    let h = 0;
    for (let j = 0; j < ANCHOR; j++) h = (Math.imul(h, m) + buf[j]!) | 0;
    const last = Math.min(limit, n - ANCHOR + 1);
    for (let i = 0; i < last; i++) {
      const slot = Math.imul(h, 0x9e3779b1) >>> (32 - FILTER_BITS);
      if ((filter[slot >>> 5]! & (1 << (slot & 31))) !== 0) this.confirm(buf, i, h >>> 0, out);
      if (i + ANCHOR < n) h = (Math.imul(h - Math.imul(buf[i]!, top), m) + buf[i + ANCHOR]!) | 0;
    }
    return out;
  }

  private confirm(buf: Uint8Array, i: number, anchor: number, out: FingerprintMatch[]): void {
    const candidates = this.byAnchor.get(anchor);
    if (!candidates) return;
    for (const e of candidates) {
      if (i + e.length > buf.length) continue;
      const digest = createHmac('sha256', this.index.hmacKey).update(buf.subarray(i, i + e.length)).digest();
      if (timingSafeEqual(digest, e.digest)) out.push({ start: i, end: i + e.length, secret: e.secret, encoding: e.encoding });
    }
  }
}
