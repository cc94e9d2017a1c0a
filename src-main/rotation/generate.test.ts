import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateValue, parseGenerateSpec } from './generate';
import { WORDS } from './words';

const BASE62 = /^[A-Za-z0-9]+$/;

/** Pearson's chi-square of character counts against a uniform distribution. */
function chiSquare(text: string, alphabet: string): number {
  const counts = new Map([...alphabet].map((c) => [c, 0]));
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const expected = text.length / alphabet.length;
  let x2 = 0;
  for (const n of counts.values()) x2 += (n - expected) ** 2 / expected;
  return x2;
}

describe('generateValue', () => {
  it('makes each format with its alphabet, length and entropy', () => {
    const b62 = generateValue({ format: 'base62' });
    expect(b62.value).toMatch(BASE62);
    expect(b62.value).toHaveLength(43);
    expect(b62.bits).toBeGreaterThan(255);
    expect(generateValue({ format: 'hex', length: 40 }).value).toMatch(/^[0-9a-f]{40}$/);
    expect(generateValue({ format: 'base64url', length: 20 }).value).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(generateValue({ format: 'uuid' }).value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const words = generateValue({ format: 'passphrase', length: 5 });
    expect(words.value.split('-')).toHaveLength(5);
    for (const w of words.value.split('-')) expect(WORDS).toContain(w);
    expect(words.bits).toBeCloseTo(5 * Math.log2(WORDS.length), 5);
    // Two draws differ (256 bits each).
    expect(generateValue({ format: 'base62' }).value).not.toBe(b62.value);
  });

  it('has a word list without repeats', () => {
    expect(new Set(WORDS).size).toBe(WORDS.length);
    expect(WORDS.length).toBeGreaterThan(1024);
    for (const w of WORDS) expect(w).toMatch(/^[a-z]{3,9}$/);
  });

  it('custom values hold at least one character of every chosen set, and only those', () => {
    for (let i = 0; i < 200; i++) {
      const { value } = generateValue({ format: 'custom', length: 4, sets: ['lower', 'upper', 'digits', 'symbols'] });
      expect(value).toMatch(/[a-z]/);
      expect(value).toMatch(/[A-Z]/);
      expect(value).toMatch(/[0-9]/);
      expect(value).toMatch(/[^A-Za-z0-9]/);
      expect(value).not.toMatch(/[\s'"`\\$]/);
    }
    expect(generateValue({ format: 'custom', length: 12, sets: ['digits'] }).value).toMatch(/^\d{12}$/);
  });

  it('draws characters without modulo bias (a biased generator fails the same test)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const text = generateValue({ format: 'base62', length: 1024 }).value + Array.from({ length: 60 }, () => generateValue({ format: 'base62', length: 1024 }).value).join('');
    // Critical value of chi-square with 61 degrees of freedom at p = 1e-6 is about 130.
    const ours = chiSquare(text, alphabet);
    expect(ours).toBeLessThan(130);
    // `byte % 62` favours the first 8 characters (5/256 against 4/256).
    const biased = [...randomBytes(text.length)].map((b) => alphabet[b % 62]).join('');
    expect(chiSquare(biased, alphabet)).toBeGreaterThan(130);
    console.log(`chi-square over ${text.length} characters: generator ${ours.toFixed(1)}, byte % 62 ${chiSquare(biased, alphabet).toFixed(1)} (p=1e-6 bound 130)`);
  });

  it('uses the random index it is given for every character', () => {
    let i = 0;
    const value = generateValue({ format: 'hex', length: 16 }, (n) => i++ % n).value;
    expect(value).toBe('0123456789abcdef');
  });

  it('refuses lengths and sets it cannot honour', () => {
    expect(() => generateValue({ format: 'base62', length: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => generateValue({ format: 'passphrase', length: 500 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => generateValue({ format: 'custom', sets: ['emoji' as 'lower'] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('parseGenerateSpec', () => {
  it('reads FORMAT[:LENGTH[:SETS]]', () => {
    expect(parseGenerateSpec('base62')).toEqual({ format: 'base62' });
    expect(parseGenerateSpec('hex:64')).toEqual({ format: 'hex', length: 64 });
    expect(parseGenerateSpec('passphrase:6')).toEqual({ format: 'passphrase', length: 6 });
    expect(parseGenerateSpec('custom:24:lower,digits')).toEqual({ format: 'custom', length: 24, sets: ['lower', 'digits'] });
    for (const bad of ['', 'base63', 'hex:lots', 'hex:12:lower', 'custom:1:2:3']) {
      expect(() => parseGenerateSpec(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});
