/**
 * Is a value weak for its kind? A small estimator in the spirit of zxcvbn (no such library
 * is installed): the value is read left to right as the cheapest sequence of
 *   - dictionary words (the passphrase word list plus common passwords): ~11 bits each,
 *   - runs (aaaa, 1234, zyxw): one character's worth plus the run's length,
 *   - single characters: log2 of the character classes the value uses,
 * and the bits add up. A random 32-character token scores ~190 bits, `password123` ~14,
 * `sk_live_original_value` ~53 (its words are guessable).
 *
 * The kind comes from the secret's name and the value's shape: passwords need 50 bits,
 * keys and tokens 64; a URL is judged by the password inside it; names that do not sound
 * secret (PORT, REGION, LOG_LEVEL) are configuration and not judged at all.
 */
import { WORDS } from '../rotation/words';

export type SecretKind = 'password' | 'token' | 'config';

const PASSWORD_NAME = /PASS(WORD|PHRASE)?|PWD/i;
const TOKEN_NAME = /KEY|SECRET|TOKEN|API|PRIVATE|AUTH|CREDENTIAL|SIGNING|SALT|WEBHOOK|SESSION|CERT|DSN/i;

export const MIN_BITS: Readonly<Record<Exclude<SecretKind, 'config'>, number>> = { password: 50, token: 64 };

const COMMON = [
  'password', 'passw0rd', 'secret', 'admin', 'administrator', 'root', 'letmein', 'welcome', 'qwerty', 'qwertz', 'azerty',
  'asdf', 'zxcv', 'changeme', 'default', 'test', 'testing', 'example', 'sample', 'dummy', 'master', 'login', 'token',
  'apikey', 'key', 'pass', 'guest', 'user', 'demo', 'temp', 'local', 'localhost', 'postgres', 'mysql', 'redis', 'live',
  'prod', 'production', 'staging', 'dev', 'development', 'value', 'original', 'new', 'old', 'foo', 'bar', 'baz', 'hunter',
  'dragon', 'monkey', 'shadow', 'sunshine', 'princess', 'football', 'baseball', 'iloveyou', 'trustno1', 'abc', 'xyz',
];
const DICTIONARY = new Set([...WORDS, ...COMMON]);
const WORD_BITS = Math.log2(DICTIONARY.size);

/** The dictionary as a trie over a–z: word lookups walk it without making substrings. */
interface Trie {
  readonly next: (Trie | undefined)[];
  word: boolean;
}
const trie = (): Trie => ({ next: new Array<Trie | undefined>(26), word: false });
const ROOT = trie();
for (const w of DICTIONARY) {
  let node = ROOT;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i) - 97;
    node = node.next[c] ??= trie();
  }
  node.word = true;
}

/** Past this length a value is a document (a PEM, a JSON key file), not something to guess. */
const MAX_JUDGED = 1024;

function charsetBits(value: string): number {
  if (/^[0-9a-f]+$/i.test(value) && value.length >= 8) return 4; // hex (either case)
  let size = 0;
  if (/[a-z]/.test(value)) size += 26;
  if (/[A-Z]/.test(value)) size += 26;
  if (/[0-9]/.test(value)) size += 10;
  if (/[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(value)) size += 33;
  if (/[^\x20-\x7e]/.test(value)) size += 100;
  return Math.log2(Math.max(size, 2));
}

/** Common character substitutions (p@ssw0rd): undone before looking words up. */
const LEET: Readonly<Record<string, string>> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '3': 'e', '5': 's', $: 's', '7': 't', '!': 'i' };

/** For each ASCII code: the letter (0–25) it reads as, lowercased and substitutions undone; -1 for none. */
const LETTER = new Int8Array(128).fill(-1);
for (let c = 0; c < 26; c++) LETTER[97 + c] = LETTER[65 + c] = c;
for (const [from, to] of Object.entries(LEET)) LETTER[from.charCodeAt(0)] = to.charCodeAt(0) - 97;

/** The shortest block that `value` repeats, and how many times (deadbeefdeadbeef: deadbeef × 2). */
function repetition(value: string): { block: string; times: number } {
  const n = value.length;
  for (let len = 1; len <= n / 2; len++) {
    if (n % len !== 0) continue;
    let i = len;
    while (i < n && value.charCodeAt(i) === value.charCodeAt(i - len)) i++;
    if (i === n) return { block: value.slice(0, len), times: n / len };
  }
  return { block: value, times: 1 };
}

/** Estimated bits of entropy of `value` (see the file comment). */
export function estimateBits(value: string): number {
  const { block, times } = repetition(value);
  if (times > 1) return sequenceBits(block) + Math.log2(times);
  return sequenceBits(value);
}

// Scratch space reused across calls (values are at most MAX_JUDGED long): a report judges
// tens of thousands of values, and two fresh typed arrays each was most of its garbage.
const BEST = new Float64Array(MAX_JUDGED + 1);

function sequenceBits(value: string): number {
  const perChar = charsetBits(value);
  const n = value.length;
  // best[i]: fewest bits to produce value[0, i).
  const best = n <= MAX_JUDGED ? BEST : new Float64Array(n + 1);
  best.fill(Infinity, 0, n + 1);
  best[0] = 0;
  for (let i = 0; i < n; i++) {
    const here = best[i]!;
    if (here === Infinity) continue;
    if (here + perChar < best[i + 1]!) best[i + 1] = here + perChar;
    // Dictionary words starting here: walk the trie along the letters.
    let node: Trie | undefined = ROOT;
    let capitals = 0;
    let substituted = 0;
    for (let j = i; j < n && node; j++) {
      const code = value.charCodeAt(j);
      const c = code < 128 ? LETTER[code]! : -1;
      if (c < 0) break;
      node = node.next[c];
      if (!node) break;
      if (code < 97 || code > 122) {
        if (code >= 65 && code <= 90) capitals = 1;
        else substituted = 1;
      }
      // One bit for "some capitals", one for "some substitutions".
      if (node.word && j - i >= 2) best[j + 1] = Math.min(best[j + 1]!, here + WORD_BITS + capitals + substituted);
    }
    // A run: the same step between consecutive characters (0 = repeats, ±1 = sequences).
    const step = value.charCodeAt(i + 1) - value.charCodeAt(i);
    if (i + 2 < n && Math.abs(step) <= 1) {
      let j = i + 1;
      while (j + 1 < n && value.charCodeAt(j + 1) - value.charCodeAt(j) === step) j++;
      const len = j - i + 1;
      if (len >= 3) best[i + len] = Math.min(best[i + len]!, here + perChar + Math.log2(len));
    }
  }
  return best[n]!;
}

/** What kind of secret `name` holds, and the part of `value` that is the secret. */
export function kindOf(name: string, value: string): { kind: SecretKind; secretPart: string } {
  if (value.startsWith('-----BEGIN') || value.length > MAX_JUDGED) return { kind: 'config', secretPart: '' };
  const url = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^@\s]*)@/i.exec(value);
  if (url) {
    let password = url[1]!;
    try {
      password = decodeURIComponent(password);
    } catch {
      // Not percent-encoded after all: judge it as written.
    }
    return { kind: 'password', secretPart: password };
  }
  if (PASSWORD_NAME.test(name)) return { kind: 'password', secretPart: value };
  if (TOKEN_NAME.test(name)) return { kind: 'token', secretPart: value };
  return { kind: 'config', secretPart: '' };
}

/** The estimated bits and the minimum for its kind, when the value is weaker than that. */
export function weakness(name: string, value: string): { kind: SecretKind; bits: number; min: number } | null {
  return weaknessOf(kindOf(name, value));
}

/** weakness() for a value whose kind is known already. */
export function weaknessOf({ kind, secretPart }: { kind: SecretKind; secretPart: string }): { kind: SecretKind; bits: number; min: number } | null {
  if (kind === 'config') return null;
  const bits = estimateBits(secretPart);
  return bits < MIN_BITS[kind] ? { kind, bits, min: MIN_BITS[kind] } : null;
}
