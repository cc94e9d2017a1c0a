import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import {
  DOTENV_LINE,
  formatDotenv,
  formatJson,
  formatShell,
  parseDotenvFile,
  type DotenvEntry,
  type ExportEntry,
} from './dotenv-file';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/dotenv/${name}`, import.meta.url), 'utf8');
const dotenv = (text: string) => dotenvParse(text, { fast: false });

function thrown(f: () => unknown): TesseraError {
  try {
    f();
  } catch (e) {
    if (e instanceof TesseraError) return e;
    throw e;
  }
  throw new Error('expected a TesseraError');
}

const valuesOf = (entries: { key: string; value: string }[]) => Object.fromEntries(entries.map((e) => [e.key, e.value]));

describe('DOTENV_LINE', () => {
  it('is still the pattern the installed dotenv parses with', () => {
    const source = readFileSync(createRequire(import.meta.url).resolve('dotenv'), 'utf8');
    expect(source).toContain(`/${DOTENV_LINE.source}/mg`);
  });
});

describe('parseDotenvFile', () => {
  it('reads every construct in the fixture as dotenv does, with the line of each entry', () => {
    const text = fixture('tricky.env');
    const entries = parseDotenvFile(text);
    expect(entries).toEqual(JSON.parse(fixture('tricky.json')));
    expect(valuesOf(entries)).toEqual({ ...dotenv(text) });
  });

  it('reads CRLF and lone-CR files like LF ones: same values, same lines', () => {
    const lf = parseDotenvFile(fixture('tricky.env'));
    expect(parseDotenvFile(fixture('tricky.env').replace(/\n/g, '\r\n'))).toEqual(lf);
    expect(parseDotenvFile(fixture('tricky.env').replace(/\n/g, '\r'))).toEqual(lf);
  });

  it.each([
    ['KEY=v', 'v'],
    ['KEY = v ', 'v'],
    ['KEY=  v   \t', 'v'],
    ["KEY='  padded  '", '  padded  '],
    ['KEY="  padded  "   ', '  padded  '],
    ['KEY=`  padded  `', '  padded  '],
    ['export   KEY=v', 'v'],
    ['KEY=', ''],
    ['KEY=   # only a comment', ''],
    ["KEY='#not a comment'", '#not a comment'],
    ['KEY="a"#comment', 'a'],
    ['KEY=a #b #c', 'a'],
    ['KEY="a\\"b"', 'a\\"b'],
    ["KEY='a\\nb'", 'a\\nb'],
    ['KEY=`a\\nb`', 'a\\nb'],
    ['KEY="a\\nb\\rc"', 'a\nb\rc'],
    ['KEY="a\\\\nb"', 'a\\\nb'],
    ['KEY=a\\nb', 'a\\nb'],
    ["KEY='it's'", "it's"],
    ['KEY="multi\r\nline"', 'multi\nline'],
    ["KEY='x'\r\n", 'x'],
    ['\uFEFFKEY=bom', 'bom'],
    ['KEY=ключ 🔑 \u00e9\u0301', 'ключ 🔑 \u00e9\u0301'],
    ['KEY=a "b" c', 'a "b" c'],
    ['KEY=="starts with ="', '="starts with ="'],
  ])('%j reads as dotenv does', (text, value) => {
    expect(parseDotenvFile(text)).toEqual([{ key: 'KEY', value, line: 1 }]);
    expect(dotenv(text).KEY).toBe(value);
  });

  it('reads a very long value', () => {
    const long = 'x'.repeat(200_000);
    expect(parseDotenvFile(`A=1\nLONG="${long}"\nB=2\n`)).toEqual([
      { key: 'A', value: '1', line: 1 },
      { key: 'LONG', value: long, line: 2 },
      { key: 'B', value: '2', line: 3 },
    ]);
  });

  it('reports the line of an entry after multi-line values and blank lines', () => {
    const text = "\n\nA='x\ny\nz'\n\n# c\nB=`1\n2`\n   \nC=\"3\n\"\nD=4";
    expect(parseDotenvFile(text).map((e) => [e.key, e.line])).toEqual([
      ['A', 3],
      ['B', 8],
      ['C', 11],
      ['D', 13],
    ]);
  });

  it('lets a later duplicate win, as dotenv does, and says which lines it overrode', () => {
    const text = 'A=1\nB=x\nA=2\n\nA=3\n';
    expect(parseDotenvFile(text)).toEqual([
      { key: 'B', value: 'x', line: 2 },
      { key: 'A', value: '3', line: 5, duplicateLines: [1, 3] },
    ]);
    expect(dotenv(text).A).toBe('3');
  });

  it('accepts blank, whitespace-only and comment-only files', () => {
    expect(parseDotenvFile('')).toEqual([]);
    expect(parseDotenvFile('\n \t\n\r\n')).toEqual([]);
    expect(parseDotenvFile('# only\n  # comments\n')).toEqual([]);
  });

  // Each of these holds the text SECRET somewhere; no message or detail may repeat it.
  it.each([
    ['a lone name', 'A=1\nSECRET_LOOKING_TOKEN\n', 2, 'a name with no = after it'],
    ['export with no =', 'export SECRET_NAME\nB=2', 1, 'a name with no = after it'],
    ['a value with no name', 'A=1\n\n=SECRET', 3, 'a value with no name before the ='],
    ['a pasted secret', 'sk_live SECRET with spaces\nA=1', 1, 'not NAME=value'],
    ['a colon with no space', 'KEY:SECRET', 1, 'not NAME=value'],
    ['a name starting with a digit', 'A=1\n1KEY=SECRET', 2, '"1KEY" is not a valid name'],
    ['a dot in the name', 'A.B=SECRET', 1, '"A.B" is not a valid name'],
    ['a dash in the name', 'export A-B="SECRET"', 1, '"A-B" is not a valid name'],
    ['an over-long name', `${'N'.repeat(129)}=SECRET`, 1, 'is not a valid name'],
    ['__proto__', '__proto__=SECRET', 1, '__proto__ cannot be used'],
    ['an unterminated double quote', 'A=1\nKEY="SECRET\nB=2', 2, 'KEY: the " that opens the value is not closed'],
    ['an unterminated single quote', "KEY='SECRET", 1, "KEY: the ' that opens"],
    ['an unterminated backtick', 'KEY=`SECRET # x', 1, 'KEY: the ` that opens'],
    ['a lone quote', 'KEY="', 1, 'KEY: the " that opens'],
    ['text after the closing quote', 'KEY = "SECRET" trailing-garbage', 1, 'KEY: the " that opens'],
    ['a name on the line before its =', 'A=1\nFOO\n=SECRET', 2, 'FOO: the name, the = and the start'],
    ['a colon at the end of a line', 'KEY:\nB=SECRET', 1, 'KEY: the name, the = and the start'],
    ['a quoted value on the next line', 'KEY=\n"SECRET"', 1, 'KEY: the name, the = and the start'],
    ['export on its own line', 'export\nKEY=SECRET', 2, 'KEY: the name, the = and the start'],
  ])('rejects %s with its line number and without the value', (_, text, line, what) => {
    const e = thrown(() => parseDotenvFile(text));
    expect(e.code).toBe('DOTENV_SYNTAX');
    expect(e.message).toMatch(new RegExp(`^line ${line}: `));
    expect(e.message).toContain(what);
    expect(e.details.line).toBe(line);
    expect(e.message).not.toContain('SECRET');
    expect(JSON.stringify(e.details)).not.toContain('SECRET');
  });

  it('lists every problem, not only the first', () => {
    const e = thrown(() => parseDotenvFile('GOOD=1\nBAD\n1X=2\nOK=3\n=4\nQ="5'));
    expect(e.message).toMatch(/^line 2: .* \(more problems on lines 3, 5, 6\)$/);
    expect(e.details.lines).toEqual([2, 3, 5, 6]);
    expect((e.details.problems as { line: number }[]).map((p) => p.line)).toEqual([2, 3, 5, 6]);
  });

  it('either refuses a file or reads exactly what dotenv reads from it', () => {
    const token = fc.constantFrom(
      ...['A', 'B_2', 'export ', '=', ' = ', ': ', ':', "'", '"', '`', '\\', '#', ' # c', '\\n'],
      ...['\n', '\r\n', '\r', ' ', '\t', 'x', 'y z', '\u2028', '1', '.', '-'],
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const text = tokens.join('');
        let entries: DotenvEntry[];
        try {
          entries = parseDotenvFile(text);
        } catch (e) {
          if (!isTesseraError(e, 'DOTENV_SYNTAX')) throw e;
          expect(e.message).toMatch(/^line \d+: /);
          expect(e.details.line as number).toBeLessThanOrEqual(text.split(/\r\n?|\n/).length);
          return;
        }
        expect(valuesOf(entries)).toEqual({ ...dotenv(text) });
      }),
      { numRuns: 3000 },
    );
  });

  it('counts CRLF and lone-CR line breaks when reporting lines', () => {
    expect(thrown(() => parseDotenvFile('A=1\r\nB=2\r\nnope\r\n')).details.line).toBe(3);
    expect(thrown(() => parseDotenvFile('A=1\rB=2\rnope\r')).details.line).toBe(3);
  });
});

const K = 'KEY';
const QUOTES = ["'", '"', '`'];
// Lines that a value whose closing quote got escaped would run on into and swallow.
const RUN_ON = "\nRUN1=x'\nRUN2=x\"\nRUN3=x`\n";

function readsBack(file: string, value: string): boolean {
  try {
    return dotenv(file)[K] === value && parseDotenvFile(file).find((e) => e.key === K)?.value === value;
  } catch {
    return false;
  }
}

/**
 * Independent of formatDotenv's rules: tries the value bare and inside each quote, raw or with
 * line breaks escaped, and keeps an encoding only if both parsers read it back exactly, alone
 * and with lines after it that it could run on into.
 */
function someEncodingWorks(v: string): boolean {
  const escaped = v.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const crEscaped = v.replace(/\r/g, '\\r');
  const candidates = [v, ...QUOTES.flatMap((q) => [q + v + q, q + escaped + q, q + crEscaped + q])];
  return candidates.some((c) => readsBack(`${K}=${c}\n`, v) && readsBack(`${K}=${c}${RUN_ON}`, v));
}

function formatOne(value: string): string | TesseraError {
  try {
    return formatDotenv([{ key: K, value }]);
  } catch (e) {
    if (isTesseraError(e, 'EXPORT_UNREPRESENTABLE')) return e;
    throw e;
  }
}

// What dotenv's grammar treats specially. U+2028 and U+2029 end lines for its multi-line
// patterns; then odd spaces, NUL and non-ASCII text.
const NASTY = [
  ...["'", '"', '`', '\\', '#', '\n', '\r', ' ', '\t', '=', 'n', 'r', 'a', '$', ':', '\u2028', '\u2029'],
  ...['\u00a0', '\uFEFF', '\v', '\0', 'é', '🔑'],
];
const nastyString = fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 10 });
const anyValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nastyString, fc.string({ maxLength: 40 }));
const secretName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/).filter((k) => k !== '__proto__');

describe('formatDotenv', () => {
  it.each([
    ['sk_live_51Habc', 'KEY=sk_live_51Habc'],
    ['', 'KEY='],
    ["it's", "KEY=it's"],
    ['a "b" c', 'KEY=a "b" c'],
    ['ends with \\', 'KEY=ends with \\'],
    [' padded ', "KEY=' padded '"],
    ['a#b', "KEY='a#b'"],
    ["'quoted'", `KEY="'quoted'"`],
    ['C:\\new', 'KEY=C:\\new'],
    ['two\nlines', 'KEY="two\\nlines"'],
    ['cr\r\nlf', 'KEY="cr\\r\\nlf"'],
    ['C:\\new\nline', "KEY='C:\\new\nline'"],
    [`it's "x" #1`, 'KEY=`it\'s "x" #1`'],
    [` it's "x" \`y\` `, `KEY=' it's "x" \`y\` '`],
    ["a\u2028'b'", `KEY="a\u2028'b'"`],
  ])('writes %j as %j', (value, line) => {
    const out = formatDotenv([{ key: K, value }]);
    expect(out).toBe(`${line}\n`);
    expect(dotenv(out)[K]).toBe(value);
  });

  it.each([
    // Only double quotes write a carriage return (as \r), and they turn every \n into a line feed.
    ['a carriage return and a literal \\n', '\r\\n'],
    // Nor can double quotes hold a bare ", and # rules out dotenv's unquoted fallback.
    ['a carriage return, a bare " and #', '\r"#'],
    // A final backslash escapes the closing quote (see the run-on test below).
    ['spaces at an end and a final backslash', ' a\\'],
    ['all three quotes and #', `'"\`#`],
  ])('refuses a value with %s and says to use JSON', (_, value) => {
    const e = formatOne(value) as TesseraError;
    expect(e).toBeInstanceOf(TesseraError);
    expect(e.message).toBe('KEY: no dotenv quoting can carry this value exactly; use --format json');
    expect(e.details).toEqual({ key: K });
    expect(someEncodingWorks(value)).toBe(false);
  });

  it('is right to refuse a final backslash inside quotes: the value runs on into later lines', () => {
    expect(dotenv("KEY=' a\\'\n")[K]).toBe(' a\\');
    expect(dotenv("KEY=' a\\'\nNEXT=x'\n")[K]).toBe(" a\\'\nNEXT=x");
  });

  it('refuses __proto__, which dotenv cannot read, and values that are not valid Unicode', () => {
    expect(thrown(() => formatDotenv([{ key: '__proto__', value: 'x' }])).code).toBe('EXPORT_UNREPRESENTABLE');
    expect(formatOne('half \ud800 pair')).toMatchObject({ code: 'EXPORT_UNREPRESENTABLE', details: { key: K } });
  });

  it('validates keys and refuses duplicates', () => {
    expect(thrown(() => formatDotenv([{ key: 'A-B', value: 'x' }])).code).toBe('INVALID_NAME');
    expect(thrown(() => formatDotenv([{ key: '', value: 'x' }])).code).toBe('INVALID_NAME');
    const dup = thrown(() => formatDotenv([{ key: 'A', value: '1' }, { key: 'A', value: '2' }]));
    expect(dup.code).toBe('INVALID_INPUT');
  });

  it('refuses a value exactly when no simple encoding reads back, alone and before other lines', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const out = formatOne(value);
        expect(out instanceof TesseraError).toBe(!someEncodingWorks(value));
        if (typeof out === 'string') {
          expect(parseDotenvFile(out)).toEqual([{ key: K, value, line: 1 }]);
          expect({ ...dotenv(out) }).toEqual({ [K]: value });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips whole files through parseDotenvFile and dotenv.parse', () => {
    const entries = fc.uniqueArray(fc.record({ key: secretName, value: anyValue }), {
      selector: (e) => e.key,
      maxLength: 12,
    });
    fc.assert(
      fc.property(entries, (list) => {
        let out: string;
        try {
          out = formatDotenv(list);
        } catch (e) {
          if (!isTesseraError(e, 'EXPORT_UNREPRESENTABLE')) throw e;
          const key = e.details.key;
          const refused = list.find((x) => x.key === key);
          expect(refused).toBeDefined();
          expect(someEncodingWorks(refused!.value)).toBe(false);
          return;
        }
        const back = parseDotenvFile(out);
        expect(back.map(({ key, value }) => ({ key, value }))).toEqual(list);
        expect({ ...dotenv(out) }).toEqual(valuesOf(list));
      }),
      { numRuns: 500 },
    );
  });

  it('never refuses values shaped like real API keys, tokens and certificates', () => {
    const pem = fc
      .array(fc.base64String({ minLength: 4, maxLength: 64 }), { minLength: 1, maxLength: 5 })
      .map((rows) => `-----BEGIN PRIVATE KEY-----\n${rows.join('\n')}\n-----END PRIVATE KEY-----\n`);
    const typical = fc.oneof(
      fc.base64String({ maxLength: 80 }),
      fc.stringMatching(/^[0-9a-f]{16,64}$/),
      fc.uuid(),
      fc.stringMatching(/^(sk|pk|rk)_(live|test)_[A-Za-z0-9]{24,40}$/),
      fc.stringMatching(/^ey[A-Za-z0-9_-]{10,40}\.[A-Za-z0-9_-]{10,40}\.[A-Za-z0-9_-]{10,40}$/),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      pem,
      // A cloud service-account file: JSON whose private key holds literal \n escapes.
      fc
        .record({ type: fc.constant('service_account'), private_key_id: fc.uuid(), private_key: pem })
        .map((o) => JSON.stringify(o, null, 2)),
    );
    fc.assert(
      fc.property(typical, (value) => {
        expect(typeof formatOne(value)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses well under 1% of arbitrary strings, printable ASCII or full Unicode', () => {
    for (const arb of [fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })]) {
      const sample = fc.sample(arb, { numRuns: 5000, seed: 42 });
      const refused = sample.filter((v) => typeof formatOne(v) !== 'string').length;
      expect(refused / sample.length).toBeLessThan(0.01);
    }
  });
});

describe('formatJson', () => {
  it('writes a sorted, two-space indented object with a trailing newline', () => {
    const out = formatJson([
      { key: 'b', value: 'two' },
      { key: 'B', value: 'Two "quoted"\n' },
      { key: 'a', value: '\0\ud800' },
    ]);
    expect(out).toBe('{\n  "B": "Two \\"quoted\\"\\n",\n  "a": "\\u0000\\ud800",\n  "b": "two"\n}\n');
    expect(JSON.parse(out)).toEqual({ B: 'Two "quoted"\n', a: '\0\ud800', b: 'two' });
    expect(formatJson([])).toBe('{}\n');
  });

  it('carries any value and reads back with JSON.parse, __proto__ included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ key: fc.oneof(secretName, fc.constant('__proto__')), value: fc.string({ unit: 'binary' }) }), {
          selector: (e) => e.key,
        }),
        (list) => {
          const back = JSON.parse(formatJson(list)) as Record<string, string>;
          expect(Object.keys(back)).toEqual(list.map((e) => e.key).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
          for (const { key, value } of list) expect(back[key]).toBe(value);
        },
      ),
    );
  });
});

describe('formatShell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-shell-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const shells = ['/bin/sh', '/bin/bash'].filter((sh) => existsSync(sh));

  /** Sources (or evals) the export file in a shell and prints each key's value, NUL-terminated. */
  function throughShell(shell: string, entries: ExportEntry[], how: 'source' | 'eval'): string[] {
    const file = join(dir, 'exports.sh');
    writeFileSync(file, formatShell(entries));
    const load = how === 'source' ? '. "$1"' : 'eval "$(cat "$1")"';
    const print = entries.map((e) => `"$${e.key}"`).join(' ');
    const out = execFileSync(shell, ['-c', `${load}; printf '%s\\0' ${print}`, 'sh', file], { encoding: 'utf8' });
    return out.split('\0').slice(0, -1);
  }

  const NASTY_VALUES = [
    "it's",
    "'",
    "''\\''",
    '"double"',
    '$HOME ${HOME} $(id) `id`',
    '\\ \\\\ \\n',
    'multi\nline\n\n',
    '\r\n',
    '!event %s -n -- ;& | < > * ? [a] ~',
    '',
    ' spaced ',
    'ключ 🔑',
  ];

  it.each(shells.flatMap((shell) => (['source', 'eval'] as const).map((how) => [shell, how] as const)))(
    'gives back nasty values exactly through %s (%s)',
    (shell, how) => {
      const entries = NASTY_VALUES.map((value, i) => ({ key: `TESSERA_V${i}`, value }));
      expect(throughShell(shell, entries, how)).toEqual(NASTY_VALUES);
    },
  );

  it('gives back arbitrary values exactly when sourced by /bin/sh', () => {
    const noNul = fc.oneof(nastyString, fc.string({ unit: 'binary', maxLength: 30 })).map((s) => s.replace(/\0/g, ''));
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 8 }), (values) => {
        const entries = values.map((value, i) => ({ key: `TESSERA_V${i}`, value }));
        expect(throughShell('/bin/sh', entries, 'source')).toEqual(values);
      }),
      { numRuns: 40 },
    );
  });

  it('writes export lines in the given order', () => {
    expect(formatShell([{ key: 'B', value: "a'b" }, { key: 'A', value: '' }])).toBe("export B='a'\\''b'\nexport A=''\n");
  });

  it('refuses NUL, invalid Unicode, bad names and duplicates', () => {
    expect(thrown(() => formatShell([{ key: 'A', value: 'a\0b' }])).code).toBe('EXPORT_UNREPRESENTABLE');
    expect(thrown(() => formatShell([{ key: 'A', value: '\udc00' }])).code).toBe('EXPORT_UNREPRESENTABLE');
    expect(thrown(() => formatShell([{ key: 'A B', value: '' }])).code).toBe('INVALID_NAME');
    expect(thrown(() => formatShell([{ key: 'A', value: '' }, { key: 'A', value: '' }])).code).toBe('INVALID_INPUT');
  });
});
