/**
 * The `tessera` command's public contract, run as users run it: the bundled CLI in a child
 * process, values on stdin. What scripts rely on: exact output of `get`, the --json shapes,
 * exit codes (0 ok, 1 a one-line `tessera: … [CODE]`, 2 usage), and that no value ever
 * shows up anywhere but in `get` and `export`, nor in plaintext on disk.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { CLI_PATH, allFiles, cliEnv, createCliProfile, errorLine, makeTempDir, runCli, type CliProfile, type CliResult, type RunOptions } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const FINGERPRINT = /^Your fingerprint: \d{5}(?: \d{5}){11}$/m;
const ISO_SECOND = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Stdin as a user would pipe it, and the value that must be stored. */
const VALUE_CASES: readonly { key: string; input: string; value: string }[] = [
  { key: 'PLAIN', input: 'sk_live_plain_marker_4f9a\n', value: 'sk_live_plain_marker_4f9a' },
  { key: 'NO_NEWLINE', input: 'no-newline-marker-81c2', value: 'no-newline-marker-81c2' },
  { key: 'CRLF_ENDED', input: 'crlf-ended-marker-5d0e\r\n', value: 'crlf-ended-marker-5d0e' },
  { key: 'TWO_NEWLINES', input: 'two-newlines-marker-a77b\n\n', value: 'two-newlines-marker-a77b\n' },
  { key: 'SPACES', input: '  spaced  value marker 3e1f  \n', value: '  spaced  value marker 3e1f  ' },
  { key: 'QUOTES', input: `a=b=="quoted-marker-c0d4"'single'\`tick\`\\n $HOME\n`, value: `a=b=="quoted-marker-c0d4"'single'\`tick\`\\n $HOME` },
  { key: 'UNICODE', input: 'pässwörd-🔑-秘密-ключ-marker-90e1\n', value: 'pässwörd-🔑-秘密-ключ-marker-90e1' },
  {
    key: 'MULTI_LINE',
    input: '-----BEGIN TEST KEY-----\nmulti-line-marker-77aa\n\n-----END TEST KEY-----\n',
    value: '-----BEGIN TEST KEY-----\nmulti-line-marker-77aa\n\n-----END TEST KEY-----',
  },
  { key: 'INNER_CR', input: 'inner\rcarriage-return-marker-1b2c\n', value: 'inner\rcarriage-return-marker-1b2c' },
];

/** Markers for the on-disk check: no file under TESSERA_HOME may hold any of them in any encoding. */
const DISK = {
  vault: 'VaultNameMarkerQx7',
  env: 'envmarker-qx7',
  description: 'description-marker-QX7',
  tag: 'tag-marker-qx7',
  secrets: {
    SECRET_NAME_MARKER_QX7: 'secret-value-marker-QX7-5b6a',
    SECOND_NAME_MARKER_QX7: 'second-value-marker-QX7-e21f',
    IMPORTED_NAME_MARKER_QX7: 'imported-value-marker-QX7-0c9d',
    REMOVED_NAME_MARKER_QX7: 'removed-value-marker-QX7-44d1',
  },
  rotated: 'rotated-value-marker-QX7-a3b8',
} as const;

/** Every value any test here hands to the CLI: none may appear outside `get`/`export` output. */
const KNOWN_VALUES: readonly string[] = [...VALUE_CASES.map((c) => c.value), ...Object.values(DISK.secrets), DISK.rotated];

function expectNoKnownValue(r: CliResult, what: string): void {
  for (const v of KNOWN_VALUES) {
    const pieces = [v, ...v.split(/[\r\n]+/).filter((line) => line.trim().length >= 12)];
    for (const p of pieces) {
      expect(r.stdout.includes(p), `a value on stdout of ${what}`).toBe(false);
      expect(r.stderr.includes(p), `a value on stderr of ${what}`).toBe(false);
    }
  }
}

// One keychain profile for the file: each `init` adds an entry to the Secret Service.
let shared: Promise<CliProfile> | undefined;

async function profile(ctx: TestContext): Promise<CliProfile> {
  await requireKeychain(ctx);
  shared ??= createCliProfile();
  return shared;
}

afterAll(async () => {
  await (await shared?.catch(() => undefined))?.dispose();
});

/** Runs a command, checking that nothing it printed holds a value (get and export may). */
async function tessera(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await p.run(args, opts);
  if (args[0] !== 'get' && args[0] !== 'export') expectNoKnownValue(r, `tessera ${args.join(' ')}`);
  return r;
}

async function ok(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await tessera(p, args, opts);
  expect(r.code, `tessera ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

type VaultJson = { id: string; name: string; environments: { name: string; readable: boolean }[]; secrets: number; createdAt: string };
type SecretJson = { name: string; environments: string[]; createdBy: string; updatedBy: string; createdAt: string; status: string };
type VersionJson = { version: number; id: string; at: string; by: string; note: string; current: boolean };

async function vaultList(p: CliProfile): Promise<VaultJson[]> {
  return JSON.parse((await ok(p, ['vault', 'list', '--json'])).stdout) as VaultJson[];
}

describe('tessera with a keychain profile', () => {
  it('init prints a fingerprint of 12 groups of 5 digits; a second init fails with PROFILE_EXISTS', async (ctx) => {
    const p = await profile(ctx);
    expect(p.initOutput).toMatch(FINGERPRINT);
    expect(p.initOutput).toMatch(/^Unlocks with the .+\.$/m);
    const again = await tessera(p, ['init', '--name', 'Mallory']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(errorLine('PROFILE_EXISTS'));
    expect(again.stdout).toBe('');
  });

  it('vault create makes a vault; vault list --json gives id, name, environments, secrets and createdAt', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Payments', '--envs', 'dev,prod']);
    await ok(p, ['vault', 'create', 'Defaults']);
    const dup = await tessera(p, ['vault', 'create', 'Payments']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(errorLine('ALREADY_EXISTS'));

    const vaults = await vaultList(p);
    const payments = vaults.find((v) => v.name === 'Payments')!;
    expect(Object.keys(payments).sort()).toEqual(['createdAt', 'environments', 'id', 'name', 'secrets']);
    expect(payments).toMatchObject({
      name: 'Payments',
      environments: [{ name: 'dev', readable: true }, { name: 'prod', readable: true }],
      secrets: 0,
    });
    expect(payments.id).toMatch(/^[0-9a-f]{12,}$/);
    expect(payments.createdAt).toMatch(ISO_SECOND);
    expect(Math.abs(Date.parse(payments.createdAt) - Date.now())).toBeLessThan(5 * 60_000);
    expect(vaults.find((v) => v.name === 'Defaults')!.environments.map((e) => e.name)).toEqual(['development', 'staging', 'production']);

    // A vault is also found by its id.
    const byId = await ok(p, ['list', '--vault', payments.id]);
    expect(byId.stderr).toBe('');
  });

  it('set takes the value from stdin (one trailing newline stripped) and get prints exactly it', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Values', '--envs', 'dev']);
    for (const c of VALUE_CASES) {
      const r = await ok(p, ['set', c.key, '--vault', 'Values', '--env', 'dev'], { input: c.input });
      expect(r.stderr).toBe(`Created ${c.key} in dev (version 1)\n`);
      expect(r.stdout).toBe('');
    }
    // Reads take no lock, so they may run side by side.
    const got = await Promise.all(VALUE_CASES.map((c) => ok(p, ['get', c.key, '--vault', 'Values', '--env', 'dev'])));
    got.forEach((r, i) => {
      const c = VALUE_CASES[i]!;
      // Exact bytes: no trailing newline when stdout is not a terminal.
      expect(r.out.equals(Buffer.from(c.value, 'utf8')), `value of ${c.key}`).toBe(true);
      expect(r.stderr).toBe('');
    });
    expect((await vaultList(p)).find((v) => v.name === 'Values')!.secrets).toBe(VALUE_CASES.length);
  });

  // Decoding with replacement would store invalid bytes as U+FFFD and still exit 0.
  it('set keeps stdin that is not UTF-8 exactly, or refuses it with INVALID_INPUT', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Bytes', '--envs', 'dev']);
    const input = Buffer.from([0x61, 0x62, 0xff, 0xfe, 0x63, 0x64]); // "ab", two bytes UTF-8 never uses, "cd"
    const set = await tessera(p, ['set', 'LATIN1', '--vault', 'Bytes', '--env', 'dev'], { input });
    const get = await p.run(['get', 'LATIN1', '--vault', 'Bytes', '--env', 'dev']);
    if (set.code === 0) {
      expect(get.out.equals(input), 'the bytes read back').toBe(true);
    } else {
      expect(set.stderr).toMatch(errorLine('INVALID_INPUT'));
      expect(get.stderr).toMatch(errorLine('NOT_FOUND'));
    }
  });

  it('get works inside $(...) in a shell script', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Shell', '--envs', 'dev']);
    const value = VALUE_CASES.find((c) => c.key === 'UNICODE')!.value;
    await ok(p, ['set', 'API_TOKEN', '--vault', 'Shell', '--env', 'dev'], { input: `${value}\n` });
    const script = 'token="$("$0" "$1" get API_TOKEN --vault Shell --env dev)" && printf "[%s]" "$token"';
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', script, process.execPath, CLI_PATH], {
      env: cliEnv(p.home),
      encoding: 'buffer',
      timeout: 20_000,
    });
    expect(stdout.equals(Buffer.from(`[${value}]`, 'utf8'))).toBe(true);
  });

  it('list shows names and metadata, never values; --env keeps the secrets set there', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Listing', '--envs', 'dev,prod']);
    await ok(p, ['set', 'STRIPE_KEY', '--vault', 'Listing', '--env', 'prod', '--description', 'Stripe API', '--tag', 'billing'], {
      input: VALUE_CASES[0]!.input,
    });
    await ok(p, ['set', 'DB_URL', '--vault', 'Listing', '--env', 'dev'], { input: VALUE_CASES[7]!.input });
    await ok(p, ['set', 'DB_URL', '--vault', 'Listing', '--env', 'prod'], { input: VALUE_CASES[6]!.input });

    const all = JSON.parse((await ok(p, ['list', '--vault', 'Listing', '--json'])).stdout) as SecretJson[];
    expect(all.map((s) => [s.name, s.environments])).toEqual([
      ['DB_URL', ['dev', 'prod']],
      ['STRIPE_KEY', ['prod']],
    ]);
    for (const s of all) {
      expect(s).toMatchObject({ createdBy: 'Alice', updatedBy: 'Alice', status: 'active' });
      expect(s.createdAt).toMatch(ISO_SECOND);
      expect(JSON.stringify(s)).not.toMatch(/"value"/);
    }
    expect(all[1]).toMatchObject({ description: 'Stripe API', tags: ['billing'] });

    const dev = JSON.parse((await ok(p, ['list', '--vault', 'Listing', '--env', 'dev', '--json'])).stdout) as SecretJson[];
    expect(dev.map((s) => s.name)).toEqual(['DB_URL']);
    const noValueHere = await tessera(p, ['get', 'STRIPE_KEY', '--vault', 'Listing', '--env', 'dev']);
    expect(noValueHere.code).toBe(1);
    expect(noValueHere.stderr).toMatch(errorLine('NOT_FOUND'));
    const table = await ok(p, ['list', '--vault', 'Listing']);
    expect(table.stdout).toMatch(/^NAME\s+ENVIRONMENTS/);
    expect(table.stdout).toMatch(/^STRIPE_KEY\s+prod\s+none\s+billing\s+Stripe API$/m);
  });

  it('history --json lists every version with who and when, and no values', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'History', '--envs', 'dev']);
    for (const c of VALUE_CASES.slice(0, 3)) {
      await ok(p, ['set', 'ROTATED', '--vault', 'History', '--env', 'dev'], { input: c.input });
    }
    const r = await ok(p, ['history', 'ROTATED', '--vault', 'History', '--env', 'dev', '--json']);
    const versions = JSON.parse(r.stdout) as VersionJson[];
    expect(versions.map((v) => [v.version, v.by, v.current])).toEqual([
      [1, 'Alice', false],
      [2, 'Alice', false],
      [3, 'Alice', true],
    ]);
    for (const v of versions) {
      expect(Object.keys(v).sort()).toEqual(['at', 'by', 'current', 'id', 'note', 'standing', 'version']);
      expect(v.at).toMatch(ISO_SECOND);
    }
    const table = await ok(p, ['history', 'ROTATED', '--vault', 'History', '--env', 'dev']);
    expect(table.stdout).toMatch(/^3 \(current\)\s+\S+Z\s+Alice$/m);
  });

  it('history of a secret with no value in that environment is NOT_FOUND, as get is', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Elsewhere', '--envs', 'dev,prod']);
    await ok(p, ['set', 'ONLY_DEV', '--vault', 'Elsewhere', '--env', 'dev'], { input: VALUE_CASES[0]!.input });
    for (const cmd of ['get', 'history']) {
      const r = await tessera(p, [cmd, 'ONLY_DEV', '--vault', 'Elsewhere', '--env', 'prod']);
      expect([r.code, r.stdout], cmd).toEqual([1, '']);
      expect(r.stderr, cmd).toMatch(errorLine('NOT_FOUND'));
      expect(r.stderr, cmd).toContain('ONLY_DEV has no value in prod');
    }
  });

  it('history calls a version replaced by a plain set "replaced", and one a rotation replaced "revoked"', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Standing', '--envs', 'dev']);
    const args = ['KEY', '--vault', 'Standing', '--env', 'dev'];
    await ok(p, ['set', ...args], { input: VALUE_CASES[0]!.input });
    await ok(p, ['set', ...args], { input: VALUE_CASES[1]!.input });
    await ok(p, ['rotate', ...args], { input: VALUE_CASES[2]!.input });
    const versions = JSON.parse((await ok(p, ['history', ...args, '--json'])).stdout) as (VersionJson & { standing: string })[];
    expect(versions.map((v) => [v.version, v.standing])).toEqual([
      [1, 'replaced'],
      [2, 'revoked'],
      [3, 'current'],
    ]);
    const table = (await ok(p, ['history', ...args])).stdout;
    expect(table).toMatch(/^1\s+\S+Z\s+Alice\s+replaced$/m);
    expect(table).toMatch(/^2\s+\S+Z\s+Alice\s+revoked$/m);
    expect(table).toMatch(/^3 \(current\)\s+\S+Z\s+Alice\s+rotated$/m);
  });

  it('rm deletes a secret: get, history and list then know nothing of it', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Removal', '--envs', 'dev,prod']);
    await ok(p, ['set', 'GONE', '--vault', 'Removal', '--env', 'dev'], { input: VALUE_CASES[1]!.input });
    await ok(p, ['set', 'GONE', '--vault', 'Removal', '--env', 'prod'], { input: VALUE_CASES[2]!.input });
    await ok(p, ['set', 'KEPT', '--vault', 'Removal', '--env', 'dev'], { input: VALUE_CASES[3]!.input });
    const rm = await ok(p, ['rm', 'GONE', '--vault', 'Removal']);
    expect(rm.stderr).toBe('Deleted GONE (2 value versions purged)\n');

    for (const args of [
      ['get', 'GONE', '--vault', 'Removal', '--env', 'dev'],
      ['get', 'GONE', '--vault', 'Removal', '--env', 'prod'],
      ['history', 'GONE', '--vault', 'Removal', '--env', 'dev'],
      ['rm', 'GONE', '--vault', 'Removal'],
    ]) {
      const r = await tessera(p, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(errorLine('NOT_FOUND'));
      expect(r.stdout).toBe('');
    }
    const listed = JSON.parse((await ok(p, ['list', '--vault', 'Removal', '--json'])).stdout) as SecretJson[];
    expect(listed.map((s) => s.name)).toEqual(['KEPT']);
    const kept = await ok(p, ['get', 'KEPT', '--vault', 'Removal', '--env', 'dev']);
    expect(kept.stdout).toBe(VALUE_CASES[3]!.value);
    expect((await vaultList(p)).find((v) => v.name === 'Removal')!.secrets).toBe(1);
  });

  it('exit codes: 2 for usage errors, 1 with one line and a code for user errors; the value is never echoed', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Errors', '--envs', 'dev']);
    const input = VALUE_CASES[5]!.input; // quotes, = and $HOME: the kind of text a message might quote
    const cases: [args: string[], code: 1 | 2, errorCode?: string][] = [
      [['set', 'KEY', '--vault', 'Errors'], 2],
      [['set', '--vault', 'Errors', '--env', 'dev'], 2],
      [['get', 'KEY', '--env', 'dev'], 2],
      [['set', 'KEY', 'extra-argument', '--vault', 'Errors', '--env', 'dev'], 2],
      [['get', 'KEY', '--vault', 'Errors', '--env', 'dev', '--no-such-option'], 2],
      [['frobnicate'], 2],
      [['set', '1BAD', '--vault', 'Errors', '--env', 'dev'], 1, 'INVALID_NAME'],
      [['set', 'BAD-NAME', '--vault', 'Errors', '--env', 'dev'], 1, 'INVALID_NAME'],
      [['set', 'KEY', '--vault', 'NoSuchVault', '--env', 'dev'], 1, 'NOT_FOUND'],
      [['set', 'KEY', '--vault', 'Errors', '--env', 'nosuchenv'], 1, 'NOT_FOUND'],
      [['get', 'NOT_THERE', '--vault', 'Errors', '--env', 'dev'], 1, 'NOT_FOUND'],
      [['export', '--vault', 'Errors', '--env', 'dev', '--format', 'yaml'], 1, 'INVALID_INPUT'],
      [['vault', 'create', 'Bad\u0007Name'], 1, 'INVALID_NAME'],
      [['vault', 'create', 'BadEnvs', '--envs', 'Dev'], 1, 'INVALID_NAME'],
    ];
    for (const [args, code, errorCode] of cases) {
      const r = await p.run(args, { input });
      const what = `tessera ${args.join(' ')}`;
      expect(r.code, `${what}: ${r.stderr}`).toBe(code);
      expectNoKnownValue(r, what);
      expect(r.stdout, what).toBe('');
      if (errorCode) expect(r.stderr, what).toMatch(errorLine(errorCode));
      else expect(r.stderr, what).toMatch(/^error: /);
    }
    // An empty value is refused, not stored.
    const empty = await tessera(p, ['set', 'EMPTY', '--vault', 'Errors', '--env', 'dev'], { input: '\n' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(errorLine('INVALID_INPUT'));
    expect(JSON.parse((await ok(p, ['list', '--vault', 'Errors', '--json'])).stdout)).toEqual([]);

    // No profile in TESSERA_HOME at all.
    const nowhere = await makeTempDir('tessera-empty-');
    try {
      const r = await runCli(nowhere, ['set', 'KEY', '--vault', 'Errors', '--env', 'dev'], { input });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(errorLine('NO_PROFILE'));
      expectNoKnownValue(r, 'set without a profile');
    } finally {
      await rm(nowhere, { recursive: true, force: true });
    }
  });

  it('--version and --help exit 0', async (ctx) => {
    const p = await profile(ctx);
    const version = await ok(p, ['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    const help = await ok(p, ['--help']);
    for (const cmd of ['init', 'vault', 'set', 'get', 'list', 'rm', 'history', 'import', 'export']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
    expect((await ok(p, ['set', '--help'])).stdout).toMatch(/--vault <vault>/);
  });
});

describe('tessera with a passphrase-only profile', () => {
  it('unlocks with TESSERA_PASSPHRASE_FILE and refuses a wrong one with BAD_PASSPHRASE', async () => {
    // Full-strength scrypt on every command (~0.5-1 s): kept to a handful of commands.
    const dir = await makeTempDir('tessera-pass-');
    const file = join(dir, 'passphrase');
    const wrong = join(dir, 'wrong');
    await writeFile(file, 'correct horse battery staple\n', { mode: 0o600 });
    await writeFile(wrong, 'incorrect horse\n', { mode: 0o600 });
    await chmod(file, 0o600);
    await chmod(wrong, 0o600);
    // No reachable D-Bus: a passphrase profile must not need the keychain at all.
    const env = { TESSERA_PASSPHRASE_FILE: file, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    let p: CliProfile | undefined;
    try {
      p = await createCliProfile({ initArgs: ['--no-keychain', '--passphrase'], env });
      expect(p.initOutput).toMatch(/^Unlocks with your passphrase\.$/m);
      expect(p.initOutput).toMatch(FINGERPRINT);
      await ok(p, ['vault', 'create', 'Offline', '--envs', 'dev']);
      const set = await ok(p, ['set', 'OFFLINE_KEY', '--vault', 'Offline', '--env', 'dev'], { input: VALUE_CASES[6]!.input });
      expect(set.stderr).toBe('Created OFFLINE_KEY in dev (version 1)\n'); // no warning: the file is 0600
      const got = await ok(p, ['get', 'OFFLINE_KEY', '--vault', 'Offline', '--env', 'dev']);
      expect(got.out.equals(Buffer.from(VALUE_CASES[6]!.value))).toBe(true);

      const bad = await tessera(p, ['get', 'OFFLINE_KEY', '--vault', 'Offline', '--env', 'dev'], { env: { TESSERA_PASSPHRASE_FILE: wrong } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(errorLine('BAD_PASSPHRASE'));
      expect(bad.stdout).toBe('');
    } finally {
      await p?.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what tessera leaves on disk', () => {
  /** The ways a marker could sit in a file: text, UTF-16, hex, and base64/base64url at every alignment. */
  function encodings(marker: string): Buffer[] {
    const bytes = Buffer.from(marker, 'utf8');
    const out = [bytes, Buffer.from(marker, 'utf16le'), Buffer.from(bytes.toString('hex'))];
    for (const shift of [0, 1, 2]) {
      // Preceded by `shift` unknown bytes, the characters that depend only on the marker.
      const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
      const skip = Math.ceil((shift * 4) / 3);
      const keep = Math.floor((shifted.length * 4) / 3);
      for (const enc of ['base64', 'base64url'] as const) out.push(Buffer.from(shifted.toString(enc).slice(skip, keep)));
    }
    return out;
  }

  it('holds no secret name, value, description, tag, vault or environment name in plaintext', async (ctx) => {
    await requireKeychain(ctx);
    const p = await createCliProfile({ name: 'Disk Checker' });
    try {
      const { vault, env, secrets, rotated } = DISK;
      await ok(p, ['vault', 'create', vault, '--envs', `${env},other`]);
      await ok(p, ['set', 'SECRET_NAME_MARKER_QX7', '--vault', vault, '--env', env, '--description', DISK.description, '--tag', DISK.tag], {
        input: secrets.SECRET_NAME_MARKER_QX7,
      });
      await ok(p, ['set', 'SECRET_NAME_MARKER_QX7', '--vault', vault, '--env', env], { input: rotated });
      await ok(p, ['set', 'SECOND_NAME_MARKER_QX7', '--vault', vault, '--env', 'other'], { input: secrets.SECOND_NAME_MARKER_QX7 });
      await ok(p, ['set', 'REMOVED_NAME_MARKER_QX7', '--vault', vault, '--env', env], { input: secrets.REMOVED_NAME_MARKER_QX7 });
      await ok(p, ['import', '-', '--vault', vault, '--env', env], { input: `IMPORTED_NAME_MARKER_QX7="${secrets.IMPORTED_NAME_MARKER_QX7}"\n` });
      await ok(p, ['rm', 'REMOVED_NAME_MARKER_QX7', '--vault', vault]);
      await ok(p, ['history', 'SECRET_NAME_MARKER_QX7', '--vault', vault, '--env', env]);
      await ok(p, ['list', '--vault', vault]);
      expect((await ok(p, ['get', 'SECRET_NAME_MARKER_QX7', '--vault', vault, '--env', env])).stdout).toBe(rotated);

      const markers = [vault, env, DISK.description, DISK.tag, rotated, ...Object.keys(secrets), ...Object.values(secrets)];
      const files = await allFiles(p.home);
      expect(files.length).toBeGreaterThan(4);
      // The scan does see plain text: the profile's own name is public and stored as it is.
      expect((await readFile(join(p.home, 'profile.json'))).includes(Buffer.from('Disk Checker'))).toBe(true);
      for (const file of files) {
        const bytes = await readFile(file);
        const shown = file.slice(p.home.length);
        for (const m of markers) for (const enc of encodings(m)) expect(bytes.includes(enc), `${m} in ${shown}`).toBe(false);
      }
    } finally {
      await p.dispose();
    }
  });
});
