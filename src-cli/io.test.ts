import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../src-shared/errors';
import { MAX_STDIN_VALUE_BYTES, readAllStdin, readValueFromStdin } from './io';

/**
 * A stream that does not end while it is read, counting what it was asked for. It ends at
 * 64 MiB only so that a reader without a limit fails this test instead of eating memory.
 */
function endless(chunk = Buffer.alloc(16 * 1024, 'y')): { stream: Readable; produced: () => number } {
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= 64 * 1024 * 1024) return void this.push(null);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, produced: () => produced };
}

const tooLarge = () => new TesseraError('INPUT_TOO_LARGE', 'too large');

describe('readAllStdin', () => {
  it('refuses input past the limit, stops reading there and destroys the stream', async () => {
    const { stream, produced } = endless();
    await expect(readAllStdin(stream, { maxBytes: 100_000, tooLarge })).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(stream.destroyed).toBe(true);
    // At most the limit, one chunk, and what the stream had buffered ahead (its high-water mark).
    expect(produced()).toBeLessThanOrEqual(100_000 + 2 * 16 * 1024 + stream.readableHighWaterMark);
  });

  it('returns input up to the limit whole', async () => {
    const text = 'a'.repeat(1000);
    expect(await readAllStdin(Readable.from([Buffer.from(text)]), { maxBytes: 1000, tooLarge })).toBe(text);
    await expect(readAllStdin(Readable.from([Buffer.from(text + 'b')]), { maxBytes: 1000, tooLarge })).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
  });
});

describe('readValueFromStdin', () => {
  it('takes a value of exactly the limit followed by a newline, and refuses one byte more', async () => {
    const max = 'v'.repeat(MAX_STDIN_VALUE_BYTES);
    expect(await readValueFromStdin(Readable.from([Buffer.from(max + '\r\n')]))).toBe(max);
    await expect(readValueFromStdin(Readable.from([Buffer.from(max + 'v')]))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
    await expect(readValueFromStdin(Readable.from([Buffer.from(max + 'v\n')]))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
  });

  it('refuses an endless stream with VALUE_TOO_LARGE, naming the limit', async () => {
    const { stream } = endless();
    const e = await readValueFromStdin(stream).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TesseraError);
    expect(e).toMatchObject({ code: 'VALUE_TOO_LARGE', message: expect.stringContaining('256 KiB') });
    expect(stream.destroyed).toBe(true);
  });
});
