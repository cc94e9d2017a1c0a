/**
 * Import fixtures made the way the other tools make them: KDBX 4 databases written by
 * kdbxweb, dotenvx files written by @dotenvx/dotenvx, Bitwarden password-protected exports
 * sealed with Bitwarden's documented key derivation (written here from its help page and
 * client code, apart from the importer's own), 1PUX zips packed by fflate. Unit tests use
 * small KDF costs; the bench passes real ones.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { argon2id } from 'hash-wasm';
import * as kdbxweb from 'kdbxweb';
import { useArgon2 } from '../../src-main/import/kdbx';
import { isTesseraError } from '../../src-shared/errors';

export interface KdbxFixtureEntry {
  title: string;
  password?: string;
  username?: string;
  url?: string;
  notes?: string;
  /** Custom fields: protected ones as KeePassXC marks them. */
  fields?: Record<string, { value: string; protected?: boolean }>;
  tags?: string[];
  /** Group path below the root. */
  group?: string[];
  attachments?: Record<string, string>;
  inRecycleBin?: boolean;
}

/** Argon2id cost of a KDBX fixture: memory in bytes, iterations, lanes. */
export interface KdbxCost {
  memory: number;
  iterations: number;
  parallelism: number;
}

export const FAST_KDBX: KdbxCost = { memory: 64 * 1024, iterations: 1, parallelism: 1 };

export async function writeKdbx(entries: readonly KdbxFixtureEntry[], password: string, cost: KdbxCost = FAST_KDBX): Promise<Uint8Array> {
  useArgon2();
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(password)), 'Fixture');
  db.setVersion(4);
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  const params = db.header.kdfParameters!;
  params.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(cost.memory));
  params.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(cost.iterations));
  params.set('P', kdbxweb.VarDictionary.ValueType.UInt32, cost.parallelism);
  db.createRecycleBin();
  const root = db.getDefaultGroup();
  const groups = new Map<string, kdbxweb.KdbxGroup>();
  const groupAt = (path: readonly string[]): kdbxweb.KdbxGroup => {
    let g = root;
    for (let i = 0; i < path.length; i++) {
      const key = path.slice(0, i + 1).join('/');
      let next = groups.get(key);
      if (!next) groups.set(key, (next = db.createGroup(g, path[i]!)));
      g = next;
    }
    return g;
  };
  for (const e of entries) {
    const parent = e.inRecycleBin ? db.getGroup(db.meta.recycleBinUuid!)! : groupAt(e.group ?? []);
    const entry = db.createEntry(parent);
    entry.fields.set('Title', e.title);
    entry.fields.set('Password', kdbxweb.ProtectedValue.fromString(e.password ?? ''));
    if (e.username) entry.fields.set('UserName', e.username);
    if (e.url) entry.fields.set('URL', e.url);
    if (e.notes) entry.fields.set('Notes', e.notes);
    for (const [k, f] of Object.entries(e.fields ?? {})) entry.fields.set(k, f.protected ? kdbxweb.ProtectedValue.fromString(f.value) : f.value);
    if (e.tags) entry.tags = e.tags;
    for (const [name, content] of Object.entries(e.attachments ?? {})) entry.binaries.set(name, await db.createBinary(kdbxweb.ProtectedValue.fromString(content)));
  }
  return new Uint8Array(await db.save());
}

export interface BitwardenKdfFixture {
  kdfType: 0 | 1;
  kdfIterations: number;
  kdfMemory?: number;
  kdfParallelism?: number;
}

export const FAST_PBKDF2: BitwardenKdfFixture = { kdfType: 0, kdfIterations: 1000 };
export const FAST_ARGON2: BitwardenKdfFixture = { kdfType: 1, kdfIterations: 1, kdfMemory: 1, kdfParallelism: 1 };

/** Bitwarden's "password protected" export of `plain` (the unencrypted export's JSON text). */
export async function writeBitwardenProtected(plain: string, password: string, kdf: BitwardenKdfFixture = FAST_PBKDF2): Promise<string> {
  const salt = randomBytes(16).toString('base64');
  const master =
    kdf.kdfType === 0
      ? pbkdf2Sync(password, Buffer.from(salt, 'utf8'), kdf.kdfIterations, 32, 'sha256')
      : Buffer.from(
          await argon2id({
            password,
            salt: createHash('sha256').update(salt).digest(),
            iterations: kdf.kdfIterations,
            memorySize: kdf.kdfMemory! * 1024,
            parallelism: kdf.kdfParallelism!,
            hashLength: 32,
            outputType: 'binary',
          }),
        );
  const encKey = createHmac('sha256', master).update(Buffer.from('enc\x01', 'latin1')).digest();
  const macKey = createHmac('sha256', master).update(Buffer.from('mac\x01', 'latin1')).digest();
  const seal = (text: string): string => {
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-cbc', encKey, iv);
    const ct = Buffer.concat([c.update(text, 'utf8'), c.final()]);
    const mac = createHmac('sha256', macKey).update(Buffer.concat([iv, ct])).digest();
    return `2.${iv.toString('base64')}|${ct.toString('base64')}|${mac.toString('base64')}`;
  };
  return JSON.stringify({
    encrypted: true,
    passwordProtected: true,
    salt,
    kdfType: kdf.kdfType,
    kdfIterations: kdf.kdfIterations,
    ...(kdf.kdfType === 1 ? { kdfMemory: kdf.kdfMemory, kdfParallelism: kdf.kdfParallelism } : {}),
    encKeyValidation_DO_NOT_EDIT: seal(randomBytes(16).toString('hex')),
    data: seal(plain),
  });
}

/** A dotenvx-encrypted file written by dotenvx itself, with its .env.keys beside it. */
export async function writeDotenvx(dir: string, file: string, values: Record<string, string>): Promise<{ path: string; keysPath: string }> {
  const { default: dotenvx } = (await import('@dotenvx/dotenvx')) as unknown as { default: typeof import('@dotenvx/dotenvx') };
  const path = join(dir, file);
  const keysPath = join(dir, '.env.keys');
  for (const [k, v] of Object.entries(values)) {
    const r = await dotenvx.set(k, v, { path, envKeysFile: keysPath, quiet: true } as Parameters<typeof dotenvx.set>[2]);
    const failed = r.processedEnvs.find((e) => e.error);
    if (failed) throw failed.error;
  }
  return { path, keysPath };
}

/** A 1PUX archive holding `data` as export.data (and the attributes file 1Password writes). */
export function writeOnePux(data: unknown, files: Record<string, string> = {}): Uint8Array {
  return zipSync({
    'export.attributes': strToU8(JSON.stringify({ version: 3, description: '1Password Unencrypted Export', createdAt: 1700000000 })),
    'export.data': strToU8(JSON.stringify(data)),
    ...Object.fromEntries(Object.entries(files).map(([name, content]) => [`files/${name}`, strToU8(content)])),
  });
}

/** The code and message of the TesseraError a parse refuses with (and a failure if it does not). */
export async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!isTesseraError(e)) throw new Error(`expected a TesseraError, got ${String(e)}`);
  return { code: e.code, message: e.message };
}
