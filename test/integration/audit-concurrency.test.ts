/**
 * Several processes (the desktop app and `tessera` commands) appending to one profile's
 * audit log at the same moment: one unbroken chain, nothing lost, each process's events in
 * the order it recorded them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditLog } from '../../src-main/audit/audit-log';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createProfile, unlockProfile } from '../../src-main/profile/profile';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

// A process that unlocks the profile with its passphrase and records `count` events one by one.
const WRITER = `
import { openAuditLog } from './src-main/audit/audit-log';
import { nodeSuite } from './src-node/crypto/node-suite';
import { unlockProfile } from './src-main/profile/profile';
const [home, name, count] = process.argv.slice(2);
const { session } = await unlockProfile(nodeSuite, home, { passphrase: async () => process.env.AUDIT_TEST_PASSPHRASE });
const log = await openAuditLog(session);
for (let i = 0; i < Number(count); i++) await log.record({ action: 'copy', vault: 'Team', secret: name + '_' + i, environment: 'development' });
await log.close();
session.lock();
`;

function run(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, AUDIT_TEST_PASSPHRASE: 'correct horse battery staple' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

describe('the audit log across processes', () => {
  it('keeps one chain when three processes append at once', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-audit-procs-'));
    dirs.push(dir);
    const home = join(dir, 'profile');
    const session = await createProfile(nodeSuite, home, { name: 'Ada', passphrase: 'correct horse battery staple' });
    session.lock();
    const script = join(dir, 'writer.mjs');
    await build({
      stdin: { contents: WRITER, resolveDir: ROOT, loader: 'ts', sourcefile: 'writer.ts' },
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      external: ['sodium-native'],
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
      nodePaths: [join(ROOT, 'node_modules')],
    });

    const codes = await Promise.all(['A', 'B', 'C'].map((name) => run(script, [home, name, '60'])));
    expect(codes).toEqual([0, 0, 0]);

    const { session: again } = await unlockProfile(nodeSuite, home, { passphrase: async () => 'correct horse battery staple' });
    const log = await openAuditLog(again);
    expect(await log.verify()).toMatchObject({ ok: true, events: 180 });
    const names = (await log.query()).map((e) => e.secret!).reverse();
    expect(new Set(names).size).toBe(180);
    for (const name of ['A', 'B', 'C']) {
      expect(names.filter((n) => n.startsWith(`${name}_`))).toEqual(Array.from({ length: 60 }, (_, i) => `${name}_${i}`));
    }
    again.lock();
  });
});
