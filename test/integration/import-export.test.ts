/**
 * `tessera import` and `tessera export` through the CLI: .env files mean exactly what dotenv
 * says, every export format gives back the same values, a malformed file imports nothing
 * and says where (never what), and importing again changes nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createCliProfile, errorLine, makeTempDir, type CliProfile, type CliResult, type RunOptions } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

type Values = Record<string, string>;

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const TRICKY_ENV = fixture('dotenv/tricky.env');
const QUOTING_ENV = fixture('cli/quoting.env');
const TRICKY: Values = Object.fromEntries(
  (JSON.parse(readFileSync(fixture('dotenv/tricky.json'), 'utf8')) as { key: string; value: string }[]).map((r) => [r.key, r.value]),
);
const QUOTING = JSON.parse(readFileSync(fixture('cli/quoting.json'), 'utf8')) as Values;

/** Text that must never show in anything but export output: values, and each long line of one. */
function valueTexts(...sets: Values[]): string[] {
  const texts = new Set<string>();
  for (const values of sets) {
    for (const v of Object.values(values)) {
      for (const t of [v, ...v.split(/[\r\n]+/)]) if (t.trim().length >= 8) texts.add(t);
    }
  }
  return [...texts];
}

const FIXTURE_TEXTS = valueTexts(TRICKY, QUOTING);

function expectNoText(r: CliResult, texts: readonly string[], what: string): void {
  for (const t of texts) {
    expect(r.stdout.includes(t), `value text on stdout of ${what}`).toBe(false);
    expect(r.stderr.includes(t), `value text on stderr of ${what}`).toBe(false);
  }
}

const VAULT = 'Transfer';
const ENVS = ['fixture', 'own', 'own-crlf', 'roundtrip', 'own-roundtrip', 'twice', 'malformed', 'latin1'];

let shared: Promise<{ p: CliProfile; dir: string }> | undefined;

async function setup(ctx: TestContext): Promise<{ p: CliProfile; dir: string }> {
  await requireKeychain(ctx);
  shared ??= (async () => {
    const p = await createCliProfile();
    await p.ok(['vault', 'create', VAULT, '--envs', ENVS.join(',')]);
    return { p, dir: await makeTempDir('tessera-files-') };
  })();
  return shared;
}

afterAll(async () => {
  const s = await shared?.catch(() => undefined);
  await s?.p.dispose();
  if (s) await rm(s.dir, { recursive: true, force: true });
});

/** Runs a command that must succeed; only export and get may print a value. */
async function ok(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await p.run(args, opts);
  expect(r.code, `tessera ${args.join(' ')}: ${r.stderr}`).toBe(0);
  if (args[0] !== 'export' && args[0] !== 'get') expectNoText(r, FIXTURE_TEXTS, `tessera ${args.join(' ')}`);
  return r;
}

async function exportJson(p: CliProfile, env: string): Promise<Values> {
  const r = await ok(p, ['export', '--vault', VAULT, '--env', env, '--format', 'json']);
  const values = JSON.parse(r.stdout) as Values;
  expect(Object.keys(values)).toEqual(Object.keys(values).sort());
  return values;
}

/** Imports `text` from a file, as users do, and returns what the import printed on stderr. */
async function importText(p: CliProfile, dir: string, env: string, text: string): Promise<string> {
  const file = join(dir, `${env}.env`);
  await writeFile(file, text);
  return (await ok(p, ['import', file, '--vault', VAULT, '--env', env])).stderr;
}

describe('tessera import and export', () => {
  it('imports tricky.env as dotenv reads it, and export --format json gives those values exactly', async (ctx) => {
    const { p } = await setup(ctx);
    const r = await ok(p, ['import', TRICKY_ENV, '--vault', VAULT, '--env', 'fixture']);
    expect(r.stderr).toBe(`Imported into fixture: ${Object.keys(TRICKY).length} added, 0 updated, 0 unchanged\n`);
    expect(await exportJson(p, 'fixture')).toEqual(TRICKY);
  });

  it('imports quotes of each kind, # in quotes, multi-line, export, empty and unicode values, with LF or CRLF', async (ctx) => {
    const { p, dir } = await setup(ctx);
    const text = await readFile(QUOTING_ENV, 'utf8');
    expect(text).not.toContain('\r');
    const n = Object.keys(QUOTING).length;
    expect(await importText(p, dir, 'own', text)).toBe(`Imported into own: ${n} added, 0 updated, 0 unchanged\n`);
    expect(await importText(p, dir, 'own-crlf', text.replace(/\n/g, '\r\n'))).toBe(`Imported into own-crlf: ${n} added, 0 updated, 0 unchanged\n`);
    expect(await exportJson(p, 'own')).toEqual(QUOTING);
    expect(await exportJson(p, 'own-crlf')).toEqual(QUOTING);
    // One value read back alone, byte for byte.
    const got = await ok(p, ['get', 'MULTILINE_SINGLE', '--vault', VAULT, '--env', 'own-crlf']);
    expect(got.stdout).toBe(QUOTING.MULTILINE_SINGLE);
  });

  it('export --format dotenv, imported into another environment, gives identical values', async (ctx) => {
    const { p } = await setup(ctx);
    for (const [from, to, expected] of [
      ['fixture', 'roundtrip', TRICKY],
      ['own', 'own-roundtrip', QUOTING],
    ] as const) {
      const dotenv = await ok(p, ['export', '--vault', VAULT, '--env', from, '--format', 'dotenv']);
      expect(dotenv.stderr).toBe('');
      await ok(p, ['import', '-', '--vault', VAULT, '--env', to], { input: dotenv.out });
      expect(await exportJson(p, to)).toEqual(expected);
    }
  });

  it('export --format shell, sourced by /bin/sh, exports the values', async (ctx) => {
    const { p, dir } = await setup(ctx);
    for (const [env, expected] of [
      ['fixture', TRICKY],
      ['own', QUOTING],
    ] as const) {
      const shell = await ok(p, ['export', '--vault', VAULT, '--env', env, '--format', 'shell']);
      const file = join(dir, `${env}.sh`);
      await writeFile(file, shell.out);
      // A clean environment: only what the file exports (and what sh sets itself) reaches node.
      const script = '. "$1" && exec "$2" -e "process.stdout.write(JSON.stringify(process.env))"';
      const { stdout } = await promisify(execFile)('env', ['-i', '/bin/sh', '-c', script, 'sh', file, process.execPath], { timeout: 20_000 });
      const seen = JSON.parse(stdout) as Values;
      expect(Object.fromEntries(Object.keys(expected).map((k) => [k, seen[k]]))).toEqual(expected);
    }
  });

  it('refuses a file with one malformed line: exit 1 naming the line, no value in the message, nothing imported', async (ctx) => {
    const { p, dir } = await setup(ctx);
    const good: Values = { GOOD_ONE: 'good-value-marker-1a2b', GOOD_TWO: 'good value marker 3c4d', GOOD_THREE: 'good-value-marker-5e6f' };
    // Line 4 of the file, and the text in it that looks like a secret.
    const broken = [
      { line: 'sk_live_broken_line_marker_7a8b', secret: 'sk_live_broken_line_marker_7a8b' }, // dotenv would skip it silently
      { line: 'UNCLOSED="unclosed-value-marker-9c0d', secret: 'unclosed-value-marker-9c0d' },
      { line: 'this is not an assignment: sk_live_text_marker_e1f2', secret: 'sk_live_text_marker_e1f2' },
      { line: '=value-without-name-marker-a3b4', secret: 'value-without-name-marker-a3b4' },
    ];
    const listBefore = (await ok(p, ['list', '--vault', VAULT, '--json'])).stdout;
    for (const { line, secret } of broken) {
      const text = ['# line 4 of this file is broken', `GOOD_ONE=${good.GOOD_ONE}`, `GOOD_TWO="${good.GOOD_TWO}"`, line, `GOOD_THREE=${good.GOOD_THREE}`, ''].join('\n');
      const file = join(dir, 'broken.env');
      await writeFile(file, text);
      const r = await p.run(['import', file, '--vault', VAULT, '--env', 'malformed']);
      expect(r.code, line).toBe(1);
      expect(r.stderr, line).toMatch(errorLine('DOTENV_SYNTAX'));
      expect(r.stderr, line).toMatch(/\bline 4\b/);
      expect(r.stdout).toBe('');
      expectNoText(r, [secret, ...valueTexts(good)], `import of a file broken by ${line}`);
    }
    expect((await ok(p, ['list', '--vault', VAULT, '--json'])).stdout).toBe(listBefore);
    expect(await exportJson(p, 'malformed')).toEqual({});
  });

  // Reading the file as UTF-8 with replacement would store a Latin-1 "ä" as U+FFFD and exit 0.
  it('refuses a file that is not UTF-8 instead of storing altered values', async (ctx) => {
    const { p, dir } = await setup(ctx);
    const file = join(dir, 'latin1.env');
    await writeFile(file, Buffer.from('LATIN1_PASSWORD=p\xe4ssword-latin1-marker\n', 'latin1'));
    const r = await p.run(['import', file, '--vault', VAULT, '--env', 'latin1']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('ssword-latin1-marker');
    expect(await exportJson(p, 'latin1')).toEqual({});
  });

  it('importing the same file twice adds no versions', async (ctx) => {
    const { p } = await setup(ctx);
    const n = Object.keys(QUOTING).length;
    const importOnce = () => ok(p, ['import', QUOTING_ENV, '--vault', VAULT, '--env', 'twice']);
    const histories = () =>
      Promise.all(['SINGLE_QUOTED', 'EMPTY_BACKTICK', 'MULTILINE_DOUBLE'].map(async (k) => (await ok(p, ['history', k, '--vault', VAULT, '--env', 'twice', '--json'])).stdout));
    const list = async () => (await ok(p, ['list', '--vault', VAULT, '--json'])).stdout;

    expect((await importOnce()).stderr).toBe(`Imported into twice: ${n} added, 0 updated, 0 unchanged\n`);
    const historyBefore = await histories();
    const listBefore = await list();
    for (const h of historyBefore) expect((JSON.parse(h) as unknown[]).length).toBe(1);

    expect((await importOnce()).stderr).toBe(`Imported into twice: 0 added, 0 updated, ${n} unchanged\n`);
    expect(await histories()).toEqual(historyBefore);
    expect(await list()).toBe(listBefore);
    expect(await exportJson(p, 'twice')).toEqual(QUOTING);
  });
});
