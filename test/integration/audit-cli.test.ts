/**
 * The audit log as a user meets it: member commands through a real relay record events,
 * `tessera audit` lists and filters them, `audit verify` notices a cut log, `audit alerts`
 * reports it, and no secret value used along the way is anywhere in the audit files.
 */
import { truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProfile, relayInFolder } from '../helpers/cleanup';
import { errorLine } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';
import { filesContaining } from './audit-helpers';

const profile = cliProfile;

describe('tessera audit', () => {
  it('lists, filters and exports what member commands did; verify notices a cut log; alerts say so', { timeout: 180_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay } = await relayInFolder('tessera-audit-');
    const [alice, bob] = [await profile('Alice'), await profile('Bob')];
    const values = ['sk_live_AuditValue_8f3a91c2', 'postgres://svc:Pa55-audit@db/prod'];

    expect((await alice.ok(['audit'])).stderr).toBe('No events.\n');
    await alice.ok(['vault', 'create', 'Team', '--relay', relay.url]);
    await alice.ok(['set', 'STRIPE_KEY', '--vault', 'Team', '--env', 'production'], { input: values[0] });
    await alice.ok(['set', 'DATABASE_URL', '--vault', 'Team', '--env', 'development'], { input: values[1] });
    await alice.ok(['sync', '--vault', 'Team']);
    const code = (await alice.ok(['invite', '--vault', 'Team', '--role', 'viewer', '--env', 'development'])).stdout.trim();
    const bobFp = /\d{5}(?: \d{5}){11}/.exec((await bob.ok(['join', code])).stdout)![0];
    await alice.ok(['approve', 'Bob', '--vault', 'Team', '--fingerprint', bobFp.slice(-5)]);
    await alice.ok(['rotate-keys', '--vault', 'Team']);
    await alice.ok(['remove', 'Bob', '--vault', 'Team']);

    const events = JSON.parse((await alice.ok(['audit', '--json'])).stdout) as { action: string; vault: string; detail?: Record<string, unknown>; subject?: string }[];
    expect(events.map((e) => e.action)).toEqual(['remove-member', 'rotate-keys', 'approve', 'invite', 'secret-created', 'secret-created']);
    expect(events.slice(4).map((e) => [(e as { secret?: string }).secret, e.detail])).toEqual([
      ['DATABASE_URL', { fields: ['value'] }],
      ['STRIPE_KEY', { fields: ['value'] }],
    ]);
    expect(events.every((e) => e.vault === 'Team')).toBe(true);
    expect(events[3]!.detail).toMatchObject({ role: 'viewer', environments: ['development'] });
    expect(events[2]).toMatchObject({ detail: { name: 'Bob', role: 'viewer' } });
    expect(events[2]!.subject).toMatch(/^[0-9a-f]{16}$/);
    expect(events[0]!.detail).toMatchObject({ name: 'Bob', exposedValues: 1 });

    expect(JSON.parse((await alice.ok(['audit', '--action', 'invite', '--json'])).stdout)).toHaveLength(1);
    expect(JSON.parse((await alice.ok(['audit', '--vault', 'Elsewhere', '--json'])).stdout)).toEqual([]);
    expect(JSON.parse((await alice.ok(['audit', '--since', '1h', '--json'])).stdout)).toHaveLength(6);
    const csv = (await alice.ok(['audit', '--vault', 'Team', '--csv'])).stdout.trimEnd().split('\r\n');
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(/^seq,time,action,vault/);
    const table = (await alice.ok(['audit'])).stdout;
    expect(table).toMatch(/^TIME +ACTION +VAULT/);
    expect(table).toContain('approve');

    const bad = await alice.run(['audit', '--since', 'yesterday-ish']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(errorLine('INVALID_INPUT'));

    expect((await alice.ok(['audit', 'verify'])).stdout).toMatch(/intact: 6 events, 0 signed checkpoints/);
    const alerts = JSON.parse((await alice.ok(['audit', 'alerts', '--json'])).stdout) as { rule: string; vault?: string }[];
    expect(alerts.map((a) => a.rule)).toEqual(['new-member']);

    // No value set in the vault is in the audit files, in any encoding.
    expect(await filesContaining(join(alice.home, 'audit'), values)).toEqual([]);

    // Someone cuts the last event off.
    const log = join(alice.home, 'audit', 'audit.log');
    await truncate(log, (await stat(log)).size - 30);
    const verify = await alice.run(['audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(errorLine('TAMPERED'));
    expect(verify.stderr).toContain('#5'); // the last of six events (numbered from 0)
    // The break is itself recorded, once, and raised as an alert.
    await alice.run(['audit', 'verify']);
    expect(JSON.parse((await alice.ok(['audit', '--action', 'tampering', '--json'])).stdout)).toHaveLength(1);
    const after = JSON.parse((await alice.ok(['audit', 'alerts', '--json'])).stdout) as { rule: string; severity: string }[];
    expect(after[0]).toMatchObject({ rule: 'tampering', severity: 'critical' });
  });
});
