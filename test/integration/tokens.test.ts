/**
 * Machine tokens through a real relay process: a production-only token, on a "machine" with
 * a fresh HOME, no profile, no keychain and no Secret Service, runs a program that sees the
 * production values and nothing else; its keys open nothing of development or staging in
 * the relay's database; revoked, the relay refuses it and nothing written after opens with
 * its keys; expired, the relay refuses it; a damaged token fails with its own code; and the
 * token's text is in no file the relay or the machine wrote.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex } from '../../src-shared/crypto/bytes';
import { decodeEnvelope } from '../../src-shared/envelope/envelope';
import { verifyChain } from '../../src-shared/membership/chain';
import { keysFor } from '../../src-shared/membership/keys';
import { decodeMachineToken } from '../../src-shared/membership/machine-token';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { createMachineToken } from '../../src-main/membership/machines';
import { unlockProfile } from '../../src-main/profile/profile';
import { openVault } from '../../src-main/vaults/vaults';
import { allFiles, runCli } from '../helpers/cli';
import { cliProfile, onCleanup, relayInFolder } from '../helpers/cleanup';
import { relayEnvelopes } from '../helpers/relay';
import { requireKeychain } from '../helpers/keychain';

const VAULT = 'payments';
const VALUES = { development: 'dev-value-1a2b', staging: 'staging-value-3c4d', production: 'prod-value-5e6f-stripe' };

/** A machine: its own empty folders, no keychain to reach, the token in its environment. */
async function machine(token: string) {
  const home = await mkdtemp(join(tmpdir(), 'tessera-machine-'));
  onCleanup(() => rm(home, { recursive: true, force: true }));
  const env = { TESSERA_TOKEN: token, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DBUS_SESSION_BUS_ADDRESS: undefined, GITHUB_RUN_ID: '4242' };
  return { home, run: (args: readonly string[], input?: string) => runCli(join(home, 'tessera-home'), args, { env, ...(input !== undefined ? { input } : {}) }) };
}

describe('machine tokens', () => {
  it('a production token runs a program with production values only; revoked or expired it is refused', { timeout: 240_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { relay, dir, db } = await relayInFolder('tessera-tokens-');
    const owner = await cliProfile('Olive');
    await owner.ok(['vault', 'create', VAULT, '--relay', relay.url]);
    for (const [env, value] of Object.entries(VALUES)) await owner.ok(['set', 'STRIPE_KEY', '--vault', VAULT, '--env', env], { input: value });
    await owner.ok(['set', 'DB_URL', '--vault', VAULT, '--env', 'production'], { input: 'postgres://app:${STRIPE_KEY}@db/prod' });
    await owner.ok(['sync', '--vault', VAULT]);

    const created = await owner.ok(['token', 'create', '--vault', VAULT, '--env', 'production', '--name', 'ci-deploy']);
    const token = created.stdout.trim();
    expect(token).toMatch(/^tessera-token-1\.[A-Za-z0-9_-]+$/);
    expect(created.stderr).toContain('only time this token is shown');
    const listed = JSON.parse((await owner.ok(['token', 'list', '--vault', VAULT, '--json'])).stdout);
    expect(listed).toEqual([expect.objectContaining({ name: 'ci-deploy', role: 'viewer', environments: ['production'], createdBy: 'Olive', expiresAt: null })]);
    // A machine is not a person: `members` lists people.
    expect(JSON.parse((await owner.ok(['members', '--vault', VAULT, '--json'])).stdout).members.map((m: { name: string }) => m.name)).toEqual(['Olive']);

    // On the machine: a program sees the production values, references expanded.
    const m = await machine(token);
    const ran = await m.run(['run', '--no-masking', '--', process.execPath, '-e', 'console.log(JSON.stringify({ k: process.env.STRIPE_KEY, u: process.env.DB_URL, t: process.env.TESSERA_TOKEN ?? null }))']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(JSON.parse(ran.stdout)).toEqual({ k: VALUES.production, u: `postgres://app:${VALUES.production}@db/prod`, t: null });
    expect((await m.run(['get', 'STRIPE_KEY'])).stdout).toBe(VALUES.production);
    expect(JSON.parse((await m.run(['export', '--format', 'json'])).stdout)).toEqual({ STRIPE_KEY: VALUES.production, DB_URL: `postgres://app:${VALUES.production}@db/prod` });
    const other = await m.run(['get', 'STRIPE_KEY', '--env', 'development']);
    expect([other.code, other.stderr]).toEqual([1, expect.stringMatching(/does not read development.*\[NO_ACCESS\]\n$/)]);
    // Each use is in the team access log, from which host and CI run.
    const team = JSON.parse((await owner.ok(['audit', 'team', '--vault', VAULT, '--json'])).stdout) as { entries: { name: string; action: string; device: string; secrets: string[] }[] };
    expect(team.entries.filter((e) => e.name === 'ci-deploy').map((e) => e.action).sort()).toEqual(['export', 'reveal', 'run']);
    expect(team.entries.find((e) => e.action === 'run')!.device).toMatch(/^machine on .+ \(GITHUB_RUN_ID=4242\)$/);
    const used = JSON.parse((await owner.ok(['token', 'list', '--vault', VAULT, '--json'])).stdout)[0].lastUsedAt;
    expect(used).toBe(Math.max(...team.entries.filter((e) => e.name === 'ci-deploy').map((e) => (e as unknown as { at: number }).at)));

    // Its keys, tried on every envelope the relay holds, open production and nothing else.
    const t = decodeMachineToken(token);
    const before = relayEnvelopes(db);
    const state = verifyChain(nodeSuite, t.genesisHash, before.log);
    const keys = keysFor(nodeSuite, state, before.log, { signPublicKey: nodeSuite.ed25519.publicKeyFromSeed(t.signSeed), boxSecretKey: t.boxSecret });
    const allKeys = [...keys.values()].flatMap((epochs) => [...epochs.values()]);
    const envName = new Map(JSON.parse((await owner.ok(['vault', 'list', '--json'])).stdout)[0].environments.map((e: { name: string }, i: number) => [state.envScopes[i]!, e.name]));
    const opened = (env: ReturnType<typeof decodeEnvelope>) => allKeys.some((k) => nodeSuite.secretbox.open(env.sealed, env.nonce, k) !== null);
    for (const env of before.envelopes) {
      const scope = envName.get(toHex(env.scopeId));
      if (scope === 'development' || scope === 'staging') expect(opened(env)).toBe(false);
      if (scope === 'production') expect(opened(env)).toBe(true);
    }

    // Revoked: the relay refuses it, and what is written after opens with none of its keys.
    const revoked = await owner.ok(['token', 'revoke', 'ci-deploy', '--vault', VAULT]);
    expect(revoked.stdout).toContain('could decrypt 2 value(s)');
    await owner.ok(['set', 'STRIPE_KEY', '--vault', VAULT, '--env', 'production'], { input: 'rotated-after-revoke' });
    await owner.ok(['sync', '--vault', VAULT]);
    const refused = await m.run(['run', '--', process.execPath, '-e', '0']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/revoked.*\[NO_ACCESS\]\n$/)]);
    const after = relayEnvelopes(db).envelopes.filter((e) => e.epoch > 1 && envName.get(toHex(e.scopeId)) === 'production');
    expect(after.length).toBeGreaterThan(0);
    for (const env of after) expect(opened(env)).toBe(false);

    // Expired: the relay refuses it by the expiry in the signed log, and the owner's next sync
    // re-keys it out. (Made through the service: the CLI's shortest lifetime is an hour.)
    const { session } = await unlockProfile(nodeSuite, owner.home, { keychain: createOsKeychain() });
    const expiresAt = Date.now() + 4_000;
    const shortLived = (await createMachineToken(await openVault(session, VAULT), { name: 'short', environments: ['production'], expiresAt })).token;
    session.lock();
    const later = await machine(shortLived);
    expect((await later.run(['get', 'STRIPE_KEY'])).stdout).toBe('rotated-after-revoke');
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    const expired = await later.run(['get', 'STRIPE_KEY']);
    expect([expired.code, expired.stderr]).toEqual([1, expect.stringMatching(/expired.*\[TOKEN_EXPIRED\]\n$/)]);
    expect((await owner.ok(['sync', '--vault', VAULT])).stderr).toContain('token short had expired and was revoked');
    expect(JSON.parse((await owner.ok(['token', 'list', '--vault', VAULT, '--json'])).stdout)).toEqual([]);

    // A damaged token: its own code, and never quoted.
    // One character changed (the sixth from the end: all its bits count, unlike the last's).
    const changed = token.at(-6) === 'A' ? 'B' : 'A';
    const damaged = await machine(token.slice(0, -6) + changed + token.slice(-5));
    const bad = await damaged.run(['get', 'STRIPE_KEY']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/damaged.*\[TOKEN_INVALID\]\n$/)]);
    expect(bad.stderr).not.toContain(token.slice(20, 40));

    // The token's text is in no file of the relay's or the machine's.
    for (const f of [...(await allFiles(dir)), ...(await allFiles(m.home)), ...(await allFiles(later.home))]) {
      expect(await readFile(f, 'latin1'), f).not.toContain(token.slice('tessera-token-1.'.length, 60));
    }
  });
});
