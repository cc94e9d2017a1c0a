import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, Masker } from './mask';

/** Feeds `text` in pieces cut at `cuts` and returns the whole output. */
function maskInPieces(values: string[], text: string, cuts: number[]): string {
  const m = new Masker(values);
  const bytes = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(m.push(bytes.subarray(prev, c)));
    prev = c;
  }
  out.push(m.end());
  return Buffer.concat(out).toString('utf8');
}

/** The same masking done on the whole text at once, by plain string operations. */
function reference(values: string[], text: string): string {
  const vs = [...new Set(values.filter((v) => Buffer.byteLength(v) >= 4))].sort((a, b) => b.length - a.length);
  let out = '';
  for (let i = 0; i < text.length; ) {
    const v = vs.find((x) => text.startsWith(x, i));
    if (v) {
      out += MASK;
      i += v.length;
    } else out += text[i++];
  }
  return out;
}

describe('Masker', () => {
  it('conceals a value split across two writes, byte by byte', () => {
    const secret = 'sk_live_51HxAbCdEf';
    const text = `token=${secret}\nagain ${secret}!`;
    for (let cut = 0; cut <= text.length; cut++) {
      expect(maskInPieces([secret], text, [cut])).toBe(`token=${MASK}\nagain ${MASK}!`);
    }
    // One byte per write.
    expect(maskInPieces([secret], text, [...text].map((_, i) => i))).toBe(`token=${MASK}\nagain ${MASK}!`);
  });

  it('conceals the longer of two values that share a start, even when the shorter one arrives first', () => {
    const m = new Masker(['abcd1234', 'abcd1234-extended']);
    const first = m.push(Buffer.from('x abcd1234'));
    const rest = Buffer.concat([m.push(Buffer.from('-extended y')), m.end()]);
    expect(Buffer.concat([first, rest]).toString()).toBe(`x ${MASK} y`);
  });

  it('holds back only a tail that could begin a value, so prompts show at once', () => {
    const m = new Masker(['0123456789', 'secret-value']);
    expect(m.push(Buffer.from('Your name: ')).toString()).toBe('Your name: ');
    expect(m.push(Buffer.from('id 0123')).toString()).toBe('id ');
    expect(m.push(Buffer.from('x and secre')).toString()).toBe('0123x and ');
    expect(m.end().toString()).toBe('secre');
    const none = new Masker([]);
    expect(none.push(Buffer.from('all of it')).toString()).toBe('all of it');
  });

  it('masks multi-byte UTF-8 values cut inside a character', () => {
    const v = 'pässwörd-ключ';
    const text = `a ${v} b`;
    const bytes = Buffer.from(text).length;
    for (let cut = 0; cut <= bytes; cut++) expect(maskInPieces([v], text, [cut])).toBe(`a ${MASK} b`);
  });

  it('does not mask values shorter than four bytes', () => {
    expect(maskInPieces(['1', 'on', 'abc'], 'abc on 1', [3])).toBe('abc on 1');
  });

  it('agrees with whole-text masking for any values, text and cuts', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', 'é', '\n');
    const str = (min: number, max: number) => fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(str(4, 9), { minLength: 1, maxLength: 4 }), str(0, 60), fc.array(fc.nat(), { maxLength: 6 }), (values, text, cuts) => {
        // Plant the values in the text so matches are frequent.
        const planted = values.join(text.slice(0, 3)) + text + values[0];
        expect(maskInPieces(values, planted, cuts)).toBe(reference(values, planted));
      }),
      { numRuns: 500 },
    );
  });
});
