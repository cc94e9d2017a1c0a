/**
 * Masking of secret values in a child's output, as a stream: a value split across two
 * writes is still caught, because a chunk's tail that could be the start of a value (at
 * most the longest value − 1 bytes) is held back until the next chunk or the end decides.
 *
 * Matching is on bytes, leftmost first and longest at a position, so a value that contains
 * another (`abcd` inside `abcdef`) is concealed whole. Values shorter than MIN_MASKED_LENGTH
 * are not masked: concealing every "1" or "true" in a program's output would garble it
 * while protecting nothing.
 */
import { Transform, type TransformCallback } from 'node:stream';

export const MASK = '<concealed by tessera>';
export const MIN_MASKED_LENGTH = 4;

export class Masker {
  private readonly needles: Buffer[];
  /** Needles by their first byte, longest first. */
  private readonly byFirst = new Map<number, Buffer[]>();
  private readonly mask: Buffer;
  private pending: Buffer = Buffer.alloc(0);

  constructor(values: Iterable<string>, mask = MASK) {
    const unique = new Set<string>();
    for (const v of values) if (Buffer.byteLength(v) >= MIN_MASKED_LENGTH) unique.add(v);
    this.needles = [...unique].map((v) => Buffer.from(v, 'utf8')).sort((a, b) => b.length - a.length);
    for (const n of this.needles) {
      const list = this.byFirst.get(n[0]!) ?? [];
      list.push(n);
      this.byFirst.set(n[0]!, list);
    }
    this.mask = Buffer.from(mask, 'utf8');
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Masks what can be decided now; keeps the rest for the next call or end(). */
  push(chunk: Buffer): Buffer {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const { out, consumed } = this.scan(buf, false);
    this.pending = Buffer.from(buf.subarray(consumed));
    return out;
  }

  /** Everything still held back, masked. */
  end(): Buffer {
    const buf = this.pending;
    this.pending = Buffer.alloc(0);
    return this.scan(buf, true).out;
  }

  /**
   * Masks buf from the left. Unless `final`, stops at the first position where a value
   * might begin but the buffer ends first: that tail is all that is held back, so a prompt
   * or a progress line that cannot be the start of a value is passed on at once.
   */
  private scan(buf: Buffer, final: boolean): { out: Buffer; consumed: number } {
    const parts: Buffer[] = [];
    const n = buf.length;
    let copied = 0;
    let i = this.nextCandidate(buf, 0, n);
    while (i < n) {
      let full = 0;
      let undecided = false;
      for (const v of this.byFirst.get(buf[i]!)!) {
        if (i + v.length <= n) {
          if (full === 0 && buf.compare(v, 0, v.length, i, i + v.length) === 0) full = v.length;
        } else if (!final && buf.compare(v, 0, n - i, i, n) === 0) {
          undecided = true; // a longer value may still complete here
        }
      }
      if (undecided) break;
      if (full > 0) {
        parts.push(buf.subarray(copied, i), this.mask);
        copied = i + full;
        i = this.nextCandidate(buf, copied, n);
      } else {
        i = this.nextCandidate(buf, i + 1, n);
      }
    }
    const consumed = Math.min(i, n);
    parts.push(buf.subarray(copied, consumed));
    return { out: parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts), consumed };
  }

  // With few values, scanning for their first bytes is cheaper than testing every position.
  private nextCandidate(buf: Buffer, from: number, limit: number): number {
    for (let i = from; i < limit; i++) if (this.byFirst.has(buf[i]!)) return i;
    return limit;
  }
}

/** A Transform stream that masks `values`. */
export function maskingStream(values: Iterable<string>): Transform {
  const masker = new Masker(values);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const out = masker.push(chunk);
      done(null, out.length ? out : undefined);
    },
    flush(done: TransformCallback) {
      const out = masker.end();
      done(null, out.length ? out : undefined);
    },
  });
}
