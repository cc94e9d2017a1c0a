import { describe, expect, it } from 'vitest';
import { globToRegExp, parseAllowlist, pathAllowed } from './allowlist';

describe('allowlist', () => {
  it('path globs: names match at any depth, slashes anchor, ** crosses folders, a trailing / means a folder', () => {
    const list = parseAllowlist('# comment\n\n*.snap\ndocs/examples/**\nfixtures/\n/top.txt\n');
    const allowed = (p: string) => pathAllowed(list, p);
    expect(['a.snap', 'src/deep/b.snap', 'docs/examples/x/y.md', 'test/fixtures/k.txt', 'fixtures/k.txt', 'top.txt'].filter(allowed)).toHaveLength(6);
    expect(['a.snapshot', 'docs/example/y.md', 'src/docs/examples/y.md', 'fixtures.txt', 'sub/top.txt'].filter(allowed)).toEqual([]);
    expect(globToRegExp('src/*.js').test('src/a/b.js')).toBe(false);
    expect(globToRegExp('src/**/*.js').test('src/a/b.js')).toBe(true);
    expect(globToRegExp('src/**/*.js').test('src/b.js')).toBe(true);
  });

  it('rules and fingerprints; a malformed fingerprint names its line', () => {
    const list = parseAllowlist('rule:jwt\nfingerprint:0123456789ABCDEF01234567\n');
    expect([...list.rules]).toEqual(['jwt']);
    expect([...list.fingerprints]).toEqual(['0123456789abcdef01234567']);
    expect(() => parseAllowlist('\nfingerprint:xyz\n', '.tesseraignore')).toThrow('.tesseraignore line 2: a fingerprint is 24 hex digits');
  });
});
