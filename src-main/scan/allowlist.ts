/**
 * The scan allowlist, `.tesseraignore` at the top of the scanned folder or repository (or
 * `--allowlist FILE`). One entry a line, `#` comments:
 *
 *   docs/examples/**          a path glob (relative; `*` within a folder, `**` across folders;
 *   fixtures/                 a name without a slash matches at any depth, a trailing / a folder)
 *   rule:generic-secret-assignment     a rule turned off
 *   fingerprint:1f2e3d4c5b6a79880a1b2c3d   one finding, by the fingerprint the scan printed
 *
 * Fingerprints hash the rule and the matched text, so an allowed test key stays allowed
 * when the lines around it move, and nothing in this file reveals a secret.
 */
import { promises as fs } from 'node:fs';
import { TesseraError } from '../../src-shared/errors';

export const ALLOWLIST_FILE = '.tesseraignore';

export interface Allowlist {
  readonly paths: readonly RegExp[];
  readonly rules: ReadonlySet<string>;
  readonly fingerprints: ReadonlySet<string>;
}

export const EMPTY_ALLOWLIST: Allowlist = { paths: [], rules: new Set(), fingerprints: new Set() };

export function parseAllowlist(text: string, source = ALLOWLIST_FILE): Allowlist {
  const paths: RegExp[] = [];
  const rules = new Set<string>();
  const fingerprints = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('rule:')) rules.add(line.slice(5).trim());
    else if (line.startsWith('fingerprint:')) {
      const f = line.slice(12).trim().toLowerCase();
      if (!/^[0-9a-f]{24}$/.test(f)) throw new TesseraError('INVALID_INPUT', `${source} line ${i + 1}: a fingerprint is 24 hex digits`, { line: i + 1 });
      fingerprints.add(f);
    } else paths.push(globToRegExp(line));
  });
  return { paths, rules, fingerprints };
}

export async function readAllowlist(path: string, required: boolean): Promise<Allowlist> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_ALLOWLIST;
    throw new TesseraError('IO', `Cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAllowlist(text, path);
}

/** Whether a path relative to the allowlist's folder (with / separators) is allowed. */
export function pathAllowed(list: Allowlist, relative: string): boolean {
  return list.paths.some((p) => p.test(relative));
}

export function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/^\.\//, '');
  const dirOnly = g.endsWith('/');
  if (dirOnly) g = g.slice(0, -1);
  const anchored = g.startsWith('/') || g.includes('/');
  g = g.replace(/^\//, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*' && g[i + 1] === '*') {
      re += g[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += g[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A folder (or any pattern) also covers everything below it.
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}${dirOnly ? '/' : '(?:/|$)'}`);
}
