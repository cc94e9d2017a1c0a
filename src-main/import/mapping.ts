/**
 * How another tool's entries become Tessera secrets (README "Importing from other secret
 * managers" says the same to users):
 * - name: the title (for a field other than the main one, title + _ + field label), made an
 *   environment-variable name: upper-cased, accents dropped, every run of other characters
 *   `_`, a leading digit prefixed with `_`, cut to 128 (variables from .env, dotenvx,
 *   Infisical and Doppler files keep their names as they are); when
 *   that changed the title, the description starts `Imported from "Title"`. A name taken
 *   by an earlier entry gets `_2`, `_3`…
 * - value: the field's value; description: that line, `Username: …`, then the notes;
 *   tags: folders, collections, groups and tags; service: the URL.
 * - an entry with several secret fields (password, TOTP seed, hidden fields) becomes one
 *   secret per field; attachments and passkeys are listed as skipped, and so are empty
 *   values and values past the 256 KiB a value may hold.
 */
import { MAX_NAME_LENGTH, isValidSecretName } from '../../src-shared/vault/names';
import type { ImportItem, ParsedImport, SkippedEntry } from './import-item';

/** The bound on one value, as for `tessera set` from stdin and the desktop app. */
export const MAX_IMPORTED_VALUE_BYTES = 256 * 1024;

export interface MappedSecret {
  readonly key: string;
  readonly value: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly service: string;
  /** The entry it came from (1-based), for the preview. */
  readonly index: number;
}

export interface MappedImport {
  readonly secrets: readonly MappedSecret[];
  readonly skipped: readonly SkippedEntry[];
}

const CONVENTIONAL = /^[A-Z_][A-Z0-9_]*$/;

/** An environment-variable name for a title, upper-cased; the title itself when it already is one. */
export function envVarName(title: string): string {
  if (title.length <= MAX_NAME_LENGTH && CONVENTIONAL.test(title)) return title;
  let name = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é → e, not _
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  if (name === '') name = 'IMPORTED';
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return name.slice(0, MAX_NAME_LENGTH).replace(/_+$/, '');
}

function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
}

export function mapImport(parsed: ParsedImport): MappedImport {
  const secrets: MappedSecret[] = [];
  const skipped: SkippedEntry[] = [...parsed.skipped];
  const taken = new Set<string>();
  for (const item of parsed.items) {
    for (const part of item.dropped ?? []) skipped.push({ index: item.index, title: item.title, why: `${part} is not imported` });
    for (const field of item.fields) {
      const original = field.label === '' ? item.title : `${item.title} ${field.label}`;
      const what = field.label === '' ? item.title : `${item.title} (${field.label})`;
      if (field.value === '') {
        skipped.push({ index: item.index, title: what, why: 'the value is empty' });
        continue;
      }
      if (Buffer.byteLength(field.value, 'utf8') > MAX_IMPORTED_VALUE_BYTES) {
        skipped.push({ index: item.index, title: what, why: 'the value is larger than 256 KiB' });
        continue;
      }
      // Variables from .env-like sources keep their names (lower case too); titles are upper-cased.
      const asIs = parsed.namesAreVariables && field.label === '' && isValidSecretName(item.title);
      const base = asIs ? item.title : field.label === '' ? envVarName(item.title) : withSuffix(envVarName(item.title), `_${envVarName(field.label).replace(/^_/, '')}`);
      let key = base;
      for (let n = 2; taken.has(key); n++) key = withSuffix(base, `_${n}`);
      taken.add(key);
      secrets.push({ key, value: field.value, description: describe(item, original, key), tags: tagsOf(item), service: item.url ?? '', index: item.index });
    }
  }
  // In file order, as the user would look for them in the other tool.
  return { secrets, skipped: skipped.sort((a, b) => a.index - b.index) };
}

function describe(item: ImportItem, original: string, key: string): string {
  const lines: string[] = [];
  if (original !== key) lines.push(`Imported from ${JSON.stringify(original)}`);
  if (item.username) lines.push(`Username: ${item.username}`);
  if (item.notes) lines.push(item.notes);
  return lines.join('\n');
}

function tagsOf(item: ImportItem): string[] {
  const out: string[] = [];
  for (const g of item.groups ?? []) {
    const t = g.trim();
    if (t !== '' && !out.includes(t)) out.push(t);
  }
  return out;
}
