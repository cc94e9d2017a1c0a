/**
 * KeePass / KeePassXC databases (KDBX 3.1 and 4), read by kdbxweb with Argon2 from
 * hash-wasm (WebAssembly, inlined in the package, so it bundles with the CLI). The database
 * is decrypted in memory; nothing of it is written anywhere.
 *
 * Entries in the recycle bin are skipped. The group path below the root becomes tags, with
 * the entry's own tags. Password, TOTP (`otp`, `TOTP Seed`) and every custom field become
 * secrets; KeePassXC's passkey attributes (`KPEX_PASSKEY_*`) and attachments are listed as
 * skipped; `KP2A_URL*` and the TOTP settings field are not secrets and are left out.
 */
import { argon2d, argon2id } from 'hash-wasm';
import * as kdbxweb from 'kdbxweb';
import { TesseraError } from '../../src-shared/errors';
import { malformed, type ImportField, type ImportItem, type ParsedImport, type SkippedEntry } from './import-item';

const STANDARD = new Set(['Title', 'UserName', 'Password', 'URL', 'Notes']);
const NOT_SECRETS = /^(?:KP2A_URL(?:_\d+)?|TOTP Settings|_etm_.*)$/;
const PASSKEY = /^KPEX_PASSKEY_/;
const TOTP_FIELDS = new Set(['otp', 'TOTP Seed']);

let argon2Ready = false;
/** kdbxweb ships no Argon2: it asks for one, with memory in KiB. */
export function useArgon2(): void {
  if (argon2Ready) return;
  kdbxweb.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type, version) => {
    // hash-wasm computes Argon2 version 1.3 (0x13), what KeePass and KeePassXC write.
    if (version !== 0x13) throw new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.Unsupported, 'argon2 version');
    const params = {
      password: new Uint8Array(password),
      salt: new Uint8Array(salt),
      memorySize: memory,
      iterations,
      hashLength: length,
      parallelism,
      outputType: 'binary' as const,
    };
    const out = type === kdbxweb.CryptoEngine.Argon2TypeArgon2id ? await argon2id(params) : await argon2d(params);
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
  });
  argon2Ready = true;
}

export async function openKdbx(bytes: Uint8Array, password: string): Promise<kdbxweb.Kdbx> {
  useArgon2();
  const credentials = new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(password));
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    return await kdbxweb.Kdbx.load(data, credentials);
  } catch (e) {
    if (e instanceof kdbxweb.KdbxError && e.code === kdbxweb.Consts.ErrorCodes.InvalidKey) {
      throw new TesseraError('IMPORT_WRONG_PASSWORD', 'The KeePass database did not open with that password: nothing imported', { format: 'kdbx' });
    }
    if (e instanceof kdbxweb.KdbxError && e.code === kdbxweb.Consts.ErrorCodes.Unsupported) throw malformed('KeePass', 'it uses a feature kdbxweb does not read');
    // Truncation, a flipped byte and a file that is not KDBX at all fail here in many ways.
    throw malformed('KeePass', 'the database is damaged or not a KDBX file');
  }
}

export async function parseKdbx(bytes: Uint8Array, password: string): Promise<ParsedImport> {
  const db = await openKdbx(bytes, password);
  const bin = db.meta.recycleBinUuid?.id;
  const root = db.getDefaultGroup();
  const items: ImportItem[] = [];
  const skipped: SkippedEntry[] = [];
  let index = 0;
  const walk = (group: kdbxweb.KdbxGroup, path: string[], inBin: boolean): void => {
    for (const entry of group.entries) {
      index++;
      const title = text(entry.fields.get('Title')) || `Entry ${index}`;
      if (inBin) {
        skipped.push({ index, title, why: 'it is in the recycle bin' });
        continue;
      }
      items.push(itemOf(entry, index, title, path));
    }
    for (const g of group.groups) {
      const gBin = inBin || (bin !== undefined && g.uuid.id === bin);
      walk(g, [...path, g.name ?? ''], gBin);
    }
  };
  walk(root, [], false);
  return { items, skipped };
}

function itemOf(entry: kdbxweb.KdbxEntry, index: number, title: string, path: string[]): ImportItem {
  const fields: ImportField[] = [{ label: '', value: text(entry.fields.get('Password')) }];
  const dropped: string[] = [];
  let passkey = false;
  for (const [name, v] of entry.fields) {
    if (STANDARD.has(name) || NOT_SECRETS.test(name)) continue;
    if (PASSKEY.test(name)) {
      passkey = true;
      continue;
    }
    fields.push({ label: TOTP_FIELDS.has(name) ? 'TOTP' : name, value: text(v) });
  }
  if (passkey) dropped.push('a passkey');
  for (const name of entry.binaries.keys()) dropped.push(`the attachment ${JSON.stringify(name)}`);
  const username = text(entry.fields.get('UserName'));
  const notes = text(entry.fields.get('Notes'));
  const url = text(entry.fields.get('URL'));
  return {
    index,
    title,
    fields,
    ...(username ? { username } : {}),
    ...(notes ? { notes } : {}),
    ...(url ? { url } : {}),
    groups: [...path.filter((p) => p !== ''), ...entry.tags],
    dropped,
  };
}

function text(v: kdbxweb.KdbxEntryField | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : v.getText();
}
