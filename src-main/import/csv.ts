/**
 * CSV exports, read by csv-parse: KeePassXC's, 1Password's, Infisical's and Doppler's, and a
 * generic CSV with a column mapping (`--map name=Title,value=Password,description=Notes`).
 * A row whose column count differs from the header, or a quote left open, refuses the file;
 * csv-parse's own message can quote the text, so only the row number is said.
 */
import { parse } from 'csv-parse/sync';
import { TesseraError } from '../../src-shared/errors';
import { malformed, type ImportField, type ImportItem, type ParsedImport, type SkippedEntry } from './import-item';

function readRows(format: string, text: string): string[][] {
  try {
    return parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw malformed(format, line ? `the CSV breaks near line ${line}` : 'it is not valid CSV', line ? { line } : {});
  }
}

/** Rows as header → cell records; the header matched without regard to case and spaces. */
function readTable(format: string, text: string, required: readonly string[]): { rows: Map<string, string>[]; has: (c: string) => boolean } {
  const [header, ...rows] = readRows(format, text);
  if (!header) throw malformed(format, 'it is empty');
  const names = header.map(norm);
  for (const r of required) if (!names.includes(norm(r))) throw malformed(format, `it has no ${r} column`);
  return {
    rows: rows.map((cells) => new Map(names.map((n, i) => [n, cells[i] ?? '']))),
    has: (c) => names.includes(norm(c)),
  };
}

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
const cell = (row: Map<string, string>, ...names: string[]) => {
  for (const n of names) {
    const v = row.get(norm(n));
    if (v !== undefined && v !== '') return v;
  }
  return '';
};

function item(index: number, title: string, fields: ImportField[], extra: Partial<ImportItem>): ImportItem {
  const out: ImportItem = { index, title, fields };
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== undefined && !(Array.isArray(v) && v.length === 0)) Object.assign(out, { [k]: v });
  return out;
}

/** KeePassXC's CSV: "Group","Title","Username","Password","URL","Notes","TOTP",… (the group path's root level dropped). */
export function parseKeepassxcCsv(text: string): ParsedImport {
  const { rows } = readTable('KeePassXC CSV', text, ['Group', 'Title', 'Password']);
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  rows.forEach((r, i) => {
    const index = i + 1;
    const title = cell(r, 'Title') || `Row ${index}`;
    const groups = cell(r, 'Group').split('/').slice(1).filter(Boolean);
    if (groups[0] === 'Recycle Bin') return void skipped.push({ index, title, why: 'it is in the recycle bin' });
    const fields: ImportField[] = [{ label: '', value: cell(r, 'Password') }];
    const totp = cell(r, 'TOTP');
    if (totp) fields.push({ label: 'TOTP', value: totp });
    items.push(item(index, title, fields, { username: cell(r, 'Username'), url: cell(r, 'URL'), notes: cell(r, 'Notes'), groups }));
  });
  return { items, skipped };
}

/** 1Password 8's CSV: Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes. */
export function parseOnePasswordCsv(text: string): ParsedImport {
  const { rows } = readTable('1Password CSV', text, ['Title', 'Password']);
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  rows.forEach((r, i) => {
    const index = i + 1;
    const title = cell(r, 'Title') || `Row ${index}`;
    if (/^true$/i.test(cell(r, 'Archived'))) return void skipped.push({ index, title, why: 'it is archived' });
    const fields: ImportField[] = [{ label: '', value: cell(r, 'Password') }];
    const totp = cell(r, 'OTPAuth', 'One-time password');
    if (totp) fields.push({ label: 'TOTP', value: totp });
    const groups = cell(r, 'Tags').split(/[;,]/).map((t) => t.trim()).filter(Boolean);
    items.push(item(index, title, fields, { username: cell(r, 'Username'), url: cell(r, 'Url', 'Website'), notes: cell(r, 'Notes'), groups }));
  });
  return { items, skipped };
}

/** `infisical export --format csv`: Key,Value (a Comment column, if present, is the description). */
export function parseInfisicalCsv(text: string): ParsedImport {
  const { rows } = readTable('Infisical CSV', text, ['Key', 'Value']);
  return {
    items: rows.map((r, i) => item(i + 1, cell(r, 'Key') || `Row ${i + 1}`, [{ label: '', value: cell(r, 'Value') }], { notes: cell(r, 'Comment') })),
    skipped: [],
    namesAreVariables: true,
  };
}

/** The column mapping of a generic CSV: which header gives each Tessera field. */
export interface CsvMap {
  readonly name: string;
  readonly value: string;
  readonly description?: string;
  readonly tags?: string;
  readonly url?: string;
}

const MAP_KEYS = new Set(['name', 'value', 'description', 'tags', 'url']);

/** `name=Title,value=Password,description=Notes` → CsvMap; name and value are required. */
export function parseCsvMap(spec: string): CsvMap {
  const map: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, ...rest] = part.split('=');
    const key = (k ?? '').trim();
    const column = rest.join('=').trim();
    if (!MAP_KEYS.has(key) || column === '') throw new TesseraError('INVALID_INPUT', `--map takes name=COLUMN,value=COLUMN and optionally description=, tags=, url=; not ${JSON.stringify(part)}`);
    map[key] = column;
  }
  if (!map.name || !map.value) throw new TesseraError('INVALID_INPUT', '--map needs name=COLUMN and value=COLUMN');
  return map as unknown as CsvMap;
}

export function parseGenericCsv(text: string, map: CsvMap): ParsedImport {
  const wanted = [map.name, map.value, map.description, map.tags, map.url].filter((c): c is string => !!c);
  const { rows } = readTable('CSV', text, wanted);
  return {
    items: rows.map((r, i) =>
      item(i + 1, cell(r, map.name) || `Row ${i + 1}`, [{ label: '', value: cell(r, map.value) }], {
        notes: map.description ? cell(r, map.description) : '',
        url: map.url ? cell(r, map.url) : '',
        groups: map.tags ? cell(r, map.tags).split(/[;,]/).map((t) => t.trim()).filter(Boolean) : [],
      }),
    ),
    skipped: [],
  };
}

/** `doppler secrets download --format csv`: NAME,VALUE rows, with no header. */
export function parseDopplerCsv(text: string): ParsedImport {
  const rows = readRows('Doppler CSV', text);
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  rows.forEach((cells, i) => {
    if (cells.length !== 2) throw malformed('Doppler CSV', `row ${i + 1} is not NAME,VALUE`, { index: i + 1 });
    const [name, value] = cells as [string, string];
    if (DOPPLER_OWN.has(name)) return void skipped.push({ index: i + 1, title: name, why: "Doppler's own configuration name, not a secret" });
    items.push({ index: i + 1, title: name, fields: [{ label: '', value }] });
  });
  return { items, skipped, namesAreVariables: true };
}

/** Doppler adds these to every download; they name the project and config, they are not secrets. */
export const DOPPLER_OWN = new Set(['DOPPLER_PROJECT', 'DOPPLER_CONFIG', 'DOPPLER_ENVIRONMENT']);
