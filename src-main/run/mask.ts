/**
 * Masking of secret values in a child's output, as a stream: a value split across two
 * writes is still caught, because the last (longest value − 1) bytes are held back until
 * the next chunk (or the end) shows whether they begin a value.
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
  private readonly hold: number;
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
    this.hold = Math.max(0, (this.needles[0]?.length ?? 0) - 1);
    this.mask = Buffer.from(mask, 'utf8');
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Masks what can be decided now; keeps the rest for the next call or end(). */
  push(chunk: Buffer): Buffer {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    // Positions before `decided` can be judged: every value starting there fits in buf.
    const decided = Math.max(0, buf.length - this.hold);
    const { out, consumed } = this.scan(buf, decided);
    this.pending = Buffer.from(buf.subarray(consumed));
    return out;
  }

  /** Everything still held back, masked. */
  end(): Buffer {
    const buf = this.pending;
    this.pending = Buffer.alloc(0);
    return this.scan(buf, buf.length).out;
  }

  /** Masks matches that start before `limit`; returns the output and how far buf was consumed. */
  private scan(buf: Buffer, limit: number): { out: Buffer; consumed: number } {
    const parts: Buffer[] = [];
    let copied = 0;
    let i = this.nextCandidate(buf, 0, limit);
    while (i < limit) {
      const match = this.matchAt(buf, i);
      if (match > 0) {
        parts.push(buf.subarray(copied, i), this.mask);
        copied = i + match;
        i = this.nextCandidate(buf, copied, limit);
      } else {
        i = this.nextCandidate(buf, i + 1, limit);
      }
    }
    const consumed = Math.max(copied, limit);
    parts.push(buf.subarray(copied, consumed));
    return { out: parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts), consumed };
  }

  private matchAt(buf: Buffer, i: number): number {
    for (const n of this.byFirst.get(buf[i]!) ?? []) {
      if (i + n.length <= buf.length && buf.compare(n, 0, n.length, i, i + n.length) === 0) return n.length;
    }
    return 0;
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
