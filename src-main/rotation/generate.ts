/**
 * Generated values: every character (or word) drawn uniformly with crypto.randomInt, which
 * rejects the top of the random range instead of taking a remainder, so no character is
 * likelier than another (a `byte % 62` would make the first 8 characters of base62 more
 * frequent).
 *
 * Symbols for `custom` leave out quotes, backslash, backtick, `$` and space: the value must
 * survive .env files, shells and YAML unquoted.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { GenerateSpec } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import { WORDS } from './words';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const SYMBOLS = '!#%&()*+,-./:;<=>?@[]^_{|}~';
const SETS = { lower: LOWER, upper: UPPER, digits: DIGITS, symbols: SYMBOLS } as const;

const ALPHABETS = {
  base62: UPPER + LOWER + DIGITS,
  hex: '0123456789abcdef',
  base64url: UPPER + LOWER + DIGITS + '-_',
} as const;

/** Defaults: 256 bits where the format allows, 7 words (≈ 72 bits) for a passphrase. */
const DEFAULT_LENGTH = { base62: 43, hex: 64, base64url: 43, passphrase: 7, custom: 32 } as const;
const MAX_WORDS = 64;

export interface Generated {
  readonly value: string;
  /** Entropy of the process that made it, in bits. */
  readonly bits: number;
}

/** A uniform integer in [0, n); injectable so tests can drive the generator. */
export type RandomIndex = (n: number) => number;
const cryptoIndex: RandomIndex = (n) => randomInt(0, n);

function draw(alphabet: string, length: number, random: RandomIndex): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[random(alphabet.length)];
  return out;
}

function lengthOf(spec: GenerateSpec, min: number, max: number, fallback: number): number {
  const n = spec.length ?? fallback;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new TesseraError('INVALID_INPUT', `A ${spec.format} value takes a length from ${min} to ${max} (got ${n})`);
  }
  return n;
}

/** Generates a value as `spec` says; INVALID_INPUT for a length or set it cannot honour. */
export function generateValue(spec: GenerateSpec, random: RandomIndex = cryptoIndex): Generated {
  switch (spec.format) {
    case 'uuid':
      return { value: randomUUID(), bits: 122 };
    case 'base62':
    case 'hex':
    case 'base64url': {
      const alphabet = ALPHABETS[spec.format];
      const n = lengthOf(spec, 4, 1024, DEFAULT_LENGTH[spec.format]);
      return { value: draw(alphabet, n, random), bits: n * Math.log2(alphabet.length) };
    }
    case 'passphrase': {
      const n = lengthOf(spec, 3, MAX_WORDS, DEFAULT_LENGTH.passphrase);
      const words: string[] = [];
      for (let i = 0; i < n; i++) words.push(WORDS[random(WORDS.length)]!);
      return { value: words.join('-'), bits: n * Math.log2(WORDS.length) };
    }
    case 'custom': {
      const sets = [...new Set<keyof typeof SETS>(spec.sets ?? ['lower', 'upper', 'digits', 'symbols'])];
      if (sets.length === 0 || !sets.every((s) => Object.hasOwn(SETS, s))) throw new TesseraError('INVALID_INPUT', 'Choose character sets from lower, upper, digits, symbols');
      const n = lengthOf(spec, Math.max(4, sets.length), 1024, DEFAULT_LENGTH.custom);
      const alphabet = sets.map((s) => SETS[s]).join('');
      // Providers often demand one character of each kind: draw again until there is one.
      // Redrawing whole values (rather than patching one character in) keeps every valid
      // value equally likely; at 4 characters from 4 sets about one draw in ten succeeds.
      for (;;) {
        const value = draw(alphabet, n, random);
        if (sets.every((s) => [...SETS[s]].some((c) => value.includes(c)))) {
          return { value, bits: n * Math.log2(alphabet.length) };
        }
      }
    }
    default:
      throw new TesseraError('INVALID_INPUT', `Unknown format ${String((spec as { format: unknown }).format)}: base62, hex, base64url, uuid, passphrase or custom`);
  }
}

/**
 * The CLI's spelling of a spec: FORMAT[:LENGTH[:SETS]], e.g. `base62`, `hex:64`,
 * `passphrase:6` (words), `custom:24:lower,upper,digits`.
 */
export function parseGenerateSpec(text: string): GenerateSpec {
  const [format = '', length, sets, ...rest] = text.split(':');
  const formats = ['base62', 'hex', 'base64url', 'uuid', 'passphrase', 'custom'] as const;
  if (rest.length > 0 || !(formats as readonly string[]).includes(format)) {
    throw new TesseraError('INVALID_INPUT', `Cannot read generate spec ${JSON.stringify(text)}: FORMAT[:LENGTH[:SETS]] with FORMAT one of ${formats.join(', ')}`);
  }
  const spec: { -readonly [K in keyof GenerateSpec]: GenerateSpec[K] } = { format: format as GenerateSpec['format'] };
  if (length !== undefined && length !== '') {
    if (!/^\d{1,5}$/.test(length)) throw new TesseraError('INVALID_INPUT', `Length must be a number (got ${JSON.stringify(length)})`);
    spec.length = Number(length);
  }
  if (sets !== undefined) {
    if (format !== 'custom') throw new TesseraError('INVALID_INPUT', 'Character sets apply to the custom format only');
    spec.sets = sets.split(',').filter(Boolean) as ('lower' | 'upper' | 'digits' | 'symbols')[];
  }
  return spec;
}
