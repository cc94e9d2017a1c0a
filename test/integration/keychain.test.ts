/**
 * The OS keychain adapter against the real thing: keytar talking to a running Secret
 * Service (gnome-keyring under dbus-run-session in CI), plus child processes that see no
 * D-Bus, no keytar, or a keytar that returns junk. Children are needed because libsecret
 * keeps its D-Bus connection for the life of the process, and because createRequire
 * bypasses vitest's module mocks.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createOsKeychain, mapKeytarError } from '../../src-main/keychain/os-keychain';
import { isTesseraError } from '../../src-shared/errors';

const RUN_WITH_SECRET_SERVICE =
  "dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npm test'";
const inCi = process.env.CI === 'true';
const onLinux = process.platform === 'linux';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// Messages keytar 7.9 gave on Linux in each situation, copied from real runs.
const OBSERVED = {
  noBusAtAll: 'Cannot autolaunch D-Bus without X11 $DISPLAY',
  busSocketMissing: 'Could not connect: No such file or directory',
  noSecretService: 'The name org.freedesktop.secrets was not provided by any .service files',
  noDefaultCollection: 'Object does not exist at path “/org/freedesktop/secrets/collection/login”',
  lockedCollection: 'Cannot create an item in a locked collection',
};

describe('mapKeytarError', () => {
  it.each([
    [OBSERVED.noBusAtAll, /No D-Bus session bus/],
    [OBSERVED.busSocketMissing, /No D-Bus session bus/],
    [OBSERVED.noSecretService, /No Secret Service is running/],
    ['GDBus.Error:org.freedesktop.DBus.Error.UnknownMethod: No such interface “org.freedesktop.Secret.Service”', /No Secret Service is running/],
    [OBSERVED.noDefaultCollection, /no default keyring/],
    ['No such secret collection at path: /', /no default keyring/],
    [OBSERVED.lockedCollection, /locked or the unlock prompt was dismissed/],
  ])('%s', (reason, meaning) => {
    const e = mapKeytarError(new Error(reason));
    expect(e.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(e.message).toMatch(meaning);
    expect(e.message).toContain(reason);
    expect(e.message).toMatch(/passphrase/);
    expect(e.details).toEqual({ reason });
  });

  it('points Linux users at gnome-keyring or KeePassXC', () => {
    const e = mapKeytarError(new Error(OBSERVED.noSecretService));
    expect(e.message).toMatch(/gnome-keyring.*KeePassXC/);
    expect(e.message).toContain('`tessera init --passphrase --no-keychain`');
  });

  it('maps an error it does not recognise to KEYCHAIN_UNAVAILABLE too, and scrubs the secret', () => {
    const e = mapKeytarError(new Error('weird failure storing c2VjcmV0'), 'c2VjcmV0');
    expect(e.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(e.message).not.toContain('c2VjcmV0');
    expect(JSON.stringify(e.details)).not.toContain('c2VjcmV0');
    expect(mapKeytarError('not even an Error').code).toBe('KEYCHAIN_UNAVAILABLE');
  });
});

type ChildReport = { step: string; ok: boolean; value?: unknown; code?: string; message?: string }[];

describe('os-keychain in a child process', () => {
  let dir: string;
  let script: string;
  const key = nodeSuite.randomBytes(32);
  const keyBase64 = Buffer.from(key).toString('base64');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-keychain-'));
    script = join(dir, 'child.mjs');
    // Bundled because there is no TypeScript loader for plain node here; keytar stays a
    // runtime require, found through NODE_PATH (or not, when a test wants it missing).
    await build({
      stdin: {
        contents: `
          import { createOsKeychain } from './os-keychain';
          const kc = createOsKeychain();
          const key = new Uint8Array(Buffer.from(process.env.CHILD_KEY, 'base64'));
          const report = [];
          for (const [step, run] of [
            ['get', () => kc.getDeviceKey('tessera-test-child')],
            ['set', () => kc.setDeviceKey('tessera-test-child', key)],
            ['delete', () => kc.deleteDeviceKey('tessera-test-child')],
          ]) {
            try {
              const value = await run();
              report.push({ step, ok: true, value: value instanceof Uint8Array ? Array.from(value) : value });
            } catch (e) {
              report.push({ step, ok: false, code: e.code, message: e.message });
            }
          }
          process.stdout.write(JSON.stringify(report));
        `,
        resolveDir: join(repoRoot, 'src-main/keychain'),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: script,
      logLevel: 'silent',
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the child with only the environment given, so no D-Bus or DISPLAY leaks in. */
  function runChild(env: Record<string, string>): Promise<ChildReport> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, CHILD_KEY: keyBase64, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`child exited with ${code}: ${err}`));
        else resolve(JSON.parse(out) as ChildReport);
      });
    });
  }

  function expectUnavailable(report: ChildReport, meaning: RegExp): void {
    expect(report.map((r) => r.step)).toEqual(['get', 'set', 'delete']);
    for (const r of report) {
      expect(r, r.step).toMatchObject({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
      expect(r.message).toMatch(meaning);
      expect(r.message).toMatch(/tessera init --passphrase --no-keychain/);
      expect(r.message).not.toContain(keyBase64);
    }
  }

  it('reports KEYCHAIN_UNAVAILABLE, not a crash, when keytar cannot be loaded', async () => {
    const report = await runChild({ NODE_PATH: join(dir, 'nothing-here') });
    expectUnavailable(report, /keytar is not installed or not built.*libsecret-1-dev/);
  });

  it.runIf(onLinux)('reports KEYCHAIN_UNAVAILABLE when the D-Bus socket does not exist', async () => {
    const report = await runChild({
      NODE_PATH: join(repoRoot, 'node_modules'),
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
    });
    expectUnavailable(report, /No D-Bus session bus.*Could not connect.*gnome-keyring/);
  });

  it.runIf(onLinux)('reports KEYCHAIN_UNAVAILABLE when there is no session bus at all', async () => {
    // No DBUS_SESSION_BUS_ADDRESS, DISPLAY or XDG_RUNTIME_DIR: GLib has nowhere to look.
    const report = await runChild({ NODE_PATH: join(repoRoot, 'node_modules') });
    expectUnavailable(report, /No D-Bus session bus.*gnome-keyring/);
  });

  it('reports MALFORMED for an entry that is not a 32-byte key, and never echoes it', async () => {
    // A stand-in keytar whose entry holds the base64 of 16 bytes, then plain junk.
    const fakeModules = join(dir, 'fake-modules');
    await mkdir(join(fakeModules, 'keytar'), { recursive: true });
    const short = Buffer.alloc(16, 0xab).toString('base64');
    await writeFile(
      join(fakeModules, 'keytar', 'index.js'),
      `const values = [${JSON.stringify(short)}, 'not base64 at all!'];
       let stored = values[Number(process.env.FAKE_VALUE)];
       exports.getPassword = async () => stored;
       exports.setPassword = async (_s, _a, v) => { stored = v; };
       exports.deletePassword = async () => true;`,
    );
    for (const which of ['0', '1']) {
      const report = await runChild({ NODE_PATH: fakeModules, FAKE_VALUE: which });
      expect(report[0]).toMatchObject({ step: 'get', ok: false, code: 'MALFORMED' });
      expect(report[0]!.message).not.toContain(short);
      expect(report[0]!.message).not.toContain('not base64');
      expect(report[1]).toMatchObject({ step: 'set', ok: true });
      expect(report[2]).toMatchObject({ step: 'delete', ok: true, value: true });
    }
  });
});

describe('os-keychain against a real Secret Service', () => {
  const keychain = createOsKeychain();
  const profileId = `tessera-test-${randomUUID()}`;
  let unreachable: string | null = null;

  beforeAll(async () => {
    // A write, not a read: a locked or missing collection answers reads with "no entry".
    const probeId = `tessera-test-probe-${randomUUID()}`;
    try {
      await keychain.setDeviceKey(probeId, nodeSuite.randomBytes(32));
      await keychain.deleteDeviceKey(probeId);
    } catch (e) {
      if (!isTesseraError(e, 'KEYCHAIN_UNAVAILABLE')) throw e;
      unreachable = e.message;
    }
  });

  afterAll(async () => {
    if (unreachable === null) await keychain.deleteDeviceKey(profileId).catch(() => undefined);
  });

  function needSecretService(ctx: TestContext): void {
    if (unreachable === null) return;
    if (inCi) throw new Error(`CI must provide a Secret Service, but: ${unreachable}`);
    ctx.skip(`no Secret Service reachable: ${unreachable} To run these tests: ${RUN_WITH_SECRET_SERVICE}`);
  }

  it('sets, gets, replaces and deletes a device key', async (ctx) => {
    needSecretService(ctx);
    const first = nodeSuite.randomBytes(32);
    const second = nodeSuite.randomBytes(32);
    expect(await keychain.getDeviceKey(profileId)).toBeNull();
    await keychain.setDeviceKey(profileId, first);
    expect(await keychain.getDeviceKey(profileId)).toEqual(first);
    await keychain.setDeviceKey(profileId, second);
    expect(await keychain.getDeviceKey(profileId)).toEqual(second);
    expect(await keychain.deleteDeviceKey(profileId)).toBe(true);
    expect(await keychain.getDeviceKey(profileId)).toBeNull();
    expect(await keychain.deleteDeviceKey(profileId)).toBe(false);
  });

  it('keeps profiles apart', async (ctx) => {
    needSecretService(ctx);
    const other = `${profileId}-other`;
    const a = nodeSuite.randomBytes(32);
    const b = nodeSuite.randomBytes(32);
    try {
      await keychain.setDeviceKey(profileId, a);
      await keychain.setDeviceKey(other, b);
      expect(await keychain.getDeviceKey(profileId)).toEqual(a);
      expect(await keychain.getDeviceKey(other)).toEqual(b);
      await keychain.deleteDeviceKey(other);
      expect(await keychain.getDeviceKey(profileId)).toEqual(a);
    } finally {
      await keychain.deleteDeviceKey(other).catch(() => undefined);
      await keychain.deleteDeviceKey(profileId).catch(() => undefined);
    }
  });

  it('refuses a key that is not 32 bytes before touching the keychain', async (ctx) => {
    needSecretService(ctx);
    await expect(keychain.setDeviceKey(profileId, new Uint8Array(31))).rejects.toMatchObject({ code: 'MALFORMED' });
    expect(await keychain.getDeviceKey(profileId)).toBeNull();
  });
});
