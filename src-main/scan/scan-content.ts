/**
 * One file's bytes in, findings out: the user's own values (keyed fingerprints) and the
 * well-known formats (rules), with overlaps resolved (a vault value beats a format, a
 * specific format beats the generic one), inline `tessera:allow` comments honoured, and an
 * excerpt of the line in which every secret found on it is redacted.
 */
import { createHash } from 'node:crypto';
import { FingerprintMatcher, type Encoding } from './fingerprints';
import { RULES, entropy, looksLikeSecretValue, type Rule } from './rules';

export const INLINE_ALLOW = 'tessera:allow';
export const VAULT_RULE = 'vault-value';

/** A finding inside one piece of content. Never holds the secret itself. */
export interface ContentFinding {
  readonly rule: string;
  /** For vault values: the index of the secret in the scan's list. */
  readonly secret?: number;
  readonly encoding?: Encoding;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  readonly excerpt: string;
  /** sha256 of rule and matched text, truncated: stable across edits, for allowlists. */
  readonly fingerprint: string;
}

interface Hit {
  start: number;
  end: number;
  rule: Rule | null;
  secret?: number;
  encoding?: Encoding;
}

export interface ContentScanOptions {
  readonly matcher: FingerprintMatcher | null;
  readonly rules?: readonly Rule[];
  /** Rule ids and fingerprints the allowlist turns off. */
  readonly allowRules?: ReadonlySet<string>;
  readonly allowFingerprints?: ReadonlySet<string>;
}

/** Whether content looks binary (a NUL in its first 8 KiB, as git decides). */
export function isBinary(buf: Uint8Array): boolean {
  const end = Math.min(buf.length, 8000);
  for (let i = 0; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * Scans buf, reporting hits that start before `limit` (a streamed file's chunk overlaps the
 * next one by `limit`..end). `lineBase` is the number of lines before buf.
 */
export function scanContent(buf: Buffer, o: ContentScanOptions, limit = buf.length, lineBase = 0): ContentFinding[] {
  const hits: Hit[] = [];
  if (o.matcher) for (const m of o.matcher.find(buf, limit)) hits.push({ start: m.start, end: m.end, rule: null, secret: m.secret, encoding: m.encoding });

  const text = buf.toString('latin1');
  for (const rule of o.rules ?? RULES) {
    if (o.allowRules?.has(rule.id)) continue;
    if (!rule.keywords.some((k) => text.includes(k))) continue;
    rule.pattern.lastIndex = 0;
    for (const m of text.matchAll(rule.pattern)) {
      const secret = m[1] ?? m[0];
      const start = m.index + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
      if (start >= limit) break;
      if (rule.minEntropy !== undefined && entropy(secret) < rule.minEntropy) continue;
      if (rule.id === 'generic-secret-assignment' && !looksLikeSecretValue(secret)) continue;
      hits.push({ start, end: start + secret.length, rule });
    }
  }
  if (hits.length === 0) return [];

  const kept = resolveOverlaps(hits);
  const lines = lineIndex(text);
  const out: ContentFinding[] = [];
  for (const h of kept) {
    const li = lineOf(lines, h.start);
    const lineStart = lines[li]!;
    const lineEnd = li + 1 < lines.length ? lines[li + 1]! - 1 : text.length;
    const lineText = text.slice(lineStart, lineEnd);
    if (lineText.includes(INLINE_ALLOW)) continue;
    const ruleId = h.rule?.id ?? VAULT_RULE;
    const fingerprint = createHash('sha256').update(`${ruleId}\0`).update(buf.subarray(h.start, h.end)).digest('hex').slice(0, 24);
    if (o.allowFingerprints?.has(fingerprint)) continue;
    out.push({
      rule: ruleId,
      ...(h.secret !== undefined ? { secret: h.secret, encoding: h.encoding! } : {}),
      line: lineBase + li + 1,
      column: h.start - lineStart + 1,
      excerpt: excerpt(text, lineStart, lineEnd, h, kept),
      fingerprint,
    });
  }
  return out;
}

/** Leftmost first; where hits overlap a vault value wins, then the lower rule rank, then the longer. */
function resolveOverlaps(hits: Hit[]): Hit[] {
  const rank = (h: Hit) => (h.rule === null ? 0 : (h.rule.rank ?? 2));
  const sorted = [...hits].sort((a, b) => rank(a) - rank(b) || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Hit[] = [];
  for (const h of sorted) {
    if (kept.some((k) => h.start < k.end && k.start < h.end)) continue;
    kept.push(h);
  }
  return kept.sort((a, b) => a.start - b.start);
}

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const EXCERPT_WIDTH = 100;

/** The line around the hit, every secret on it redacted; vault values show no character at all. */
function excerpt(text: string, lineStart: number, lineEnd: number, hit: Hit, all: Hit[]): string {
  const from = Math.max(lineStart, hit.start - 40);
  const to = Math.min(lineEnd, Math.max(hit.end, from + EXCERPT_WIDTH));
  let out = '';
  let at = from;
  for (const h of all) {
    if (h.end <= from || h.start >= to) continue;
    // A secret cut by the window is redacted whole: no part of it may show.
    const s = Math.max(h.start, from);
    out += text.slice(at, s);
    const shown = h.rule ? Math.min(h.rule.visiblePrefix, h.end - h.start) : 0;
    out += (h.start >= from ? text.slice(h.start, h.start + shown) : '') + (h.rule ? '[REDACTED]' : '[VAULT VALUE]');
    at = h.end;
  }
  out += text.slice(Math.min(at, to), to);
  // The text is latin1 (one character per byte); show it as the UTF-8 it most likely is.
  const shown = Buffer.from(out, 'latin1').toString('utf8');
  // Control characters would let a file rewrite the reader's terminal.
  return ((from > lineStart ? '…' : '') + shown + (to < lineEnd ? '…' : '')).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
}
