/**
 * Bitwarden's JSON exports: the plain one (`"encrypted": false`) and the password-protected
 * one (`"passwordProtected": true`), decrypted as Bitwarden's clients do
 * (bitwarden.com/help/encrypted-export, and its clients' `PinService`/`KeyService` code):
 * - key: PBKDF2-SHA256(password, salt as UTF-8, kdfIterations, 32), or for kdfType 1
 *   Argon2id(password, SHA-256(salt), kdfIterations, kdfMemory MiB, kdfParallelism, 32);
 * - stretched to an encryption key and a MAC key by HKDF-Expand-SHA256 (info "enc", "mac");
 * - every EncString is "2.iv|ciphertext|mac" (base64): HMAC-SHA256(mac key, iv‖ciphertext)
 *   checked first, then AES-256-CBC. `encKeyValidation_DO_NOT_EDIT` tells a wrong password
 *   from a damaged `data` field.
 * The account-key-encrypted export (`"encrypted": true` without a password) needs the
 * account's key and is refused.
 *
 * Logins give their password, TOTP seed and hidden custom fields as secrets (text fields
 * too: exports hold API keys in them); a secure note's text is its value; cards give their
 * number and code. Folders and collections become tags; passkeys and attachments are
 * listed as skipped. Items in the trash are not exported by Bitwarden.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { argon2id } from 'hash-wasm';
import { z } from 'zod';
import { TesseraError } from '../../src-shared/errors';
import { isRecord, malformed, parseJson, type ImportField, type ImportItem, type ParsedImport, type SkippedEntry } from './import-item';

const FORMAT = 'Bitwarden JSON';

const Field = z.object({ name: z.string().nullish(), value: z.string().nullish(), type: z.number().optional() });
const Item = z.object({
  type: z.number(),
  name: z.string().nullish(),
  notes: z.string().nullish(),
  folderId: z.string().nullish(),
  collectionIds: z.array(z.string()).nullish(),
  fields: z.array(Field).nullish(),
  login: z
    .object({
      username: z.string().nullish(),
      password: z.string().nullish(),
      totp: z.string().nullish(),
      uris: z.array(z.object({ uri: z.string().nullish() })).nullish(),
      fido2Credentials: z.array(z.unknown()).nullish(),
    })
    .nullish(),
  card: z.object({ number: z.string().nullish(), code: z.string().nullish() }).nullish(),
  attachments: z.array(z.object({ fileName: z.string().nullish() })).nullish(),
});
const Plain = z.object({
  encrypted: z.literal(false),
  folders: z.array(z.object({ id: z.string(), name: z.string() })).nullish(),
  collections: z.array(z.object({ id: z.string(), name: z.string() })).nullish(),
  items: z.array(z.unknown()),
});
const Protected = z.object({
  encrypted: z.literal(true),
  passwordProtected: z.literal(true),
  salt: z.string(),
  kdfType: z.union([z.literal(0), z.literal(1)]),
  kdfIterations: z.number().int().positive(),
  kdfMemory: z.number().int().positive().nullish(),
  kdfParallelism: z.number().int().positive().nullish(),
  encKeyValidation_DO_NOT_EDIT: z.string(),
  data: z.string(),
});

export type BitwardenKdf = z.infer<typeof Protected>;

/** Whether the text is a password-protected export (so the CLI knows to ask for one). */
export function isProtectedBitwarden(text: string): boolean {
  try {
    const j = JSON.parse(text) as unknown;
    return isRecord(j) && j.passwordProtected === true;
  } catch {
    return false;
  }
}

export async function parseBitwarden(text: string, password?: () => Promise<string>): Promise<ParsedImport> {
  const json = parseJson(FORMAT, text);
  if (isRecord(json) && json.encrypted === true) {
    const p = Protected.safeParse(json);
    if (!p.success) {
      if (json.passwordProtected !== true) throw malformed(FORMAT, 'this export is encrypted with the account key; export again with a file password');
      throw malformed(FORMAT, `the ${issueAt(p.error)} field is missing or wrong`);
    }
    if (!password) throw new TesseraError('INVALID_INPUT', 'This Bitwarden export is password-protected: give its password');
    const inner = await decryptProtected(p.data, await password());
    return readPlain(parseJson(FORMAT, inner));
  }
  return readPlain(json);
}

function readPlain(json: unknown): ParsedImport {
  const plain = Plain.safeParse(json);
  if (!plain.success) throw malformed(FORMAT, `the ${issueAt(plain.error)} field is missing or wrong`);
  const folders = new Map((plain.data.folders ?? []).map((f) => [f.id, f.name]));
  const collections = new Map((plain.data.collections ?? []).map((c) => [c.id, c.name]));
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  plain.data.items.forEach((raw, i) => {
    const index = i + 1;
    const r = Item.safeParse(raw);
    if (!r.success) throw malformed(FORMAT, `item ${index}: the ${issueAt(r.error)} field is wrong`, { index });
    const it = r.data;
    const title = it.name || `Item ${index}`;
    const fields: ImportField[] = [];
    const dropped: string[] = [];
    let notes = it.notes ?? '';
    if (it.type === 1 && it.login) {
      fields.push({ label: '', value: it.login.password ?? '' });
      if (it.login.totp) fields.push({ label: 'TOTP', value: it.login.totp });
      if ((it.login.fido2Credentials ?? []).length > 0) dropped.push('a passkey');
    } else if (it.type === 2) {
      // A secure note's text is the secret.
      fields.push({ label: '', value: notes });
      notes = '';
    } else if (it.type === 3 && it.card) {
      fields.push({ label: '', value: it.card.number ?? '' });
      if (it.card.code) fields.push({ label: 'CODE', value: it.card.code });
    } else if (it.type === 5) {
      skipped.push({ index, title, why: 'SSH keys are not imported' });
      return;
    }
    for (const f of it.fields ?? []) {
      if (f.type === 2 || f.type === 3) continue; // booleans and linked fields hold no secret
      fields.push({ label: f.name || 'FIELD', value: f.value ?? '' });
    }
    for (const a of it.attachments ?? []) dropped.push(`the attachment ${JSON.stringify(a.fileName ?? '')}`);
    if (fields.length === 0) {
      skipped.push({ index, title, why: 'it holds no password, note or hidden field' });
      return;
    }
    const groups = [it.folderId ? folders.get(it.folderId) : undefined, ...(it.collectionIds ?? []).map((c) => collections.get(c))].filter((g): g is string => !!g);
    const url = it.login?.uris?.find((u) => u.uri)?.uri ?? undefined;
    const username = it.login?.username ?? undefined;
    items.push({ index, title, fields, groups, dropped, ...(notes ? { notes } : {}), ...(url ? { url } : {}), ...(username ? { username } : {}) });
  });
  return { items, skipped };
}

/** A zod issue's path, which names fields and positions, never the value found there. */
function issueAt(error: z.ZodError): string {
  const path = error.issues[0]?.path ?? [];
  return path.length ? path.join('.') : 'top-level';
}

/** The 64 bytes (encryption key ‖ MAC key) a password-protected export is sealed with. */
export async function bitwardenKey(kdf: Pick<BitwardenKdf, 'salt' | 'kdfType' | 'kdfIterations' | 'kdfMemory' | 'kdfParallelism'>, password: string): Promise<{ enc: Buffer; mac: Buffer }> {
  let master: Buffer;
  if (kdf.kdfType === 0) {
    master = pbkdf2Sync(password, Buffer.from(kdf.salt, 'utf8'), kdf.kdfIterations, 32, 'sha256');
  } else {
    if (!kdf.kdfMemory || !kdf.kdfParallelism) throw malformed(FORMAT, 'Argon2 needs kdfMemory and kdfParallelism');
    master = Buffer.from(
      await argon2id({
        password,
        salt: createHash('sha256').update(kdf.salt, 'utf8').digest(),
        iterations: kdf.kdfIterations,
        memorySize: kdf.kdfMemory * 1024,
        parallelism: kdf.kdfParallelism,
        hashLength: 32,
        outputType: 'binary',
      }),
    );
  }
  // HKDF-Expand with one block: T(1) = HMAC(PRK, info ‖ 0x01), as Bitwarden's stretchKey does.
  const expand = (info: string) => createHmac('sha256', master).update(Buffer.concat([Buffer.from(info), Buffer.from([1])])).digest();
  return { enc: expand('enc'), mac: expand('mac') };
}

async function decryptProtected(p: BitwardenKdf, password: string): Promise<string> {
  const key = await bitwardenKey(p, password);
  const wrong = () => new TesseraError('IMPORT_WRONG_PASSWORD', 'The Bitwarden export did not open with that password: nothing imported', { format: 'bitwarden' });
  if (openEncString(p.encKeyValidation_DO_NOT_EDIT, key) === null) throw wrong();
  const data = openEncString(p.data, key);
  if (data === null) throw malformed(FORMAT, 'the encrypted data is damaged');
  return data;
}

/** An AES-256-CBC + HMAC-SHA256 EncString (type 2), or null when its MAC does not check out. */
function openEncString(s: string, key: { enc: Buffer; mac: Buffer }): string | null {
  const m = /^2\.([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m) throw malformed(FORMAT, 'an encrypted field is not a type 2 EncString');
  const [iv, ct, mac] = [m[1]!, m[2]!, m[3]!].map((b) => Buffer.from(b, 'base64')) as [Buffer, Buffer, Buffer];
  const want = createHmac('sha256', key.mac).update(Buffer.concat([iv, ct])).digest();
  if (iv.length !== 16 || mac.length !== want.length || !timingSafeEqual(mac, want)) return null;
  try {
    const d = createDecipheriv('aes-256-cbc', key.enc, iv);
    return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}
