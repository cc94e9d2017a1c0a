/**
 * 1Password's 1PUX export: a zip (read in memory with fflate, never unpacked to disk)
 * holding `export.data`, JSON of accounts → vaults → items (support.1password.com/1pux-format).
 * Per item: `overview` (title, url, tags) and `details` (loginFields, notesPlain,
 * sections of fields whose value is `{concealed}`, `{totp}`, `{string}`…, documentAttributes).
 * Login passwords, concealed fields and TOTP become secrets; other section fields are not
 * secrets and are left out; a password item's `details.password` is its value; a secure
 * note's text is its value. Vault names and tags become tags. Documents (files) and passkeys
 * are listed as skipped, and so are archived and trashed items.
 */
import { strFromU8, unzipSync } from 'fflate';
import { z } from 'zod';
import { malformed, parseJson, type ImportField, type ImportItem, type ParsedImport, type SkippedEntry } from './import-item';

const FORMAT = '1PUX';
const MAX_EXPORT_DATA_BYTES = 64 * 1024 * 1024;
const Value = z.record(z.string(), z.unknown());
const Field = z.object({ title: z.string().nullish(), id: z.string().nullish(), value: Value.nullish() });
const Item = z.object({
  state: z.string().nullish(),
  categoryUuid: z.string().nullish(),
  overview: z.object({ title: z.string().nullish(), url: z.string().nullish(), tags: z.array(z.string()).nullish() }).loose(),
  details: z
    .object({
      loginFields: z.array(z.object({ value: z.string().nullish(), designation: z.string().nullish(), fieldType: z.string().nullish(), name: z.string().nullish() })).nullish(),
      notesPlain: z.string().nullish(),
      password: z.string().nullish(),
      sections: z.array(z.object({ title: z.string().nullish(), fields: z.array(Field).nullish() })).nullish(),
      documentAttributes: z.object({ fileName: z.string().nullish() }).nullish(),
      passkey: z.unknown().optional(),
    })
    .loose(),
});
const Export = z.object({
  accounts: z.array(z.object({ vaults: z.array(z.object({ attrs: z.object({ name: z.string().nullish() }).loose(), items: z.array(z.unknown()) })) })),
});

const SECURE_NOTE = '003';

export function parseOnePux(bytes: Uint8Array): ParsedImport {
  let data: Uint8Array | undefined;
  let tooBig = false;
  try {
    data = unzipSync(bytes, {
      // A 16 MiB zip can inflate to gigabytes: the size its directory declares is checked first.
      filter: (f) => f.name === 'export.data' && !(tooBig = f.originalSize > MAX_EXPORT_DATA_BYTES),
    })['export.data'];
  } catch {
    throw malformed(FORMAT, 'it is not a readable zip archive');
  }
  if (tooBig) throw malformed(FORMAT, `export.data would unpack to more than ${MAX_EXPORT_DATA_BYTES / 1024 / 1024} MiB`);
  if (!data) throw malformed(FORMAT, 'the archive has no export.data');
  const parsed = Export.safeParse(parseJson(FORMAT, strFromU8(data)));
  if (!parsed.success) throw malformed(FORMAT, 'export.data is not accounts → vaults → items');
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  let index = 0;
  for (const account of parsed.data.accounts) {
    for (const vault of account.vaults) {
      for (const raw of vault.items) {
        index++;
        const r = Item.safeParse(raw);
        if (!r.success) throw malformed(FORMAT, `item ${index} is not a 1PUX item`, { index });
        const it = r.data;
        const title = it.overview.title || `Item ${index}`;
        if (it.state && it.state !== 'active') {
          skipped.push({ index, title, why: `it is ${it.state}` });
          continue;
        }
        const fields: ImportField[] = [];
        const dropped: string[] = [];
        let notes = it.details.notesPlain ?? '';
        const password = it.details.loginFields?.find((f) => f.designation === 'password')?.value ?? it.details.password;
        if (password !== undefined && password !== null) fields.push({ label: '', value: password });
        else if (it.categoryUuid === SECURE_NOTE) {
          fields.push({ label: '', value: notes });
          notes = '';
        }
        for (const section of it.details.sections ?? []) {
          for (const f of section.fields ?? []) {
            const v = f.value ?? {};
            const label = f.title || f.id || 'FIELD';
            if (typeof v.concealed === 'string') fields.push({ label, value: v.concealed });
            else if (typeof v.totp === 'string') fields.push({ label: 'TOTP', value: v.totp });
            else if ('passkey' in v) dropped.push('a passkey');
          }
        }
        if (it.details.passkey !== undefined) dropped.push('a passkey');
        if (it.details.documentAttributes) dropped.push(`the document ${JSON.stringify(it.details.documentAttributes.fileName ?? '')}`);
        if (fields.length === 0) {
          skipped.push({ index, title, why: dropped.length ? `${dropped.join(', ')} is not imported` : 'it holds no password, note or concealed field' });
          continue;
        }
        const username = it.details.loginFields?.find((f) => f.designation === 'username')?.value ?? '';
        const groups = [vault.attrs.name ?? '', ...(it.overview.tags ?? [])].filter(Boolean);
        const url = it.overview.url ?? '';
        items.push({ index, title, fields, groups, dropped, ...(notes ? { notes } : {}), ...(url ? { url } : {}), ...(username ? { username } : {}) });
      }
    }
  }
  return { items, skipped };
}
