/**
 * The formats `tessera import --from` reads, one parser module each, and a guess of the
 * format from a file's name and first bytes (for the desktop dialog and a missing --from).
 */
import { IMPORT_FORMATS, type ImportFormat } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import { parseDotenvFile } from '../dotenv/dotenv-file';
import { parseBitwarden } from './bitwarden';
import { parseCsvMap, parseDopplerCsv, parseGenericCsv, parseInfisicalCsv, parseKeepassxcCsv, parseOnePasswordCsv } from './csv';
import { parseDotenvx } from './dotenvx';
import { parseDopplerJson, parseInfisicalJson } from './env-services';
import type { ParsedImport } from './import-item';
import { parseKdbx } from './kdbx';
import { parseOnePux } from './onepux';

export { IMPORT_FORMATS, type ImportFormat };

export function isImportFormat(s: string): s is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(s);
}

export interface ImportOptions {
  /** Asked only when the file needs it (KDBX, a password-protected Bitwarden export). */
  readonly password?: () => Promise<string>;
  /** `--map` for a generic CSV. */
  readonly map?: string;
  /** For dotenvx: the process environment, the file's path and an explicit .env.keys. */
  readonly env?: NodeJS.ProcessEnv;
  readonly path?: string;
  readonly keysFile?: string;
}

/** Parses a whole file; any problem throws and nothing of the file is used. */
export async function readImport(format: ImportFormat, bytes: Uint8Array, opts: ImportOptions = {}): Promise<ParsedImport> {
  if (format === 'kdbx') {
    if (!opts.password) throw new TesseraError('INVALID_INPUT', 'A KeePass database needs its password');
    return parseKdbx(bytes, await opts.password());
  }
  if (format === '1pux') return parseOnePux(bytes);
  const text = utf8(bytes);
  switch (format) {
    case 'dotenv':
      return { items: parseDotenvFile(text).map((e) => ({ index: e.line, title: e.key, fields: [{ label: '', value: e.value }] })), skipped: [], namesAreVariables: true };
    case 'dotenvx':
      return parseDotenvx(text, { env: opts.env ?? {}, path: opts.path ?? '.env', ...(opts.keysFile ? { keysFile: opts.keysFile } : {}) });
    case 'keepassxc-csv':
      return parseKeepassxcCsv(text);
    case 'bitwarden-json':
      return parseBitwarden(text, opts.password);
    case '1password-csv':
      return parseOnePasswordCsv(text);
    case 'infisical-json':
      return parseInfisicalJson(text);
    case 'infisical-csv':
      return parseInfisicalCsv(text);
    case 'doppler-json':
      return parseDopplerJson(text);
    case 'doppler-csv':
      return parseDopplerCsv(text);
    case 'csv':
      if (!opts.map) throw new TesseraError('INVALID_INPUT', 'A generic CSV needs --map name=COLUMN,value=COLUMN');
      return parseGenericCsv(text, parseCsvMap(opts.map));
  }
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TesseraError('IMPORT_MALFORMED', 'The file is not UTF-8 text: nothing imported');
  }
}

const KDBX_SIGNATURE = [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5];

/**
 * The format a file most likely is, or undefined when it cannot be told (a generic CSV, a
 * Doppler CSV and an Infisical CSV look alike; a Doppler and an Infisical JSON do not).
 */
export function detectFormat(name: string, bytes: Uint8Array): ImportFormat | undefined {
  if (KDBX_SIGNATURE.every((b, i) => bytes[i] === b)) return 'kdbx';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && /\.1pux$/i.test(name)) return '1pux';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 64 * 1024)).replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
  const start = text.trimStart();
  if (start.startsWith('{')) {
    if (/"encrypted"\s*:\s*(true|false)/.test(text) && /"(items|data)"\s*:/.test(text)) return 'bitwarden-json';
    return 'doppler-json';
  }
  if (start.startsWith('[')) return 'infisical-json';
  const header = start.split(/\r?\n/, 1)[0]!.toLowerCase();
  if (/^"?group"?,"?title"?,"?username"?,"?password"?/.test(header)) return 'keepassxc-csv';
  if (/^"?title"?,"?url"?,"?username"?,"?password"?/.test(header)) return '1password-csv';
  if (/^"?key"?,"?value"?/.test(header)) return 'infisical-csv';
  if (/(^|\n)\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(start)) return /["']?encrypted:/.test(text) ? 'dotenvx' : 'dotenv';
  return undefined;
}
