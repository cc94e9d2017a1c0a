/**
 * The README's two set-up commands are what CI runs on its fresh machine (.ci/run reads them
 * out of README.md), the set-up script works as root and through sudo, and CI's closing
 * line stays one plain line when the tests never wrote their results.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { readmeCommand as readmeCommandJs } from '../scripts/readme-commands.mjs';

const readmeCommand = readmeCommandJs as (readme: string, which: 'app' | 'test') => string;

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const readme = () => readFile(join(root, 'README.md'), 'utf8');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-ci-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the README's set-up commands", () => {
  it('are read out of the README for the app and for the tests', async () => {
    const text = await readme();
    const app = readmeCommand(text, 'app');
    const test = readmeCommand(text, 'test');
    expect(app).toBe('sh scripts/setup-debian.sh app && npm install && npm start');
    expect(test).toBe('sh scripts/setup-debian.sh test && npm ci && npm run test:ci');
    // .ci/run appends vitest's reporter options to the test command: it must end in test:ci.
    expect(test).toMatch(/npm run test:ci$/);
    expect(() => readmeCommand('# nothing here', 'app')).toThrow(/app/);
  });

  it('are the commands .ci/run runs', async () => {
    const ci = await readFile(join(root, '.ci', 'run'), 'utf8');
    expect(ci).toContain('node scripts/readme-commands.mjs test');
    expect(ci).toContain('node scripts/readme-commands.mjs app');
  });

  it("install every package CI installs, so CI's own list cannot hide a missing one", async () => {
    const ci = await readFile(join(root, '.ci', 'run'), 'utf8');
    const list = /APT_PACKAGES=\(([\s\S]*?)\n\)/.exec(ci)![1]!.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    expect(list.length).toBeGreaterThan(3);
    const { stdout } = await run('sh', [join(root, 'scripts/setup-debian.sh'), '--list', 'test']);
    const installed = stdout.trim().split(/\s+/);
    for (const p of list) expect(installed, p).toContain(p);
  });
});

describe('scripts/setup-debian.sh', () => {
  /** Runs the script with stand-ins for id, sudo and apt-get that log how they were called. */
  async function setup(uid: number, which: string): Promise<{ code: number; log: string[]; stderr: string }> {
    const bin = await mkdtemp(join(dir, 'bin-'));
    const log = join(bin, 'log');
    const stub = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    await stub('id', `[ "$1" = -u ] && echo ${uid}`);
    await stub('apt-get', `echo "apt-get $*" >> ${log}`);
    await stub('apt-cache', `echo "Candidate: 1.0"`);
    await stub('sudo', `echo "sudo $1" >> ${log}; exec "$@"`);
    try {
      // The stand-ins come first on PATH: the real sudo and apt-get are never reached.
      const r = await run('sh', [join(root, 'scripts/setup-debian.sh'), which], { env: { PATH: `${bin}:/usr/bin:/bin` } });
      return { code: 0, log: (await readFile(log, 'utf8').catch(() => '')).trim().split('\n'), stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stderr: string };
      return { code: err.code, log: (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean), stderr: err.stderr };
    }
  }

  it('as root: apt-get update, then the install, without sudo', async () => {
    const r = await setup(0, 'test');
    expect(r.code).toBe(0);
    expect(r.log[0]).toBe('apt-get update');
    expect(r.log[1]).toMatch(/^apt-get install -y --no-install-recommends .*\blibsecret-1-dev\b.*\bchromium\b/);
    expect(r.log.some((l) => l.startsWith('sudo'))).toBe(false);
  });

  it('as a user: the same through sudo', async () => {
    const r = await setup(1000, 'app');
    expect(r.code).toBe(0);
    expect(r.log).toEqual(['sudo apt-get', 'apt-get update', 'sudo env', expect.stringMatching(/^apt-get install -y --no-install-recommends .*\blibsecret-1-dev\b/)]);
    expect(r.log[3]).not.toContain('chromium'); // the app alone needs no test browser
  });

  it('refuses an unknown set with a usage line (exit 2)', async () => {
    const r = await setup(0, 'everything');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: sh scripts\/setup-debian\.sh app\|test\n$/);
    expect(r.log).toEqual([]);
  });
});

describe("CI's closing line (scripts/test-summary.mjs)", () => {
  async function summary(file: string): Promise<{ stdout: string; stderr: string }> {
    return run(process.execPath, [join(root, 'scripts/test-summary.mjs'), file]);
  }

  it('counts passed, failed and skipped tests from vitest.json', async () => {
    const file = join(dir, 'vitest.json');
    await writeFile(file, JSON.stringify({ numPassedTests: 740, numFailedTests: 2, numPendingTests: 3, numTodoTests: 1 }));
    expect(await summary(file)).toEqual({ stdout: 'tests: 740 passed, 2 failed, 4 skipped\n', stderr: '' });
  });

  it('is one plain line, not a stack trace, when the results are missing or unreadable', async () => {
    const missing = await summary(join(dir, 'never-written.json'));
    expect(missing.stdout).toBe('tests: no results (never-written.json was not written: the run stopped before vitest finished)\n');
    expect(missing.stderr).toBe('');
    const torn = join(dir, 'torn.json');
    await writeFile(torn, '{"numPassedTests": 7');
    const r = await summary(torn);
    expect(r.stdout).toMatch(/^tests: no results \(torn\.json is not vitest's JSON: [^\n]+\)\n$/);
    expect(r.stderr).toBe('');
  });
});
