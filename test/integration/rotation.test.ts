/**
 * Rotation and the secret lifecycle through the CLI, as a user runs them: rotate (typed on
 * stdin, generated, by a rotator), grace windows in history, rollback, retire/restore and
 * export, policies and the list's rotation column, confirmed delete. No command prints a
 * value except get and export.
 */
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createCliProfile, errorLine, type CliProfile, type CliResult, type RunOptions } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const V1 = 'sk_test_first_9fQ2mLx7RtZ4wK8p';
const V2 = 'sk_test_second_Hc3Nv6Yb1Gd5Tj0q';
const FROM_ROTATOR = 'sk_test_from_rotator_Wq7Ls2Kx9Pm4';
const VALUES = [V1, V2, FROM_ROTATOR];

let shared: Promise<CliProfile> | undefined;
async function profile(ctx: TestContext): Promise<CliProfile> {
  await requireKeychain(ctx);
  shared ??= createCliProfile();
  return shared;
}
afterAll(async () => {
  await (await shared?.catch(() => undefined))?.dispose();
});

async function tessera(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await p.run(args, opts);
  if (args[0] !== 'get' && args[0] !== 'export') {
    for (const v of VALUES) expect(r.stdout + r.stderr, `a value in the output of tessera ${args.join(' ')}`).not.toContain(v);
  }
  return r;
}

async function ok(p: CliProfile, args: readonly string[], opts?: RunOptions): Promise<CliResult> {
  const r = await tessera(p, args, opts);
  expect(r.code, `tessera ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

const nodeScript = (script: string) => [process.execPath, '-e', script];
type Version = { version: number; note: string; current: boolean; standing: string };

describe('tessera rotate, rollback and history', () => {
  it('rotates a typed value, a generated one with a grace window, and rolls back', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Rot', '--envs', 'dev,prod']);
    await ok(p, ['set', 'API_KEY', '--vault', 'Rot', '--env', 'dev'], { input: `${V1}\n` });

    const typed = await ok(p, ['rotate', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--note', 'quarterly'], { input: `${V2}\n` });
    expect(typed.stderr).toContain('Rotated API_KEY in dev: version 2');
    expect(typed.stderr).toContain('Version 1 is revoked');
    expect((await ok(p, ['get', 'API_KEY', '--vault', 'Rot', '--env', 'dev'])).stdout).toBe(V2);

    const generated = await ok(p, ['rotate', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--generate', 'base62:40', '--grace', '7']);
    expect(generated.stderr).toMatch(/version 3 \(generated, ~238 bits/);
    expect(generated.stderr).toMatch(/Version 2 stays valid until \d{4}-\d{2}-\d{2}T/);
    const value3 = (await ok(p, ['get', 'API_KEY', '--vault', 'Rot', '--env', 'dev'])).stdout;
    expect(value3).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generated.stderr).not.toContain(value3);

    const back = await ok(p, ['rollback', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--to', '1']);
    expect(back.stderr).toContain('saved as version 4');
    expect((await ok(p, ['get', 'API_KEY', '--vault', 'Rot', '--env', 'dev'])).stdout).toBe(V1);
    const history = JSON.parse((await ok(p, ['history', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--json'])).stdout) as Version[];
    expect(history.map((v) => [v.version, v.note, v.standing.replace(/\d.*/, 'DATE')])).toEqual([
      [1, '', 'revoked'],
      [2, 'quarterly', 'valid until DATE'],
      // A rollback is not a rotation: the value it steps back from may still work at the provider.
      [3, 'rotated: generated base62', 'replaced'],
      [4, 'rollback to version 1', 'current'],
    ]);
    const rollbackNowhere = await tessera(p, ['rollback', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--to', '9']);
    expect([rollbackNowhere.code, rollbackNowhere.stderr]).toEqual([1, expect.stringMatching(errorLine('NOT_FOUND'))]);
    const empty = await tessera(p, ['rotate', 'API_KEY', '--vault', 'Rot', '--env', 'dev'], { input: '' });
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringMatching(errorLine('INVALID_INPUT'))]);
    const both = await tessera(p, ['rotate', 'API_KEY', '--vault', 'Rot', '--env', 'dev', '--generate', 'hex', '--rotator']);
    expect(both.code).toBe(1);
  });

  it('runs a rotator only once approved, shows its stderr, and saves nothing when it fails or times out', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Rotators', '--envs', 'prod']);
    await ok(p, ['set', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod'], { input: V1 });
    const get = async () => (await ok(p, ['get', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod'])).stdout;

    await ok(p, ['rotator', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--', ...nodeScript(`console.error("created a key for " + process.env.TESSERA_SECRET); console.log(${JSON.stringify(FROM_ROTATOR.slice(0, 8))} + ${JSON.stringify(FROM_ROTATOR.slice(8))})`)]);
    const refused = await tessera(p, ['rotate', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod', '--rotator']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(JSON.stringify(process.execPath)); // the command is shown for review
    expect(refused.stderr).toMatch(/--trust-rotator/);
    expect(refused.stderr).toMatch(/\[ROTATOR_NOT_TRUSTED\]\n$/);
    expect(await get()).toBe(V1);

    const rotated = await ok(p, ['rotate', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod', '--rotator', '--trust-rotator']);
    expect(rotated.stderr).toContain('rotator: created a key for PROVIDER_TOKEN\n');
    expect(await get()).toBe(FROM_ROTATOR);

    await ok(p, ['rotator', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--', ...nodeScript('console.error("provider answered 401"); process.exit(2)')]);
    const failed = await tessera(p, ['rotate', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod', '--rotator', '--trust-rotator']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('rotator: provider answered 401\n');
    expect(failed.stderr).toMatch(/exited with code 2; nothing was saved \[ROTATOR_FAILED\]\n$/);

    await ok(p, ['rotator', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--timeout', '1', '--', ...nodeScript('setInterval(() => {}, 1000)')]);
    const slow = await tessera(p, ['rotate', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod', '--rotator', '--trust-rotator']);
    expect([slow.code, slow.stderr]).toEqual([1, expect.stringMatching(/\[ROTATOR_TIMEOUT\]\n$/)]);

    expect(await get()).toBe(FROM_ROTATOR);
    const history = JSON.parse((await ok(p, ['history', 'PROVIDER_TOKEN', '--vault', 'Rotators', '--env', 'prod', '--json'])).stdout) as Version[];
    expect(history.map((v) => v.note)).toEqual(['', 'rotated by rotator node']);
  });
});

describe('tessera retire, restore, delete and policy', () => {
  it('retired secrets leave export and refuse rotation; restore brings them back', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Life', '--envs', 'dev']);
    await ok(p, ['set', 'OLD_KEY', '--vault', 'Life', '--env', 'dev'], { input: V1 });
    await ok(p, ['set', 'NEW_KEY', '--vault', 'Life', '--env', 'dev'], { input: V2 });
    await ok(p, ['retire', 'OLD_KEY', '--vault', 'Life']);
    const exported = await ok(p, ['export', '--vault', 'Life', '--env', 'dev', '--format', 'json']);
    expect(JSON.parse(exported.stdout)).toEqual({ NEW_KEY: V2 });
    expect((await ok(p, ['list', '--vault', 'Life'])).stdout).toMatch(/^OLD_KEY \(retired\)\s+dev\s+none$/m);
    const rotate = await tessera(p, ['rotate', 'OLD_KEY', '--vault', 'Life', '--env', 'dev', '--generate', 'hex']);
    expect([rotate.code, rotate.stderr]).toEqual([1, expect.stringMatching(errorLine('SECRET_RETIRED'))]);
    await ok(p, ['restore', 'OLD_KEY', '--vault', 'Life']);
    expect(Object.keys(JSON.parse((await ok(p, ['export', '--vault', 'Life', '--env', 'dev', '--format', 'json'])).stdout)).sort()).toEqual(['NEW_KEY', 'OLD_KEY']);

    const unconfirmed = await tessera(p, ['delete', 'OLD_KEY', '--vault', 'Life']);
    expect([unconfirmed.code, unconfirmed.stderr]).toEqual([1, expect.stringMatching(errorLine('CONFIRMATION_REQUIRED'))]);
    expect((await ok(p, ['delete', 'OLD_KEY', '--vault', 'Life', '--confirm', 'OLD_KEY'])).stderr).toContain('Deleted OLD_KEY (1 versions purged)');
    const gone = await tessera(p, ['history', 'OLD_KEY', '--vault', 'Life', '--env', 'dev']);
    expect(gone.stderr).toMatch(errorLine('NOT_FOUND'));
  });

  it('sets policies per secret and defaults per environment; the list shows the rotation state', async (ctx) => {
    const p = await profile(ctx);
    await ok(p, ['vault', 'create', 'Policies', '--envs', 'dev,production']);
    await ok(p, ['set', 'STRIPE_KEY', '--vault', 'Policies', '--env', 'production'], { input: V1 });
    await ok(p, ['set', 'LOCAL_KEY', '--vault', 'Policies', '--env', 'dev'], { input: V2 });
    const state = async () => Object.fromEntries((JSON.parse((await ok(p, ['list', '--vault', 'Policies', '--json'])).stdout) as { name: string; rotationState: string }[]).map((s) => [s.name, s.rotationState]));
    expect(await state()).toEqual({ LOCAL_KEY: 'none', STRIPE_KEY: 'none' });

    await ok(p, ['policy', '--vault', 'Policies', '--env', 'production', '--every', '90d']);
    const defaults = JSON.parse((await ok(p, ['policy', '--vault', 'Policies', '--json'])).stdout);
    expect(defaults).toEqual({ vault: null, environments: [{ environment: 'dev', intervalDays: null }, { environment: 'production', intervalDays: 90 }] });
    expect(await state()).toEqual({ LOCAL_KEY: 'none', STRIPE_KEY: 'ok' });

    await ok(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', '--every', '30d', '--expires', '2999-01-01']);
    const shown = JSON.parse((await ok(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', '--json'])).stdout);
    expect(shown.environments).toEqual([expect.objectContaining({ environment: 'dev', intervalDays: 30, state: 'ok', daysLeft: 30, expiresDate: '2999-01-01' })]);
    // An expiry already past: expired shows in the list.
    await ok(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', '--expires', '2001-01-01']);
    expect(await state()).toEqual({ LOCAL_KEY: 'expired', STRIPE_KEY: 'ok' });
    expect((await ok(p, ['list', '--vault', 'Policies'])).stdout).toMatch(/^LOCAL_KEY\s+dev\s+expired$/m);
    await ok(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', '--every', 'none', '--expires', 'none']);
    expect(await state()).toEqual({ LOCAL_KEY: 'none', STRIPE_KEY: 'ok' });

    // An imported key 40 days old on a 30-day policy: overdue, in the list and in health, until rotated.
    const fortyDaysAgo = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    await ok(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', '--every', '30d', '--rotated-at', fortyDaysAgo]);
    expect(await state()).toEqual({ LOCAL_KEY: 'overdue', STRIPE_KEY: 'ok' });
    const health = await tessera(p, ['health', '--vault', 'Policies', '--json']);
    expect(health.code).toBe(1);
    expect((JSON.parse(health.stdout) as { kind: string; secret: string }[]).filter((f) => f.kind.startsWith('rotation'))).toEqual([
      expect.objectContaining({ kind: 'rotation-overdue', secret: 'LOCAL_KEY', environment: 'dev' }),
    ]);
    await ok(p, ['rotate', 'LOCAL_KEY', '--vault', 'Policies', '--env', 'dev', '--generate', 'base62']);
    expect(await state()).toEqual({ LOCAL_KEY: 'ok', STRIPE_KEY: 'ok' });
    const history = JSON.parse((await ok(p, ['history', 'LOCAL_KEY', '--vault', 'Policies', '--env', 'dev', '--json'])).stdout) as Version[];
    expect(history.map((v) => v.standing)).toEqual(['revoked', 'current']);

    for (const bad of [['--every', 'often'], ['--every', '0d'], ['--expires', 'tomorrow']]) {
      const r = await tessera(p, ['policy', 'LOCAL_KEY', '--vault', 'Policies', ...bad]);
      expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(errorLine('INVALID_INPUT'))]);
    }
  });
});
