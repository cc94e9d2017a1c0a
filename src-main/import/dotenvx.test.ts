import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDotenvx, refusal } from '../../test/helpers/import-fixtures';
import { parseDotenvx, privateKeyName } from './dotenvx';
import { mapImport } from './mapping';

const VALUES = { STRIPE_SECRET_KEY: 'sk_test_dotenvx_1', DATABASE_URL: 'postgres://app:pw@db/app', MULTI: 'line one\nline two' };

let dir: string;
let file: { path: string; keysPath: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-dotenvx-'));
  file = await writeDotenvx(dir, '.env.production', VALUES);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('dotenvx-encrypted .env import (file written by @dotenvx/dotenvx)', () => {
  it('names the private key as dotenvx does', () => {
    expect(privateKeyName('/x/.env')).toBe('DOTENV_PRIVATE_KEY');
    expect(privateKeyName('/x/.env.production')).toBe('DOTENV_PRIVATE_KEY_PRODUCTION');
    expect(privateKeyName('.env.ci.local')).toBe('DOTENV_PRIVATE_KEY_CI_LOCAL');
  });

  it('decrypts every value with the key from .env.keys beside the file, and skips the public key', async () => {
    const text = await readFile(file.path, 'utf8');
    for (const v of Object.values(VALUES)) expect(text).not.toContain(v);
    const mapped = mapImport(await parseDotenvx(text, { env: {}, path: file.path }));
    expect(Object.fromEntries(mapped.secrets.map((s) => [s.key, s.value]))).toEqual(VALUES);
    expect(mapped.skipped.map((s) => s.title)).toEqual(['DOTENV_PUBLIC_KEY_PRODUCTION']);
  });

  it('takes the key from DOTENV_PRIVATE_KEY_* in the environment first', async () => {
    const keys = await readFile(file.keysPath, 'utf8');
    const key = /DOTENV_PRIVATE_KEY_PRODUCTION=(\w+)/.exec(keys)![1]!;
    const text = await readFile(file.path, 'utf8');
    const parsed = await parseDotenvx(text, { env: { DOTENV_PRIVATE_KEY_PRODUCTION: key }, path: join(dir, 'elsewhere', '.env.production') });
    expect(parsed.items.map((i) => i.fields[0]!.value)).toEqual(Object.values(VALUES));
  });

  it('refuses a wrong key whole with IMPORT_WRONG_KEY, and a missing one with IMPORT_KEY_MISSING', async () => {
    const other = await mkdtemp(join(tmpdir(), 'tessera-dotenvx-other-'));
    try {
      const wrong = await writeDotenvx(other, '.env.production', { X: 'y' });
      const text = await readFile(file.path, 'utf8');
      const r = await refusal(parseDotenvx(text, { env: {}, path: file.path, keysFile: wrong.keysPath }));
      expect(r.code).toBe('IMPORT_WRONG_KEY');
      // Without the public key line the key is tried on the values, and fails on the first.
      const noPublic = text.replace(/^DOTENV_PUBLIC_KEY.*$/m, '');
      const r2 = await refusal(parseDotenvx(noPublic, { env: {}, path: file.path, keysFile: wrong.keysPath }));
      expect(r2.code).toBe('IMPORT_WRONG_KEY');
      expect(r2.message).toMatch(/^line \d+: STRIPE_SECRET_KEY did not decrypt/);
      await writeFile(join(other, '.env.production'), text);
      await rm(join(other, '.env.keys'));
      expect((await refusal(parseDotenvx(text, { env: {}, path: join(other, '.env.production') }))).code).toBe('IMPORT_KEY_MISSING');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses a truncated file (a value cut short) whole', async () => {
    const text = await readFile(file.path, 'utf8');
    const cut = text.slice(0, text.indexOf('encrypted:') + 40);
    const r = await refusal(parseDotenvx(cut, { env: {}, path: file.path }));
    expect(['DOTENV_SYNTAX', 'IMPORT_WRONG_KEY']).toContain(r.code);
    for (const v of Object.values(VALUES)) expect(r.message).not.toContain(v);
  });
});
