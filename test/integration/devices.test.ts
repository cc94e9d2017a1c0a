/**
 * A person's second computer, through a real relay process: Ada links her desktop from her
 * laptop; the desktop then holds every vault Ada holds, in exactly her environments; both
 * devices write and converge; the team sees one Ada; Ada revokes the desktop from the laptop,
 * the relay refuses it and nothing written afterwards opens with its keys (every envelope and
 * snapshot in the relay's database); and a relay that swaps the new device's keys in the link
 * request is caught before anything is linked.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createJoinRequest, decodeDeviceCode } from '../../src-shared/membership/invite';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { unlockProfile } from '../../src-main/profile/profile';
import { cliProfile, relayInFolder } from '../helpers/cleanup';
import { relayEnvelopes } from '../helpers/relay';
import { requireKeychain } from '../helpers/keychain';
import { fingerprintIn, type CliProfile } from '../helpers/cli';


/** Every scope key a profile holds. */
async function heldKeys(p: CliProfile): Promise<Uint8Array[]> {
  const { session } = await unlockProfile(nodeSuite, p.home, { keychain: createOsKeychain() });
  const keys = [...session.keys.vaults.values()].flatMap((v) => [...v.scopes.values()].flatMap((epochs) => [...epochs.values()].map((k) => k.slice())));
  session.lock();
  return keys;
}

/**
 * Olive owns "payments" and made Ada an editor of development and staging; Ada owns "tools".
 * Both vaults are on one relay; Ada's laptop is her first device.
 */
async function team() {
  const { relay, db } = await relayInFolder('tessera-devices-');
  const [olive, laptop] = [await cliProfile('Olive'), await cliProfile('Ada')];
  await olive.ok(['vault', 'create', 'payments', '--relay', relay.url]);
  for (const env of ['development', 'staging', 'production']) await olive.ok(['set', 'STRIPE_KEY', '--vault', 'payments', '--env', env], { input: `${env}-stripe-value` });
  await olive.ok(['sync', '--vault', 'payments']);
  const invite = (await olive.ok(['invite', '--vault', 'payments', '--role', 'editor', '--env', 'development,staging'])).stdout.trim();
  const fp = fingerprintIn((await laptop.ok(['join', invite])).stdout)!;
  await olive.ok(['approve', fp.slice(0, 11), '--vault', 'payments']);
  await laptop.ok(['sync']);
  await laptop.ok(['vault', 'create', 'tools', '--relay', relay.url]);
  await laptop.ok(['set', 'NPM_TOKEN', '--vault', 'tools', '--env', 'production'], { input: 'npm-token-value' });
  await laptop.ok(['sync']);
  return { relay, db, olive, laptop };
}

describe('your own devices', () => {
  it('a linked desktop holds every vault in exactly Ada’s environments, writes and converges, and once revoked is refused and reads nothing new', { timeout: 300_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { db, olive, laptop } = await team();

    const link = await laptop.ok(['device', 'link']);
    const code = link.stdout.trim();
    expect(code).toMatch(/^tessera-device-1\.[A-Za-z0-9_-]+$/);
    expect(link.stderr).toContain('tessera device add CODE');
    const desktop = await cliProfile('Ada');
    const asked = await desktop.ok(['device', 'add', code, '--name', 'desktop', '--wait', '0']);
    const fp = fingerprintIn(asked.stdout)!;
    expect(asked.stderr).toContain('Not approved yet');
    // A name alone is not enough: the digits must be compared.
    const byName = await laptop.run(['device', 'approve', 'desktop']);
    expect([byName.code, byName.stderr]).toEqual([1, expect.stringMatching(/\[FINGERPRINT_REQUIRED\]\n$/)]);
    const approved = await laptop.ok(['device', 'approve', 'desktop', '--fingerprint', fp.slice(-5)]);
    expect(approved.stderr).toMatch(/^Linked "desktop" .* to 2 vault\(s\): /m);

    expect((await desktop.ok(['sync'])).stderr).toContain('Linked: this device now holds 2 vault(s)');
    expect((await desktop.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('staging-stripe-value');
    expect((await desktop.ok(['get', 'NPM_TOKEN', '--vault', 'tools', '--env', 'production'])).stdout).toBe('npm-token-value');
    const prod = await desktop.run(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'production']);
    expect([prod.code, prod.stderr]).toEqual([1, expect.stringMatching(/\[NO_ACCESS\]\n$/)]);

    // Both devices write; each sees the other's change.
    await desktop.ok(['set', 'FROM_DESKTOP', '--vault', 'payments', '--env', 'staging'], { input: 'desktop-wrote-this' });
    await desktop.ok(['sync']);
    await laptop.ok(['set', 'FROM_LAPTOP', '--vault', 'tools', '--env', 'production'], { input: 'laptop-wrote-this' });
    await laptop.ok(['sync']);
    await desktop.ok(['sync']);
    expect((await laptop.ok(['get', 'FROM_DESKTOP', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('desktop-wrote-this');
    expect((await desktop.ok(['get', 'FROM_LAPTOP', '--vault', 'tools', '--env', 'production'])).stdout).toBe('laptop-wrote-this');
    // History names the device that wrote: the person and the device, from the signed log.
    expect((await olive.ok(['sync'])).code).toBe(0);
    expect((await olive.ok(['history', 'FROM_DESKTOP', '--vault', 'payments', '--env', 'staging'])).stdout).toContain('Ada (desktop)');
    expect((await olive.ok(['history', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).not.toContain('(desktop)');
    // The owner reads the desktop's write, and sees Ada once among the members.
    await olive.ok(['sync']);
    expect((await olive.ok(['get', 'FROM_DESKTOP', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('desktop-wrote-this');
    const members = JSON.parse((await olive.ok(['members', '--vault', 'payments', '--json'])).stdout).members as { name: string }[];
    expect(members.map((m) => m.name).sort()).toEqual(['Ada', 'Olive']);

    const devices = JSON.parse((await laptop.ok(['device', 'list', '--json'])).stdout) as { name: string; you: boolean; addedBy: string; lastSeenAt: string | null; vaults: string[] }[];
    expect(devices.map((d) => d.lastSeenAt === null)).toEqual([false, false]); // both wrote
    expect((await laptop.ok(['device', 'list'])).stdout).toMatch(/^desktop .* first device .*\d.* 2$/m);
    expect(devices.map((d) => [d.name, d.you, d.addedBy, d.vaults.sort()])).toEqual([
      ['first device', true, '', ['payments', 'tools']],
      ['desktop', false, 'first device', ['payments', 'tools']],
    ]);

    // Revoked from the laptop: the relay refuses the desktop, and what is written after opens with none of its keys.
    const before = new Set(relayEnvelopes(db).envelopes.map((e) => `${Buffer.from(e.scopeId).toString('hex')}:${e.epoch}`));
    const revoked = await laptop.ok(['device', 'revoke', 'desktop']);
    expect(revoked.stderr).toMatch(/^Revoked "desktop" in 2 vault\(s\)/);
    await laptop.ok(['set', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'], { input: 'rotated-after-revoke' });
    await laptop.ok(['set', 'NPM_TOKEN', '--vault', 'tools', '--env', 'production'], { input: 'npm-after-revoke' });
    await laptop.ok(['sync']);
    const refused = await desktop.run(['sync']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[(NO_ACCESS|RELAY_REJECTED)\]/);
    const desktopKeys = await heldKeys(desktop);
    const after = relayEnvelopes(db).envelopes.filter((e) => !before.has(`${Buffer.from(e.scopeId).toString('hex')}:${e.epoch}`));
    expect(after.length).toBeGreaterThan(0);
    for (const env of after) expect(desktopKeys.some((k) => nodeSuite.secretbox.open(env.sealed, env.nonce, k) !== null)).toBe(false);
    // Ada is still a member, through her laptop, with her access.
    expect((await laptop.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('rotated-after-revoke');
    await olive.ok(['sync']);
    expect((await olive.ok(['get', 'STRIPE_KEY', '--vault', 'payments', '--env', 'staging'])).stdout).toBe('rotated-after-revoke');
    expect(JSON.parse((await laptop.ok(['device', 'list', '--json'])).stdout).map((d: { name: string }) => d.name)).toEqual(['first device']);
  });

  it('a relay that swaps the new device’s keys in the link request is caught, and nothing is linked', { timeout: 180_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { db, laptop } = await team();
    const code = (await laptop.ok(['device', 'link', '--vault', 'tools'])).stdout.trim();
    const desktop = await cliProfile('Ada');
    await desktop.ok(['device', 'add', code, '--name', 'desktop', '--wait', '0']);

    // The relay puts its own keys in the request; it does not hold the code's secret.
    const link = decodeDeviceCode(code);
    const seed = nodeSuite.randomBytes(32);
    const signer = { seed, publicKey: nodeSuite.ed25519.publicKeyFromSeed(seed) };
    const forged = createJoinRequest(nodeSuite, { ...link, secret: nodeSuite.randomBytes(32) }, signer, nodeSuite.box.publicKeyFromSecret(nodeSuite.randomBytes(32)), 'desktop');
    const sql = new Database(db);
    expect(sql.prepare('UPDATE join_requests SET bytes = ? WHERE vault_id = ?').run(Buffer.from(forged), Buffer.from(link.vaultId)).changes).toBe(1);
    sql.close();

    const approve = await laptop.run(['device', 'approve', 'desktop', '--fingerprint', '00000']);
    expect([approve.code, approve.stderr]).toEqual([1, expect.stringMatching(/did not verify against the code.*Nothing was linked.*\[TAMPERED\]\n$/)]);
    expect(JSON.parse((await laptop.ok(['device', 'list', '--json'])).stdout)).toHaveLength(1);
    expect((await desktop.ok(['sync'])).stderr).toContain('still waiting for its link to be approved');
  });
});
