/**
 * A profile made before devices existed (a saved one, with its relay's database) opens with
 * this version as it is: its vaults and values are there, it is its person's first device
 * with no step of its own, and it links a second computer like any other.
 */
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintIn, runCli, type RunOptions } from '../helpers/cli';
import { cliProfile, onCleanup } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { startRelay } from '../helpers/relay';

const FIXTURE = new URL('../fixtures/profile-before-devices/', import.meta.url).pathname;
const PASSPHRASE = 'fixture passphrase for the upgrade test, not a secret';

describe('a profile from before devices', () => {
  it('keeps its vaults, is its person’s first device, and links a second one', { timeout: 180_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'tessera-upgrade-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    await cp(FIXTURE, dir, { recursive: true });
    const pass = join(dir, 'passphrase');
    await writeFile(pass, PASSPHRASE);
    await chmod(pass, 0o600);
    const relay = await startRelay(join(dir, 'relay.db'));
    onCleanup(() => relay.kill('SIGKILL'));
    const home = join(dir, 'home');
    const old = async (args: readonly string[], o: RunOptions = {}) => {
      const r = await runCli(home, args, { ...o, env: { TESSERA_PASSPHRASE_FILE: pass } });
      if (r.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    };

    await old(['vault', 'relay', 'payments', relay.url]); // the relay runs on another port now
    expect((await old(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('staging-from-before');
    expect((await old(['get', 'NOTE', '--vault', 'notes', '--env', 'development'])).stdout).toBe('kept-here');
    expect((await old(['sync', '--vault', 'payments'])).stdout).toMatch(/^payments: pushed 0, pulled 0/m);
    const devices = JSON.parse((await old(['device', 'list', '--json'])).stdout) as { name: string; you: boolean; vaults: string[] }[];
    expect(devices.map((d) => [d.name, d.you, d.vaults.sort()])).toEqual([['first device', true, ['notes', 'payments']]]);

    const code = (await old(['device', 'link'])).stdout.trim();
    const desktop = await cliProfile('Ada');
    const fp = fingerprintIn((await desktop.ok(['device', 'add', code, '--name', 'desktop', '--wait', '0'])).stdout)!;
    expect((await old(['device', 'approve', fp.slice(0, 11)])).stderr).toContain('to 1 vault(s): payments');
    await desktop.ok(['sync']);
    expect((await desktop.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('staging-from-before');
    expect((await desktop.ok(['get', 'LOCAL_KEY', '--vault', 'payments', '--env', 'development'])).stdout).toBe('local-only');
    // The vault never shared stays on the first device only.
    expect((await desktop.run(['get', 'NOTE', '--vault', 'notes', '--env', 'development'])).code).toBe(1);
  });
});
