/**
 * The JSON secret downloads of Infisical and Doppler, which hold one environment's
 * variables: `infisical export --format json` (an array of `{key, value, type, comment?}`)
 * and `doppler secrets download --format json` (one object, NAME → value, with Doppler's
 * own DOPPLER_PROJECT/CONFIG/ENVIRONMENT added, which are skipped).
 */
import { z } from 'zod';
import { DOPPLER_OWN } from './csv';
import { malformed, parseJson, type ImportItem, type ParsedImport, type SkippedEntry } from './import-item';

const InfisicalSecret = z.object({ key: z.string(), value: z.string(), type: z.string().optional(), comment: z.string().nullish() });

export function parseInfisicalJson(text: string): ParsedImport {
  const json = parseJson('Infisical JSON', text);
  if (!Array.isArray(json)) throw malformed('Infisical JSON', 'it is not a list of secrets');
  const items = json.map((raw, i): ImportItem => {
    const r = InfisicalSecret.safeParse(raw);
    if (!r.success) throw malformed('Infisical JSON', `secret ${i + 1} has no text key and value`, { index: i + 1 });
    return { index: i + 1, title: r.data.key, fields: [{ label: '', value: r.data.value }], ...(r.data.comment ? { notes: r.data.comment } : {}) };
  });
  return { items, skipped: [], namesAreVariables: true };
}

export function parseDopplerJson(text: string): ParsedImport {
  const json = parseJson('Doppler JSON', text);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('Doppler JSON', 'it is not an object of NAME: value');
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  Object.entries(json).forEach(([name, value], i) => {
    if (typeof value !== 'string') throw malformed('Doppler JSON', `${name} is not text`, { index: i + 1 });
    if (DOPPLER_OWN.has(name)) return void skipped.push({ index: i + 1, title: name, why: "Doppler's own configuration name, not a secret" });
    items.push({ index: i + 1, title: name, fields: [{ label: '', value }] });
  });
  return { items, skipped, namesAreVariables: true };
}
