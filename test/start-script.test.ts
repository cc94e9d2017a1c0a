/**
 * `npm start` (scripts/start.mjs) where the Electron binary is not installed: one line that
 * says what works, never a download attempt when ELECTRON_SKIP_BINARY_DOWNLOAD is set, and
 * no stack trace when the download fails. The binary is made absent with Electron's own
 * ELECTRON_OVERRIDE_DIST_PATH (an empty folder) and the download is pointed at a local
 * server that answers 404 (ELECTRON_MIRROR), with an empty download cache, so nothing is
 * fetched or written into node_modules whatever this machine has.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let server: Server;
let mirror: string;
const requests: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-start-'));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ELECTRON_|electron_|npm_config_electron)/i.test(k)) base[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      env: { ...base, ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron-here'), ELECTRON_MIRROR: mirror, electron_config_cache: join(dir, 'cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One line, no stack frames, advice that installs Electron 45's binary and the CLI as the way on. */
function expectOneLineAdvice(r: { code: number | null; stdout: string; stderr: string }): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Downloading/);
  expect(r.stderr).not.toContain('npm rebuild electron'); // Electron 45 has no install script: it rebuilds nothing
  expect(r.stderr).toContain('`npx install-electron`');
  expect(r.stderr).toContain('tessera');
}

describe('npm start without the Electron binary', () => {
  it('with ELECTRON_SKIP_BINARY_DOWNLOAD=1: one line, and no download is tried', async () => {
    const before = requests.length;
    const r = await start({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expectOneLineAdvice(r);
    expect(r.stderr).toMatch(/^Tessera: the Electron binary is not installed \(ELECTRON_SKIP_BINARY_DOWNLOAD is set\)/);
    expect(requests.length).toBe(before);
  });

  it('when the download fails: it was tried, and one line says why, without the stack', async () => {
    const before = requests.length;
    const r = await start({});
    expect(requests.length).toBeGreaterThan(before);
    expectOneLineAdvice(r);
    expect(r.stderr).toMatch(/^Tessera: the Electron binary is not installed and could not be downloaded \(.*404.*\)/);
  });
});
