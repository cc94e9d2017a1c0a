/**
 * A bounds-checked reader over lib0's decoder. lib0 trusts its input (its views can reach
 * past the logical end of a subarray); envelopes come from disk and from the network, so
 * every length is checked here and every failure becomes MALFORMED.
 */
import * as decoding from 'lib0/decoding';
import { TesseraError } from '../errors';

export class ByteReader {
  private readonly decoder: decoding.Decoder;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.decoder = decoding.createDecoder(bytes);
  }

  get offset(): number {
    return this.decoder.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.decoder.pos;
  }

  fail(reason: string): never {
    throw new TesseraError('MALFORMED', `${this.what}: ${reason}`);
  }

  u8(): number {
    if (this.remaining < 1) this.fail('truncated');
    return decoding.readUint8(this.decoder);
  }

  /** A LEB128 unsigned integer no larger than 2^53 - 1. */
  varUint(): number {
    if (this.remaining < 1) this.fail('truncated');
    try {
      const n = decoding.readVarUint(this.decoder);
      if (!Number.isSafeInteger(n) || this.decoder.pos > this.bytes.length) this.fail('bad integer');
      return n;
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      return this.fail('bad integer');
    }
  }

  /** Exactly `length` bytes, copied (callers may keep them after the input is reused). */
  fixed(length: number): Uint8Array {
    if (this.remaining < length) this.fail('truncated');
    const out = this.bytes.slice(this.decoder.pos, this.decoder.pos + length);
    this.decoder.pos += length;
    return out;
  }

  /**
   * A varuint length, then that many bytes (at most `max`), as a view into the input: these
   * are ciphertexts and states of up to many megabytes, and copying them costs real time.
   */
  sized(max: number): Uint8Array {
    const length = this.varUint();
    if (length > max) this.fail(`field of ${length} bytes exceeds ${max}`);
    if (this.remaining < length) this.fail('truncated');
    const out = this.bytes.subarray(this.decoder.pos, this.decoder.pos + length);
    this.decoder.pos += length;
    return out;
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
