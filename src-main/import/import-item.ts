/**
 * What every format's parser gives back: the file's entries in one shape, before any
 * Tessera naming rule is applied (mapping.ts does that). A parser never writes anything and
 * never puts a value in an error: a problem names the entry's position, at most its title.
 */
import { TesseraError } from '../../src-shared/errors';

/** One secret field of an entry: its password, its TOTP seed, a hidden custom field… */
export interface ImportField {
  /** Empty for the entry's main secret (its password, or the value of a key=value line). */
  readonly label: string;
  readonly value: string;
}

export interface ImportItem {
  /** 1-based position in the file (row, entry or line), for messages. */
  readonly index: number;
  /** The entry's title or variable name as the other tool shows it. */
  readonly title: string;
  readonly fields: readonly ImportField[];
  readonly notes?: string;
  readonly url?: string;
  readonly username?: string;
  /** Folders, collections, groups and tags: they become the secret's tags. */
  readonly groups?: readonly string[];
  /** Parts that Tessera does not carry (attachments, passkeys), said by kind and name, never content. */
  readonly dropped?: readonly string[];
}

/** What a file held that is not imported, and why; never a value. */
export interface SkippedEntry {
  readonly index: number;
  readonly title: string;
  readonly why: string;
}

export interface ParsedImport {
  readonly items: readonly ImportItem[];
  /** Whole entries the parser left out (no secret in them, in the trash, the format's own metadata). */
  readonly skipped: readonly SkippedEntry[];
  /** The titles are environment variables already (.env, dotenvx, Infisical, Doppler): kept as they are when valid. */
  readonly namesAreVariables?: boolean;
}

/** The file is not what `--from` says, or is damaged: nothing of it is imported. */
export function malformed(format: string, why: string, details: Record<string, unknown> = {}): TesseraError {
  return new TesseraError('IMPORT_MALFORMED', `Not a readable ${format} file: ${why}; nothing imported`, { format, ...details });
}

/** JSON.parse that turns a syntax error into IMPORT_MALFORMED; its message can quote the text, so it is dropped. */
export function parseJson(format: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(format, 'it is not valid JSON');
  }
}

/** A value of a known shape, or IMPORT_MALFORMED naming the entry. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
