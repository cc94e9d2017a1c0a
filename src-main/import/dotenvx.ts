/**
 * dotenvx-encrypted .env files (values `encrypted:…`, ECIES over secp256k1), decrypted with
 * dotenvx's own primitives (`@dotenvx/primitives`, the package `@dotenvx/dotenvx` decrypts
 * with). The file is read with the same strict dotenv reading as a plain .env import.
 *
 * The private key is looked up as dotenvx does: `DOTENV_PRIVATE_KEY` for `.env`,
 * `DOTENV_PRIVATE_KEY_PRODUCTION` for `.env.production`…, from the environment first, then
 * from the `.env.keys` beside the file (or the one given). Several keys may be given,
 * comma-separated. The key must match the file's `DOTENV_PUBLIC_KEY*` line; that line is
 * dotenvx's own and is not imported. One value that does not decrypt refuses the whole file.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decrypt, derive, encrypted } from '@dotenvx/primitives';
import { TesseraError } from '../../src-shared/errors';
import { parseDotenvFile } from '../dotenv/dotenv-file';
import type { ImportItem, ParsedImport, SkippedEntry } from './import-item';

const PUBLIC_KEY = /^DOTENV_PUBLIC_KEY(?:_[A-Z0-9_]+)?$/;

export interface DotenvxKeys {
  /** The process environment, where `DOTENV_PRIVATE_KEY*` may be set. */
  readonly env: NodeJS.ProcessEnv;
  /** Where the file was read from, to find `.env.keys` beside it and the key's name. */
  readonly path: string;
  /** A `.env.keys` file given explicitly. */
  readonly keysFile?: string;
}

/** `.env.production` → `DOTENV_PRIVATE_KEY_PRODUCTION`, as dotenvx names them. */
export function privateKeyName(path: string): string {
  const suffix = basename(path).replace(/^\.env\.?/, '');
  return suffix === '' ? 'DOTENV_PRIVATE_KEY' : `DOTENV_PRIVATE_KEY_${suffix.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export async function parseDotenvx(text: string, keys: DotenvxKeys): Promise<ParsedImport> {
  const entries = parseDotenvFile(text);
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  const publicKeys = new Set<string>();
  for (const e of entries) {
    if (PUBLIC_KEY.test(e.key)) {
      publicKeys.add(e.value);
      skipped.push({ index: e.line, title: e.key, why: "dotenvx's public key, not a secret" });
    }
  }
  const secrets = entries.filter((e) => !PUBLIC_KEY.test(e.key));
  const needKey = secrets.some((e) => encrypted(e.value));
  const privateKeys = needKey ? await findPrivateKeys(keys, publicKeys) : [];
  for (const e of secrets) {
    let value = e.value;
    if (encrypted(value)) value = decryptValue(e.key, e.line, value, privateKeys);
    items.push({ index: e.line, title: e.key, fields: [{ label: '', value }] });
  }
  return { items, skipped, namesAreVariables: true };
}

function decryptValue(key: string, line: number, value: string, privateKeys: readonly string[]): string {
  for (const k of privateKeys) {
    try {
      return decrypt(k, value);
    } catch {
      // the next key, if any; the error is said below without the key or the value
    }
  }
  throw new TesseraError('IMPORT_WRONG_KEY', `line ${line}: ${key} did not decrypt with the dotenvx private key given: nothing imported`, { line, format: 'dotenvx' });
}

async function findPrivateKeys(keys: DotenvxKeys, publicKeys: ReadonlySet<string>): Promise<string[]> {
  const name = privateKeyName(keys.path);
  let given = keys.env[name];
  let from = name;
  if (!given) {
    const file = keys.keysFile ?? join(dirname(keys.path), '.env.keys');
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || keys.keysFile) throw new TesseraError('IO', `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    given = text === undefined ? undefined : parseDotenvFile(text).find((e) => e.key === name)?.value;
    from = `${name} in ${file}`;
  }
  if (!given) {
    throw new TesseraError('IMPORT_KEY_MISSING', `The file has encrypted values: set ${name} or put it in .env.keys beside the file (or give --keys-file); nothing imported`, { keyName: name });
  }
  const candidates = given.split(',').map((k) => k.trim()).filter(Boolean);
  // A key whose public half is not the file's would fail on every value; say so at once.
  const matching = publicKeys.size === 0 ? candidates : candidates.filter((k) => publicKeys.has(publicKeyOf(k)));
  if (matching.length === 0) throw new TesseraError('IMPORT_WRONG_KEY', `${from} is not the private key of this file's DOTENV_PUBLIC_KEY: nothing imported`, { keyName: name, format: 'dotenvx' });
  return matching;
}

function publicKeyOf(privateKey: string): string {
  try {
    return derive(privateKey);
  } catch {
    return '';
  }
}
