/**
 * .env files as the `dotenv` package (classic parser) reads them, plus the export formats.
 *
 * Values are always taken from dotenv's own `parse`, so an imported file means exactly what
 * it means to the app that loads it. dotenv silently skips text it cannot read, which on
 * import would silently drop a secret; so we re-run its line grammar to find that text and
 * refuse the file instead. Error messages carry line numbers and names, never values.
 */
import { parse as dotenvParse } from 'dotenv';
import { TesseraError } from '../../src-shared/errors';
import { MAX_NAME_LENGTH, assertSecretName, isValidSecretName } from '../../src-shared/vault/names';

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line of the entry's name. */
  line: number;
  /** Earlier lines that set the same key; as in dotenv, the last one wins. Absent when none. */
  duplicateLines?: number[];
}

export interface DotenvProblem {
  line: number;
  /** Says what is wrong; may name the key, never contains value text. */
  message: string;
}

/**
 * dotenv's `LINE` pattern, copied verbatim from dotenv 18.0.10 (BSD-2-Clause,
 * github.com/motdotla/dotenv), with the `d` flag added for match positions. Running the same
 * pattern is the only way to know exactly which text dotenv consumed and which it skipped.
 * A test fails if the installed dotenv no longer carries this pattern.
 */
export const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

// The value alternatives of DOTENV_LINE that are quoted; whatever else matched took the
// unquoted `[^#\r\n]+` branch.
const QUOTED_VALUE = /^\s*(?:'(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`)$/;
const STARTS_WITH_QUOTE = /^['"`]/;
const LINE_BREAK = /[\n\u2028\u2029]/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Reads a .env file. Values are exactly dotenv.parse's (quotes, \n and \r in double quotes,
 * multi-line values, inline comments, `export `, `KEY: value`, CRLF). Throws DOTENV_SYNTAX
 * listing every problem (details: `line` of the first, `lines`, `problems`): text dotenv
 * would skip, names that are not valid secret names (dotenv allows `.`, `-` and a leading
 * digit), a quote not closed at the end of its line, or a name, `=` and value start spread
 * over several lines.
 * A key set twice yields one entry, the last one, with the earlier lines in `duplicateLines`.
 * Entries come in the order of their `line`.
 */
export function parseDotenvFile(text: string): DotenvEntry[] {
  // dotenv normalises line endings the same way before matching; offsets below refer to this.
  const src = text.replace(/\r\n?/g, '\n');
  const lineAt = lineLocator(src);
  const problems: DotenvProblem[] = [];
  const byKey = new Map<string, DotenvEntry>();

  const re = new RegExp(DOTENV_LINE.source, DOTENV_LINE.flags);
  let consumed = 0;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    findSkippedText(src, consumed, m.index, lineAt, problems);
    consumed = re.lastIndex;
    const key = m[1] as string;
    const line = lineAt((m.indices as RegExpIndicesArray)[1]![0]);
    const problem = checkEntry(m, src);
    if (problem !== null) {
      problems.push({ line, message: `line ${line}: ${problem}` });
      continue;
    }
    const earlier = byKey.get(key);
    const entry: DotenvEntry = { key, value: '', line };
    if (earlier !== undefined) entry.duplicateLines = [...(earlier.duplicateLines ?? []), earlier.line];
    byKey.set(key, entry);
  }
  findSkippedText(src, consumed, src.length, lineAt, problems);
  if (problems.length > 0) throw syntaxError(problems);

  const parsed = dotenvParse(text, { fast: false });
  for (const entry of byKey.values()) {
    if (!Object.hasOwn(parsed, entry.key)) throw disagreement(entry);
    entry.value = parsed[entry.key] as string;
  }
  if (Object.keys(parsed).length !== byKey.size) {
    throw new TesseraError('DOTENV_SYNTAX', 'dotenv reads this file differently from Tessera; import it as JSON instead', {});
  }
  return [...byKey.values()].sort((a, b) => a.line - b.line);
}

/** Why a matched entry is unacceptable, or null. */
function checkEntry(m: RegExpExecArray, src: string): string | null {
  const key = m[1] as string;
  if (!isValidSecretName(key)) {
    return `${JSON.stringify(key.slice(0, MAX_NAME_LENGTH))} is not a valid name: use letters, digits and _, not starting with a digit`;
  }
  // dotenv "reads" this name by setting its result object's prototype, i.e. not at all.
  if (key === '__proto__') return '__proto__ cannot be used as a name';

  // dotenv lets whitespace between the parts run over line breaks, so `FOO` followed by a
  // line `=bar`, or `KEY:` followed by a line `B=1`, silently become one entry.
  const indices = m.indices as RegExpIndicesArray;
  const head = m.index + (m[0].length - m[0].trimStart().length);
  let sep = indices[1]![1];
  while (/\s/.test(src[sep] ?? '')) sep++;
  const raw = m[2];
  const valueStart = raw === undefined ? sep + 1 : indices[2]![0] + (raw.length - raw.trimStart().length);
  if (LINE_BREAK.test(src.slice(head, valueStart))) {
    return `${key}: the name, the = and the start of the value must be on one line`;
  }

  // An opening quote dotenv could not pair falls through to its unquoted branch, which keeps
  // the quote (and any text after a closing quote) as part of the value.
  if (raw !== undefined && !QUOTED_VALUE.test(raw)) {
    const v = raw.trim();
    const q = v[0] ?? '';
    if (STARTS_WITH_QUOTE.test(v) && (v.length < 2 || !v.endsWith(q))) {
      return `${key}: the ${q} that opens the value is not closed at the end of its line`;
    }
  }
  return null;
}

/** Records each line in src[from, to) that dotenv skipped and that is not blank or a comment. */
function findSkippedText(
  src: string,
  from: number,
  to: number,
  lineAt: (offset: number) => number,
  problems: DotenvProblem[],
): void {
  let start = from;
  for (const piece of src.slice(from, to).split('\n')) {
    const t = piece.trim();
    if (t !== '' && !t.startsWith('#')) {
      const line = lineAt(start);
      problems.push({ line, message: `line ${line}: ${describeSkipped(t)}` });
    }
    start += piece.length + 1;
  }
}

// Skipped text may be a pasted secret, so this looks at its shape and never quotes it.
function describeSkipped(t: string): string {
  if (t.startsWith('=')) return 'a value with no name before the =';
  if (/^(?:export\s+)?[\w.-]+$/.test(t)) return 'a name with no = after it';
  return 'not NAME=value, a # comment or a blank line';
}

function lineLocator(src: string): (offset: number) => number {
  const breaks: number[] = [];
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) breaks.push(i);
  return (offset) => {
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((breaks[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

function syntaxError(problems: DotenvProblem[]): TesseraError {
  const [first] = problems as [DotenvProblem, ...DotenvProblem[]];
  const others = problems.slice(1).map((p) => p.line);
  const shown = others.slice(0, 10).join(', ') + (others.length > 10 ? ', …' : '');
  const message = others.length === 0 ? first.message : `${first.message} (more problems on lines ${shown})`;
  return new TesseraError('DOTENV_SYNTAX', message, {
    line: first.line,
    lines: problems.map((p) => p.line),
    problems,
  });
}

function disagreement(entry: DotenvEntry): TesseraError {
  return new TesseraError(
    'DOTENV_SYNTAX',
    `line ${entry.line}: ${entry.key}: dotenv reads this line differently from Tessera; import the file as JSON instead`,
    { line: entry.line, lines: [entry.line] },
  );
}

export interface ExportEntry {
  key: string;
  value: string;
}

/**
 * Writes entries, in the given order, as a .env file that dotenv.parse and parseDotenvFile
 * read back to exactly these values; every entry's text means the same whatever lines
 * follow it. Throws INVALID_NAME for a bad key, INVALID_INPUT for a repeated key, and
 * EXPORT_UNREPRESENTABLE (details: `key`) for `__proto__`, a value that is not valid Unicode,
 * or a value no dotenv quoting can carry. That takes an unlucky mix, such as spaces at an end
 * with a final backslash, # with all three quote characters, or a carriage return (which
 * only double quotes can write, as \r) with a literal \n; typical keys, tokens, URLs and PEM
 * blocks never hit it.
 */
export function formatDotenv(entries: readonly ExportEntry[]): string {
  checkKeys(entries);
  let out = '';
  const startLines: number[] = [];
  let line = 1;
  for (const { key, value } of entries) {
    if (key === '__proto__') throw unrepresentable(key, 'dotenv cannot read a variable with this name');
    if (LONE_SURROGATE.test(value)) throw unrepresentable(key, 'the value is not valid Unicode text');
    const written = dotenvValue(value);
    if (written === null) throw unrepresentable(key, 'no dotenv quoting can carry this value exactly');
    startLines.push(line);
    const text = `${key}=${written}\n`;
    line += text.split('\n').length - 1;
    out += text;
  }
  verifyRoundTrip(entries, out, startLines);
  return out;
}

/**
 * How a value is written after `KEY=`, or null. dotenv has no escape for a backslash or a
 * bare quote, and only double quotes turn an escape (\n, \r) into a character.
 */
function dotenvValue(v: string): string | null {
  if (!/[\n\r]/.test(v)) {
    if (canGoUnquoted(v)) return v;
    if (canQuoteLiterally(v, "'")) return `'${v}'`;
  }
  if (canDoubleQuote(v)) return `"${escapeBreaks(v)}"`;
  if (canQuoteLiterally(v, "'")) return `'${v}'`;
  if (canQuoteLiterally(v, '`')) return `\`${v}\``;
  // Last resort: dotenv's unquoted branch takes the rest of the line (so no # or raw line
  // break) and strips a pair of quotes around it, when its quoted branch fails.
  if (!v.includes('#')) {
    if (!/[\n\r]/.test(v)) {
      if (quotedBranchFails(v, "'")) return `'${v}'`;
      if (quotedBranchFails(v, '`')) return `\`${v}\``;
    }
    const escaped = escapeBreaks(v);
    if (quotedBranchFails(escaped, '"') && !/\\[nr]/.test(v)) return `"${escaped}"`;
  }
  return null;
}

/**
 * Whether dotenv's quoted branch fails on qcq. It can only end at the first bare q in c or
 * at a \q before it, and it ends there only if nothing but whitespace up to a U+2028 or
 * U+2029 follows (its `$` is multi-line, and those count as line ends).
 */
function quotedBranchFails(c: string, q: string): boolean {
  const lineEndAhead = /\s*?[\u2028\u2029]/y;
  for (let i = c.indexOf(q); i !== -1; i = c.indexOf(q, i + 1)) {
    lineEndAhead.lastIndex = i + 1;
    if (lineEndAhead.test(c)) return false;
    if (c[i - 1] !== '\\') return true;
  }
  return false;
}

// dotenv trims an unquoted value, ends it at #, and strips quotes from it with a multi-line
// pattern: around all of it, or around a stretch from just after a U+2028 or U+2029 to one.
function canGoUnquoted(v: string): boolean {
  if (v === '') return true;
  if (v !== v.trim() || v.includes('#') || STARTS_WITH_QUOTE.test(v)) return false;
  return !/[\u2028\u2029](['"`])[\s\S]*\1(?:[\u2028\u2029]|$)/.test(v);
}

// Inside q…q, dotenv keeps \q as two characters and cannot hold a bare q. A final backslash
// would escape the closing quote and let the value run on into whatever lines follow.
function canQuoteLiterally(v: string, q: string): boolean {
  return !v.includes('\r') && !hasBareQuote(v, q) && !v.endsWith('\\');
}

// dotenv turns every \n and \r inside double quotes into a line feed and a carriage return,
// so a value that holds those two-character sequences literally cannot be double-quoted.
function canDoubleQuote(v: string): boolean {
  return !/\\[nr]/.test(v) && !hasBareQuote(v, '"') && !v.endsWith('\\');
}

function hasBareQuote(v: string, q: string): boolean {
  for (let i = v.indexOf(q); i !== -1; i = v.indexOf(q, i + 1)) {
    if (v[i - 1] !== '\\') return true;
  }
  return false;
}

function escapeBreaks(v: string): string {
  return v.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

// The rules above are reasoned from dotenv's source; a secret silently changed on export is
// bad enough to check the whole file against the real parsers before anyone writes it.
function verifyRoundTrip(entries: readonly ExportEntry[], out: string, startLines: number[]): void {
  const keyAtLine = (line: number): string => {
    let i = 0;
    while (i + 1 < startLines.length && (startLines[i + 1] as number) <= line) i++;
    return entries[i]?.key ?? '';
  };
  let back: DotenvEntry[];
  try {
    back = parseDotenvFile(out);
  } catch (e) {
    const line = e instanceof TesseraError && typeof e.details.line === 'number' ? e.details.line : 1;
    throw unrepresentable(keyAtLine(line), 'dotenv would not read this value back exactly');
  }
  const parsed = dotenvParse(out, { fast: false });
  const readBack = new Map(back.map((e) => [e.key, e.value]));
  for (const { key, value } of entries) {
    if (readBack.get(key) !== value || parsed[key] !== value) {
      throw unrepresentable(key, 'dotenv would not read this value back exactly');
    }
  }
}

/** `{"KEY": "value", …}` with keys sorted by code unit, two-space indent, trailing newline. */
export function formatJson(entries: readonly ExportEntry[]): string {
  checkKeys(entries);
  if (entries.length === 0) return '{}\n';
  // Built by hand: an object literal would turn a `__proto__` key into a prototype.
  const body = [...entries]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key, value }) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(',\n');
  return `{\n${body}\n}\n`;
}

/**
 * `export KEY='value'` lines, in the given order, safe to `eval` or `source` in any POSIX
 * shell: single quotes keep everything literal, and a ' is written as '\''. Throws
 * EXPORT_UNREPRESENTABLE for a NUL (no shell variable can hold one) or invalid Unicode.
 */
export function formatShell(entries: readonly ExportEntry[]): string {
  checkKeys(entries);
  return entries
    .map(({ key, value }) => {
      if (value.includes('\0')) throw unrepresentable(key, 'a shell variable cannot hold a NUL character');
      if (LONE_SURROGATE.test(value)) throw unrepresentable(key, 'the value is not valid Unicode text');
      return `export ${key}='${value.replace(/'/g, `'\\''`)}'\n`;
    })
    .join('');
}

function checkKeys(entries: readonly ExportEntry[]): void {
  const seen = new Set<string>();
  for (const { key } of entries) {
    assertSecretName(key);
    if (seen.has(key)) throw new TesseraError('INVALID_INPUT', `${key} appears more than once`, { key });
    seen.add(key);
  }
}

function unrepresentable(key: string, why: string): TesseraError {
  return new TesseraError('EXPORT_UNREPRESENTABLE', `${key}: ${why}; use --format json`, { key });
}
