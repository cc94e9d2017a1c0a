/**
 * A new user's first commands on a machine without a keychain or a terminal to ask on:
 * every refusal says what works, and what it says works does.
 */
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorLine, makeTempDir, runCli, type RunOptions } from '../helpers/cli';

// No reachable D-Bus: the OS keychain cannot be used (as on a fresh server or container).
const NO_KEYCHAIN = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A fresh TESSERA_HOME and a 0600 passphrase file holding `passphrase`. */
async function fresh(passphrase = 'correct horse battery staple'): Promise<{ home: string; file: string; run: (args: string[], o?: RunOptions) => ReturnType<typeof runCli> }> {
  dir = await makeTempDir('tessera-first-run-');
  const home = join(dir, 'home');
  const file = join(dir, 'passphrase');
  await writeFile(file, `${passphrase}\n`, { mode: 0o600 });
  return { home, file, run: (args, o = {}) => runCli(home, args, { ...o, env: { ...NO_KEYCHAIN, ...o.env } }) };
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** The `tessera …` command a message puts in backticks. */
function advisedCommand(message: string): string[] {
  const m = /`(tessera [^`]+)`/.exec(message);
  if (!m) throw new Error(`no command in: ${message}`);
  return m[1]!.split(' ').slice(1);
}

describe('init where no OS keychain can be reached', () => {
  it('plain init refuses with KEYCHAIN_UNAVAILABLE, and the command it advises works', async () => {
    const { home, file, run } = await fresh();
    const r = await run(['init', '--name', 'Ada']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(errorLine('KEYCHAIN_UNAVAILABLE'));
    expect(r.stderr).toContain('`tessera init --passphrase --no-keychain`');
    expect(await exists(join(home, 'profile.json'))).toBe(false);

    const advised = await run([...advisedCommand(r.stderr), '--name', 'Ada'], { env: { TESSERA_PASSPHRASE_FILE: file } });
    expect(advised.stderr).toBe('');
    expect(advised.code).toBe(0);
    expect(advised.stdout).toMatch(/^Unlocks with your passphrase\.$/m);
  });

  it('init --passphrase falls back to the passphrase alone, says so, and the profile works', async () => {
    const { file, run } = await fresh();
    const env = { TESSERA_PASSPHRASE_FILE: file };
    const r = await run(['init', '--name', 'Ada', '--passphrase'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: the .+ cannot be used here \(.+\); this profile unlocks with your passphrase only\n$/);
    expect(r.stdout).toMatch(/^Unlocks with your passphrase\.$/m);
    const list = await run(['vault', 'list'], { env });
    expect([list.code, list.stderr]).toEqual([0, '']);
  });
});

describe('tessera run without --', () => {
  it("a program's option taken for tessera's is a usage error with a hint to put -- first", async () => {
    const { run } = await fresh();
    const r = await run(['run', 'node', '-e', 'process.exit(0)']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '-e'\n/);
    expect(r.stderr).toContain('tessera run [options] -- node …');
    expect(r.stdout).toBe('');
  });

  it('a misspelt option of tessera run itself gets no such hint', async () => {
    const { run } = await fresh();
    const r = await run(['run', '--evn', 'dev', '--', 'node', '-e', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--evn'/);
    expect(r.stderr).not.toContain(' -- node');
  });
});

describe('passphrases', () => {
  it('with no terminal and no TESSERA_PASSPHRASE_FILE, init --passphrase points to TESSERA_PASSPHRASE_FILE', async () => {
    const { home, run } = await fresh();
    const r = await run(['init', '--name', 'Ada', '--passphrase', '--no-keychain']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(errorLine('INVALID_INPUT'));
    expect(r.stderr).toContain('TESSERA_PASSPHRASE_FILE');
    expect(r.stderr).not.toContain('pipe the value');
    expect(await exists(join(home, 'profile.json'))).toBe(false);
  });

  it('unlocking a passphrase profile with no terminal and no TESSERA_PASSPHRASE_FILE points to it', async () => {
    const { file, run } = await fresh();
    await run(['init', '--name', 'Ada', '--passphrase', '--no-keychain'], { env: { TESSERA_PASSPHRASE_FILE: file } });
    // The value is on stdin, so the passphrase cannot be asked there.
    const r = await run(['set', 'KEY', '--vault', 'V', '--env', 'dev'], { input: 'a-value-1234\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(errorLine('INVALID_INPUT'));
    expect(r.stderr).toContain('TESSERA_PASSPHRASE_FILE');
    expect(r.stderr).not.toContain('pipe the value');
  });

  it.each(['x', 'password', 'hunter2', '12345678'])('init refuses the guessable passphrase %j with WEAK_PASSPHRASE and creates nothing', async (weak) => {
    const { home, file, run } = await fresh(weak);
    const r = await run(['init', '--name', 'Ada', '--passphrase', '--no-keychain'], { env: { TESSERA_PASSPHRASE_FILE: file } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(errorLine('WEAK_PASSPHRASE'));
    expect(r.stderr).not.toContain(weak.length > 1 ? weak : '"x"');
    expect(await exists(join(home, 'profile.json'))).toBe(false);
  });
});
