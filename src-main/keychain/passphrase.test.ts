import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, toHex } from '../../src-shared/crypto/bytes';
import { isTesseraError, type ErrorCode, type TesseraError } from '../../src-shared/errors';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import {
  DEFAULT_SCRYPT,
  assertPassphraseWrap,
  readPassphraseFile,
  unwrapDeviceKey,
  wrapDeviceKey,
  type PassphraseWrap,
} from './passphrase';

// 2^14 costs about 1/8 of the default; only the full-strength test pays for the real thing.
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const WEAK_OK = { allowWeak: true };
const PASSPHRASE = 'correct horse battery staple §42';

async function failure(p: Promise<unknown>): Promise<TesseraError> {
  try {
    await p;
  } catch (e) {
    if (isTesseraError(e)) return e;
    throw e;
  }
  throw new Error('expected a TesseraError, got a result');
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode> {
  return (await failure(p)).code;
}

function flipBit(field: string, byte: number, bit: number): string {
  const b = fromBase64Url(field);
  b[byte % b.length]! ^= 1 << bit;
  return toBase64Url(b);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes, spelled with the unused low bits of the last character set (which the decoder refuses). */
function nonCanonical(field: string): string {
  const last = B64URL.indexOf(field.at(-1)!);
  const spelled = field.slice(0, -1) + B64URL[last | 1];
  expect(() => fromBase64Url(spelled)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  return spelled;
}

describe('wrapDeviceKey / unwrapDeviceKey', () => {
  const deviceKey = nodeSuite.randomBytes(32);
  let wrap: PassphraseWrap;
  beforeAll(async () => {
    wrap = await wrapDeviceKey(deviceKey, PASSPHRASE, FAST, WEAK_OK);
  });

  it('round-trips at full (OWASP) strength through JSON', { timeout: 60_000 }, async () => {
    const full = await wrapDeviceKey(deviceKey, PASSPHRASE);
    expect(full).toMatchObject({ kdf: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    const stored = JSON.parse(JSON.stringify(full)) as PassphraseWrap;
    expect(await unwrapDeviceKey(stored, PASSPHRASE)).toEqual(deviceKey);
  });

  it('persists the parameters it used, with fresh salt and nonce of the right sizes', async () => {
    const params = { N: 2 ** 15, r: 8, p: 2 };
    const a = await wrapDeviceKey(deviceKey, PASSPHRASE, params, WEAK_OK);
    const b = await wrapDeviceKey(deviceKey, PASSPHRASE, params, WEAK_OK);
    expect(a).toMatchObject({ kdf: 'scrypt', ...params });
    expect(Object.keys(a).sort()).toEqual(['N', 'kdf', 'nonce', 'p', 'r', 'salt', 'sealed']);
    expect(fromBase64Url(a.salt)).toHaveLength(32);
    expect(fromBase64Url(a.nonce)).toHaveLength(24);
    expect(fromBase64Url(a.sealed)).toHaveLength(48);
    expect(a.salt).not.toBe(b.salt);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.sealed).not.toBe(b.sealed);
    expect(await unwrapDeviceKey(a, PASSPHRASE)).toEqual(deviceKey);
  });

  it('refuses parameters below the OWASP minimum unless allowWeak is given', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(await codeOf(wrapDeviceKey(deviceKey, PASSPHRASE, { N: 2 ** 16, r: 8, p: 1 }))).toBe('INVALID_INPUT');
    expect(await codeOf(wrapDeviceKey(deviceKey, PASSPHRASE, { N: 2 ** 17, r: 4, p: 1 }))).toBe('INVALID_INPUT');
    expect((await failure(wrapDeviceKey(deviceKey, PASSPHRASE, FAST))).message).toMatch(/OWASP/);
    await expect(wrapDeviceKey(deviceKey, PASSPHRASE, FAST, WEAK_OK)).resolves.toMatchObject(FAST);
  });

  it('refuses out-of-range parameters even with allowWeak', async () => {
    for (const params of [
      { N: 2 ** 13, r: 8, p: 1 },
      { N: 3 * 2 ** 14, r: 8, p: 1 },
      { N: 2 ** 23, r: 8, p: 1 },
      { N: 2 ** 14, r: 0, p: 1 },
      { N: 2 ** 14, r: 33, p: 1 },
      { N: 2 ** 14, r: 8, p: 0 },
      { N: 2 ** 14, r: 8, p: 17 },
      { N: 2 ** 14, r: 1.5, p: 1 },
    ]) {
      expect(await codeOf(wrapDeviceKey(deviceKey, PASSPHRASE, params, WEAK_OK)), JSON.stringify(params)).toBe('INVALID_INPUT');
    }
  });

  it('rejects an empty passphrase and a device key that is not 32 bytes', async () => {
    expect(await codeOf(wrapDeviceKey(deviceKey, '', FAST, WEAK_OK))).toBe('INVALID_INPUT');
    expect(await codeOf(unwrapDeviceKey(wrap, ''))).toBe('INVALID_INPUT');
    expect(await codeOf(wrapDeviceKey(new Uint8Array(16), PASSPHRASE, FAST, WEAK_OK))).toBe('MALFORMED');
  });

  it('reports BAD_PASSPHRASE for a wrong passphrase', async () => {
    expect(await codeOf(unwrapDeviceKey(wrap, PASSPHRASE + ' '))).toBe('BAD_PASSPHRASE');
    expect(await codeOf(unwrapDeviceKey(wrap, PASSPHRASE.toUpperCase()))).toBe('BAD_PASSPHRASE');
  });

  it('treats NFKC-equivalent passphrases as the same passphrase', async () => {
    const composed = 'caf\u00e9 ｐａｓｓ１２３'; // é as one code point; full-width letters and digits
    const decomposed = 'cafe\u0301 pass123';
    const w = await wrapDeviceKey(deviceKey, composed, FAST, WEAK_OK);
    expect(await unwrapDeviceKey(w, decomposed)).toEqual(deviceKey);
    expect(await codeOf(unwrapDeviceKey(w, 'cafe pass123'))).toBe('BAD_PASSPHRASE');
  });

  it('a flipped bit in salt, nonce or sealed is BAD_PASSPHRASE, never a wrong key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('salt' as const, 'nonce' as const, 'sealed' as const),
        fc.nat(47),
        fc.integer({ min: 0, max: 7 }),
        async (field, byte, bit) => {
          const tampered = { ...wrap, [field]: flipBit(wrap[field], byte, bit) };
          expect(await codeOf(unwrapDeviceKey(tampered, PASSPHRASE))).toBe('BAD_PASSPHRASE');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('changed scrypt parameters are BAD_PASSPHRASE (in range) or MALFORMED (out of range)', async () => {
    const cases: [Partial<PassphraseWrap>, ErrorCode][] = [
      [{ N: 2 ** 15 }, 'BAD_PASSPHRASE'],
      [{ r: 9 }, 'BAD_PASSPHRASE'],
      [{ p: 2 }, 'BAD_PASSPHRASE'],
      [{ N: 2 ** 14 + 1 }, 'MALFORMED'],
      [{ N: 2 ** 23 }, 'MALFORMED'],
      [{ N: 2 ** 22, r: 32 }, 'MALFORMED'], // 16 GiB: refused before anything is allocated
      [{ r: 0 }, 'MALFORMED'],
      [{ p: 17 }, 'MALFORMED'],
    ];
    for (const [change, code] of cases) {
      expect(await codeOf(unwrapDeviceKey({ ...wrap, ...change }, PASSPHRASE)), JSON.stringify(change)).toBe(code);
    }
  });

  it('rejects a wrap that does not parse as MALFORMED', async () => {
    const bad: unknown[] = [
      null,
      'scrypt',
      42,
      {},
      { ...wrap, kdf: 'argon2id' },
      { ...wrap, N: String(wrap.N) },
      { ...wrap, r: undefined },
      { ...wrap, salt: wrap.salt.slice(0, -2) },
      { ...wrap, salt: wrap.salt + 'AAAA' },
      { ...wrap, nonce: wrap.nonce.slice(1) },
      { ...wrap, sealed: toBase64Url(fromBase64Url(wrap.sealed).subarray(0, 47)) },
      { ...wrap, sealed: wrap.sealed.replace(/.$/, '!') },
      { ...wrap, salt: 12 },
      // Same bytes, non-canonical spelling (unused low bits set in the last character).
      { ...wrap, salt: nonCanonical(wrap.salt) },
    ];
    for (const value of bad) {
      expect(() => assertPassphraseWrap(value), JSON.stringify(value)).toThrow();
      expect(await codeOf(unwrapDeviceKey(value as PassphraseWrap, PASSPHRASE)), JSON.stringify(value)).toBe('MALFORMED');
    }
    expect(() => assertPassphraseWrap(wrap)).not.toThrow();
  });

  it('never puts the passphrase or the key in an error', async () => {
    const secrets = [PASSPHRASE, toHex(deviceKey), toBase64Url(deviceKey), Buffer.from(deviceKey).toString('base64')];
    const errors = [
      await failure(unwrapDeviceKey(wrap, PASSPHRASE + 'x')),
      await failure(unwrapDeviceKey({ ...wrap, sealed: flipBit(wrap.sealed, 3, 3) }, PASSPHRASE)),
      await failure(unwrapDeviceKey({ ...wrap, N: 5 }, PASSPHRASE)),
      await failure(unwrapDeviceKey({ ...wrap, kdf: 'pbkdf2' as 'scrypt' }, PASSPHRASE)),
      await failure(wrapDeviceKey(deviceKey, PASSPHRASE, FAST)),
      await failure(wrapDeviceKey(deviceKey, PASSPHRASE, { N: 2 ** 23, r: 8, p: 1 }, WEAK_OK)),
    ];
    for (const e of errors) {
      const text = `${e.message} ${JSON.stringify(e.details)} ${e.stack ?? ''}`;
      for (const s of secrets) expect(text).not.toContain(s);
    }
  });
});

describe('readPassphraseFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-passphrase-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileWith(name: string, content: string | Uint8Array, mode = 0o600): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    await chmod(path, mode);
    return path;
  }

  it('strips exactly one trailing newline, \\n or \\r\\n, and nothing else', async () => {
    const cases: [string, string][] = [
      ['secret', 'secret'],
      ['secret\n', 'secret'],
      ['secret\r\n', 'secret'],
      ['secret\n\n', 'secret\n'],
      ['secret\r\n\r\n', 'secret\r\n'],
      ['  spaced out \t\n', '  spaced out \t'],
      ['line one\nline two\n', 'line one\nline two'],
      ['\ufeffwith bom\n', 'with bom'],
    ];
    for (const [i, [content, expected]] of cases.entries()) {
      const { passphrase } = await readPassphraseFile(await fileWith(`case-${i}`, content));
      expect(passphrase, JSON.stringify(content)).toBe(expected);
    }
  });

  it('rejects an empty passphrase', async () => {
    for (const [i, content] of ['', '\n', '\r\n'].entries()) {
      expect(await codeOf(readPassphraseFile(await fileWith(`empty-${i}`, content)))).toBe('INVALID_INPUT');
    }
  });

  it('rejects a file that is not UTF-8 or is far too large', async () => {
    expect(await codeOf(readPassphraseFile(await fileWith('latin1', new Uint8Array([0x70, 0xe9, 0x0a]))))).toBe('INVALID_INPUT');
    expect(await codeOf(readPassphraseFile(await fileWith('huge', 'x'.repeat(64 * 1024 + 1))))).toBe('INVALID_INPUT');
    await expect(readPassphraseFile(await fileWith('big', 'x'.repeat(64 * 1024)))).resolves.toMatchObject({ warning: null });
  });

  it('reports IO for a file that cannot be read', async () => {
    expect(await codeOf(readPassphraseFile(join(dir, 'missing')))).toBe('IO');
    expect(await codeOf(readPassphraseFile(dir))).toBe('IO');
  });

  it.skipIf(process.platform === 'win32')('warns, without the passphrase, when group or others can read the file', async () => {
    expect((await readPassphraseFile(await fileWith('private', 'hunter2-private\n', 0o600))).warning).toBeNull();
    expect((await readPassphraseFile(await fileWith('owner-only', 'hunter2-private\n', 0o400))).warning).toBeNull();
    for (const mode of [0o644, 0o640, 0o604]) {
      const path = await fileWith(`shared-${mode.toString(8)}`, 'hunter2-shared\n', mode);
      const { passphrase, warning } = await readPassphraseFile(path);
      expect(passphrase).toBe('hunter2-shared');
      expect(warning).toContain(`chmod 600 ${path}`);
      expect(warning).toContain(mode.toString(8));
      expect(warning).not.toContain('hunter2');
    }
  });
});
