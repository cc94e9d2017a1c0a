import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFingerprintIndex, FingerprintMatcher } from './fingerprints';

const found = (values: string[], text: Buffer) => new FingerprintMatcher(buildFingerprintIndex(values)).find(text).map((m) => [m.secret, m.encoding]);

describe('keyed fingerprints', () => {
  it('find a value inside any base64 blob, whatever bytes surround it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ minLength: 8, maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (before, value, after) => {
        const blob = Buffer.concat([before, Buffer.from(value), after]);
        for (const text of [blob.toString('base64'), blob.toString('base64url')]) {
          expect(found([value], Buffer.from(`data: ${text}\n`)).some(([, e]) => e === 'base64' || e === 'base64url')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('find URL-encoded and plain forms, and nothing in unrelated text', () => {
    const v = 'p@ss word/with+symbols&=';
    expect(found([v], Buffer.from(`https://u:${encodeURIComponent(v)}@h/`))).toEqual([[0, 'url']]);
    expect(found([v], Buffer.from(`q=${encodeURIComponent(v).replace(/%20/g, '+')}`))).toEqual([[0, 'url']]);
    expect(found(['plainvalue123'], Buffer.from('x plainvalue123 y plainvalue12'))).toEqual([[0, 'plain']]);
    expect(found(['plainvalue123'], Buffer.from('nothing to see here at all, not even plainvalue12'))).toEqual([]);
  });

  it('the index holds no value bytes, and each scan draws fresh keys', () => {
    const v = 'a-rather-secret-value-42';
    const a = buildFingerprintIndex([v]);
    const b = buildFingerprintIndex([v]);
    const bytes = Buffer.concat([Buffer.from(a.hmacKey), ...a.entries.map((e) => Buffer.from(e.digest))]);
    expect(bytes.includes(Buffer.from(v))).toBe(false);
    expect(JSON.stringify(a.entries.map((e) => [e.anchor, e.length, e.encoding]))).not.toContain(v.slice(0, 8));
    expect(Buffer.from(a.hmacKey).equals(Buffer.from(b.hmacKey))).toBe(false);
    expect(a.entries[0]!.anchor === b.entries[0]!.anchor && a.multiplier === b.multiplier).toBe(false);
  });
});
