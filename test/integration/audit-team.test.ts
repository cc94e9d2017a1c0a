/**
 * The team access log through a real relay: an owner turns it on; a viewer (who may write
 * nothing else) and an editor report what they revealed and copied; only owners and admins
 * read the reports; removing the viewer lists, per exposed value, when they revealed or
 * copied it. No value, and no secret name, reaches the relay's database.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { readAccessLog, reportAccess, setAccessPolicy } from '../../src-main/membership/access-log';
import { accessReportingSink } from '../../src-main/membership/access-reporter';
import { unlockProfile } from '../../src-main/profile/profile';
import { openVault } from '../../src-main/vaults/vaults';
import { cliProfile, onCleanup, relayInFolder } from '../helpers/cleanup';
import type { CliProfile } from '../helpers/cli';
import { requireKeychain } from '../helpers/keychain';
import { startRelay } from '../helpers/relay';
import { filesContaining } from './audit-helpers';

const profile = cliProfile;

/** The vault as `p` sees it, opened in this process (the profile unlocks with the OS keychain). */
async function vaultOf(p: CliProfile) {
  const { session } = await unlockProfile(nodeSuite, p.home, { keychain: createOsKeychain() });
  onCleanup(async () => session.lock());
  return openVault(session, 'Team');
}

describe('the team access log', () => {
  it('members report, owners read, the removed member\'s exposure says what they revealed or copied', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, dir } = await relayInFolder('tessera-access-');
    const [alice, bob, carol] = [await profile('Alice'), await profile('Bob'), await profile('Carol')];
    const values = { API_KEY: 'dev-api-value-5e1f0c77', DB_URL: 'postgres://dev:hunter2-team@db/dev' };

    await alice.ok(['vault', 'create', 'Team', '--relay', relay.url]);
    for (const [name, value] of Object.entries(values)) await alice.ok(['set', name, '--vault', 'Team', '--env', 'development'], { input: value });
    await alice.ok(['sync', '--vault', 'Team']);
    for (const [who, role] of [[bob, 'viewer'], [carol, 'editor']] as const) {
      const code = (await alice.ok(['invite', '--vault', 'Team', '--role', role, '--env', 'development'])).stdout.trim();
      const fingerprint = /\d{5}(?: \d{5}){11}/.exec((await who.ok(['join', code])).stdout)![0];
      await alice.ok(['approve', who === bob ? 'Bob' : 'Carol', '--vault', 'Team', '--fingerprint', fingerprint.slice(-5)]);
      await who.ok(['sync']);
    }

    const [aliceVault, bobVault, carolVault] = [await vaultOf(alice), await vaultOf(bob), await vaultOf(carol)];
    // Off until an owner or admin turns it on; members may not.
    expect(await reportAccess(bobVault, { action: 'reveal', secrets: ['API_KEY'], environment: 'development' })).toBe(false);
    await expect(setAccessPolicy(bobVault, ['reveal'])).rejects.toMatchObject({ code: 'NO_ACCESS' });
    const usage = await alice.run(['audit', 'policy', '--vault', 'Team', '--report', 'reveal,peek']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('Unknown action peek');
    await alice.ok(['audit', 'policy', '--vault', 'Team', '--report', 'reveal,copy,export']);
    expect(JSON.parse((await alice.ok(['audit', '--action', 'policy-changed', '--json'])).stdout)[0].detail).toEqual({ accessLog: ['reveal', 'copy', 'export'] });

    const t0 = Date.now();
    expect(await reportAccess(bobVault, { action: 'reveal', secrets: ['API_KEY'], environment: 'development', at: t0 })).toBe(true);
    expect(await reportAccess(bobVault, { action: 'copy', secrets: ['DB_URL'], environment: 'development', at: t0 + 1000 })).toBe(true);
    expect(await reportAccess(bobVault, { action: 'run', secrets: ['API_KEY'], environment: 'development' })).toBe(false);
    expect(await reportAccess(carolVault, { action: 'export', secrets: ['API_KEY', 'DB_URL'], environment: 'development', at: t0 + 2000 })).toBe(true);

    const log = await readAccessLog(aliceVault);
    expect(log.policy.actions).toEqual(['reveal', 'copy', 'export']);
    expect(log.refused).toBe(0);
    expect(log.entries.map((e) => [e.name, e.action, e.secrets, e.at])).toEqual([
      ['Carol', 'export', ['API_KEY', 'DB_URL'], t0 + 2000],
      ['Bob', 'copy', ['DB_URL'], t0 + 1000],
      ['Bob', 'reveal', ['API_KEY'], t0],
    ]);
    expect(log.entries[2]!.device).toBe(bobVault.session.profile.profileId);
    // Least privilege: an editor cannot read the reports (they are sealed to owners and admins).
    await expect(readAccessLog(carolVault)).rejects.toMatchObject({ code: 'NO_ACCESS' });
    expect((await carol.run(['audit', 'team', '--vault', 'Team'])).stderr).toMatch(/NO_ACCESS/);
    const table = (await alice.ok(['audit', 'team', '--vault', 'Team'])).stdout.split('\n');
    expect(table[0]).toMatch(/^TIME +MEMBER +ACTION +SECRETS +ENV +DEVICE$/);
    expect(table[1]).toMatch(/Carol +export +API_KEY,DB_URL +development/);
    expect(table[3]).toMatch(/Bob +reveal +API_KEY +development/);

    // Removing Bob: the exposure list says what he revealed and copied.
    const removed = JSON.parse((await alice.ok(['remove', 'Bob', '--vault', 'Team', '--json'])).stdout);
    expect(removed.access).toEqual([
      { name: 'API_KEY', environment: 'development', revealedAt: t0 },
      { name: 'DB_URL', environment: 'development', copiedAt: t0 + 1000 },
    ]);
    const shown = (await alice.ok(['exposure', '--vault', 'Team'])).stdout;
    expect(shown).toMatch(/API_KEY +development +\S+ +revealed \S+/);
    expect(shown).toMatch(/DB_URL +development +\S+ +copied \S+/);
    // A removed member's client can report no more.
    await expect(reportAccess(bobVault, { action: 'reveal', secrets: ['API_KEY'], environment: 'development' })).rejects.toMatchObject({ code: expect.stringMatching(/NO_ACCESS|RELAY_REJECTED/) });
    // After the removal rotated the metadata key, reports still go through and still read.
    expect(await reportAccess(carolVault, { action: 'reveal', secrets: ['DB_URL'], environment: 'development' })).toBe(true);
    expect((await readAccessLog(aliceVault)).entries[0]).toMatchObject({ name: 'Carol', action: 'reveal', secrets: ['DB_URL'] });

    // A member's client reports through its audit sink once a sync has brought the policy.
    await carol.ok(['sync']);
    const errors: unknown[] = [];
    const carolSink = accessReportingSink(carolVault.session, { onError: (e) => errors.push(e), timeoutMs: 2000 });
    await carolSink.record({ action: 'copy', vaultId: carolVault.id, vault: 'Team', secret: 'API_KEY', environment: 'development' });
    await carolSink.record({ action: 'secret-edited', vaultId: carolVault.id, vault: 'Team', secret: 'API_KEY', environment: 'development' });
    expect(errors).toEqual([]);
    expect((await readAccessLog(aliceVault)).entries.map((e) => [e.name, e.action, e.secrets])).toEqual([
      ['Carol', 'copy', ['API_KEY']],
      ['Carol', 'reveal', ['DB_URL']],
      ['Carol', 'export', ['API_KEY', 'DB_URL']],
      ['Bob', 'copy', ['DB_URL']],
      ['Bob', 'reveal', ['API_KEY']],
    ]);
    // Offline, a report waits and goes with the next one.
    await setAccessPolicy(aliceVault, ['reveal', 'copy', 'export', 'run']);
    await carol.ok(['sync']);
    const port = relay.port;
    await relay.kill('SIGTERM');
    await carolSink.record({ action: 'inject', vaultId: carolVault.id, vault: 'Team', secrets: ['DB_URL'], environment: 'development', detail: { command: 'npm test' } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'RELAY_UNREACHABLE' });
    expect(await filesContaining(carol.home, ['DB_URL'])).toEqual([]);
    const again = await startRelay(join(dir, 'relay.db'), { port });
    onCleanup(() => again.kill('SIGKILL'));
    await carolSink.record({ action: 'reveal', vaultId: carolVault.id, vault: 'Team', secret: 'API_KEY', environment: 'development' });
    expect(errors).toHaveLength(1);
    expect((await readAccessLog(aliceVault)).entries.slice(0, 2).map((e) => [e.action, e.secrets])).toEqual([['reveal', ['API_KEY']], ['run', ['DB_URL']]]);

    // The relay's database holds no value and no secret name, in any encoding.
    await again.kill('SIGTERM');
    expect(await filesContaining(dir, [...Object.values(values), 'API_KEY', 'DB_URL'])).toEqual([]);
    // Nor do the profiles' folders (the audit log, the queue of reports that waited, the policy kept by sync).
    for (const p of [alice, bob, carol]) expect(await filesContaining(p.home, [...Object.values(values), 'API_KEY', 'DB_URL'])).toEqual([]);
  });
});
