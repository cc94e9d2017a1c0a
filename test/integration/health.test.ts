/**
 * `tessera health` through the CLI: findings with their fixes, --json for scripts, exit 1
 * while there are findings and 0 once they are fixed; no value in any output.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCliProfile, type CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';

const SHARED = 'tok_shared_Zr8Qm2Lp5Xv9Kc3N';
const WEAK = 'password123';

let p: CliProfile | undefined;
afterAll(async () => {
  await p?.dispose();
});

describe('tessera health', () => {
  it('reports weak and reused values with fixes, exits 1 until they are fixed, then 0', async (ctx) => {
    await requireKeychain(ctx);
    p = await createCliProfile();
    await p.ok(['vault', 'create', 'Checkup', '--envs', 'dev,prod']);
    await p.ok(['set', 'DB_PASSWORD', '--vault', 'Checkup', '--env', 'prod'], { input: WEAK });
    await p.ok(['set', 'SERVICE_A_TOKEN', '--vault', 'Checkup', '--env', 'prod'], { input: SHARED });
    await p.ok(['set', 'SERVICE_A_TOKEN', '--vault', 'Checkup', '--env', 'dev'], { input: SHARED });
    await p.ok(['set', 'PORT', '--vault', 'Checkup', '--env', 'dev'], { input: '3000' });

    const json = await p.run(['health', '--vault', 'Checkup', '--json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('tessera: 3 findings [HEALTH_FINDINGS]\n');
    const findings = JSON.parse(json.stdout) as { kind: string; secret: string; environment?: string; fix: string }[];
    expect(findings.map((f) => [f.kind, f.secret, f.environment])).toEqual([
      ['reused', 'SERVICE_A_TOKEN', 'dev'],
      ['reused', 'SERVICE_A_TOKEN', 'prod'],
      ['weak', 'DB_PASSWORD', 'prod'],
    ]);
    const text = await p.run(['health']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^weak {6}Checkup\/DB_PASSWORD \(prod\): About \d+ bits of entropy; a password should have at least 50\n {10}fix: Rotate to a generated value: tessera rotate DB_PASSWORD --vault Checkup --env prod --generate custom:24$/m);
    for (const r of [json, text]) {
      expect(r.stdout + r.stderr).not.toContain(SHARED);
      expect(r.stdout + r.stderr).not.toContain(WEAK);
    }

    // Follow the fixes.
    await p.ok(['rotate', 'DB_PASSWORD', '--vault', 'Checkup', '--env', 'prod', '--generate', 'custom:24']);
    await p.ok(['rotate', 'SERVICE_A_TOKEN', '--vault', 'Checkup', '--env', 'dev', '--generate', 'base62']);
    const clean = await p.run(['health', '--vault', 'Checkup']);
    expect([clean.code, clean.stdout, clean.stderr]).toEqual([0, 'No findings: every secret is healthy\n', '']);
    expect(JSON.parse((await p.ok(['health', '--json'])).stdout)).toEqual([]);
  });
});
