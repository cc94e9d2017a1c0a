/**
 * The device key wrapped with a passphrase, for machines without an OS keychain and for
 * recovery. scrypt (RFC 7914) turns the passphrase and a random salt into a 32-byte key, and
 * secretbox (XSalsa20-Poly1305) seals the device key under it. The scrypt parameters travel
 * beside the salt so that they can be raised later without breaking existing wraps; they are
 * not authenticated on their own, but changing any of them changes the derived key, so a
 * tampered wrap fails the MAC like a wrong passphrase does.
 */
import { scrypt } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { assertBytes, fromBase64Url, toBase64Url, utf8, wipe } from '../../src-shared/crypto/bytes';
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES } from '../../src-shared/crypto/suite';
import { TesseraError, type ErrorCode } from '../../src-shared/errors';
import { nodeSuite } from '../../src-node/crypto/node-suite';

export type ScryptParams = { N: number; r: number; p: number };

/** JSON-serializable; the byte fields are base64url without padding. */
export type PassphraseWrap = {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  nonce: string;
  sealed: string;
};

/**
 * OWASP's first scrypt row (N=2^17, r=8, p=1: 128 MiB). The other rows of that table trade
 * memory for time, and memory is what costs an attacker with GPUs, so it is also the floor.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

const SALT_BYTES = 32;
const MIN_N = 2 ** 14;
const MAX_N = 2 ** 22;
const MAX_R = 32;
const MAX_P = 16;
// A wrap read from disk must not be able to make us allocate without bound: 4 GiB still
// allows every N in range at the usual r = 8.
const MAX_SCRYPT_MEMORY = 4 * 2 ** 30;
// Far beyond any passphrase; stops a mistyped path (say /dev/zero) from reading forever.
const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

export type WrapOptions = {
  /** Accept parameters below DEFAULT_SCRYPT. Only for tests that must run fast. */
  allowWeak?: boolean;
};

function scryptMemory({ N, r }: ScryptParams): number {
  return 128 * N * r;
}

function checkParams(params: ScryptParams, code: ErrorCode): void {
  const { N, r, p } = params;
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (!isInt(N) || N < MIN_N || N > MAX_N || (N & (N - 1)) !== 0) {
    throw new TesseraError(code, `scrypt N must be a power of two from 2^14 to 2^22`);
  }
  if (!isInt(r) || r < 1 || r > MAX_R) throw new TesseraError(code, `scrypt r must be an integer from 1 to ${MAX_R}`);
  if (!isInt(p) || p < 1 || p > MAX_P) throw new TesseraError(code, `scrypt p must be an integer from 1 to ${MAX_P}`);
  if (scryptMemory(params) > MAX_SCRYPT_MEMORY) {
    throw new TesseraError(code, 'scrypt parameters need more than 4 GiB of memory (128·N·r)');
  }
}

function checkPassphrase(passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new TesseraError('INVALID_INPUT', 'The passphrase must not be empty');
  }
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams, failCode: ErrorCode): Promise<Uint8Array> {
  // The same passphrase can reach us as different code points: macOS keyboards send a
  // decomposed "é" where Windows sends a composed one, and IMEs may type full-width digits.
  // NFKC maps each of these to one form, so a passphrase set on one machine opens on another.
  const secret = Buffer.from(passphrase.normalize('NFKC'), 'utf8');
  const { N, r, p } = params;
  return new Promise((resolve, reject) => {
    // Node refuses to run scrypt above `maxmem` (32 MiB by default); allow twice the need.
    scrypt(secret, salt, KEY_BYTES, { N, r, p, maxmem: 2 * scryptMemory(params) }, (err, key) => {
      wipe(secret);
      if (err) reject(new TesseraError(failCode, `scrypt could not run with N=${N}, r=${r}, p=${p}: ${err.message}`));
      else resolve(key);
    });
  });
}

/**
 * Seals the 32-byte device key under a key derived from `passphrase`. Throws INVALID_INPUT
 * for an empty passphrase, out-of-range parameters, or parameters below DEFAULT_SCRYPT
 * unless `allowWeak` is set; MALFORMED for a device key that is not 32 bytes.
 */
export async function wrapDeviceKey(
  deviceKey: Uint8Array,
  passphrase: string,
  params: Readonly<ScryptParams> = DEFAULT_SCRYPT,
  options: WrapOptions = {},
): Promise<PassphraseWrap> {
  assertBytes(deviceKey, KEY_BYTES, 'device key');
  checkPassphrase(passphrase);
  const { N, r, p } = params;
  checkParams({ N, r, p }, 'INVALID_INPUT');
  if (!options.allowWeak && (N < DEFAULT_SCRYPT.N || r < DEFAULT_SCRYPT.r)) {
    throw new TesseraError(
      'INVALID_INPUT',
      `scrypt parameters N=${N}, r=${r} are below the OWASP minimum (N=2^17, r=8, p=1)`,
    );
  }
  const salt = nodeSuite.randomBytes(SALT_BYTES);
  const nonce = nodeSuite.randomBytes(NONCE_BYTES);
  const kek = await deriveKey(passphrase, salt, { N, r, p }, 'INVALID_INPUT');
  try {
    const sealed = nodeSuite.secretbox.seal(deviceKey, nonce, kek);
    return { kdf: 'scrypt', N, r, p, salt: toBase64Url(salt), nonce: toBase64Url(nonce), sealed: toBase64Url(sealed) };
  } finally {
    wipe(kek);
  }
}

function decodeField(value: unknown, length: number, name: string): Uint8Array {
  if (typeof value !== 'string') throw new TesseraError('MALFORMED', `Passphrase wrap: ${name} must be a string`);
  const bytes = fromBase64Url(value);
  // Exactly one spelling per value, so that no two different files open to the same key.
  if (bytes.length !== length || toBase64Url(bytes) !== value) {
    throw new TesseraError('MALFORMED', `Passphrase wrap: ${name} must be ${length} bytes in base64url`);
  }
  return bytes;
}

type ParsedWrap = { params: ScryptParams; salt: Uint8Array; nonce: Uint8Array; sealed: Uint8Array };

function parseWrap(value: unknown): ParsedWrap {
  if (typeof value !== 'object' || value === null) throw new TesseraError('MALFORMED', 'Passphrase wrap: expected an object');
  const w = value as Record<string, unknown>;
  if (w.kdf !== 'scrypt') throw new TesseraError('MALFORMED', 'Passphrase wrap: kdf must be "scrypt"');
  const params = { N: w.N as number, r: w.r as number, p: w.p as number };
  checkParams(params, 'MALFORMED');
  return {
    params,
    salt: decodeField(w.salt, SALT_BYTES, 'salt'),
    nonce: decodeField(w.nonce, NONCE_BYTES, 'nonce'),
    sealed: decodeField(w.sealed, KEY_BYTES + MAC_BYTES, 'sealed'),
  };
}

/** Throws MALFORMED unless `value` is a well-formed PassphraseWrap (it usually comes from a file). */
export function assertPassphraseWrap(value: unknown): asserts value is PassphraseWrap {
  parseWrap(value);
}

/**
 * Opens a wrap made by wrapDeviceKey. Throws BAD_PASSPHRASE when the MAC fails (wrong
 * passphrase, or the wrap was altered), MALFORMED for a wrap that does not parse,
 * INVALID_INPUT for an empty passphrase. Weak parameters are accepted here, so that
 * an old wrap can still be opened and then re-wrapped at today's strength.
 */
export async function unwrapDeviceKey(wrap: Readonly<PassphraseWrap>, passphrase: string): Promise<Uint8Array> {
  const { params, salt, nonce, sealed } = parseWrap(wrap);
  checkPassphrase(passphrase);
  const kek = await deriveKey(passphrase, salt, params, 'MALFORMED');
  try {
    const deviceKey = nodeSuite.secretbox.open(sealed, nonce, kek);
    if (!deviceKey) throw new TesseraError('BAD_PASSPHRASE', 'Wrong passphrase (or the passphrase wrap was altered)');
    return deviceKey;
  } finally {
    wipe(kek);
  }
}

export type PassphraseFile = {
  passphrase: string;
  /** Set when other users can read the file; the caller shows it and carries on. */
  warning: string | null;
};

/**
 * Reads the passphrase named by TESSERA_PASSPHRASE_FILE. Strips one trailing newline
 * (\n or \r\n: editors and `echo` add one, nobody means it) and a UTF-8 byte-order mark.
 * Throws IO when the file cannot be read, INVALID_INPUT when it is empty, too large or not UTF-8.
 */
export async function readPassphraseFile(path: string): Promise<PassphraseFile> {
  let raw: Uint8Array;
  let warning: string | null = null;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    // Checked on the open handle, so the warning is about the file actually read.
    const stat = await handle.stat();
    // Pipes (`TESSERA_PASSPHRASE_FILE=<(pass show tessera)`) have no meaningful mode.
    if (process.platform !== 'win32' && stat.isFile() && (stat.mode & 0o044) !== 0) {
      const mode = (stat.mode & 0o777).toString(8);
      warning = `The passphrase file ${path} can be read by other users (mode ${mode}); restrict it with: chmod 600 ${path}`;
    }
    raw = await readAtMost(handle, MAX_PASSPHRASE_FILE_BYTES + 1);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new TesseraError('IO', `Cannot read the passphrase file ${path} (${code})`);
  } finally {
    await handle?.close();
  }
  try {
    if (raw.length > MAX_PASSPHRASE_FILE_BYTES) {
      throw new TesseraError('INVALID_INPUT', `The passphrase file ${path} is larger than ${MAX_PASSPHRASE_FILE_BYTES} bytes`);
    }
    let text: string;
    try {
      // The decoder also drops a leading byte-order mark, which some Windows editors write.
      text = utf8.decode(raw);
    } catch {
      throw new TesseraError('INVALID_INPUT', `The passphrase file ${path} is not UTF-8 text`);
    }
    const passphrase = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
    if (passphrase.length === 0) throw new TesseraError('INVALID_INPUT', `The passphrase file ${path} is empty`);
    return { passphrase, warning };
  } finally {
    wipe(raw);
  }
}

async function readAtMost(handle: FileHandle, limit: number): Promise<Uint8Array> {
  const buf = new Uint8Array(limit);
  let n = 0;
  while (n < limit) {
    const { bytesRead } = await handle.read(buf, n, limit - n, null);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  const out = buf.slice(0, n);
  wipe(buf);
  return out;
}
