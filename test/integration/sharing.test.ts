/**
 * Sharing through a real relay: Alice creates a vault and invites Bob (editor: development,
 * staging) and Carol (viewer: development); they join, Alice compares fingerprints and
 * approves, and each reads exactly what their role and environments allow.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { unlockProfile } from '../../src-main/profile/profile';
import { decodeEnvelope } from '../../src-shared/envelope/envelope';
import { cliProfile, relayInFolder } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { errorLine, fingerprintIn } from '../helpers/cli';
import type { RelayProcess } from '../helpers/relay';

const VAULT = 'Team';

const profile = cliProfile;
let relayDb = '';
async function relay(): Promise<RelayProcess> {
  const started = await relayInFolder('tessera-sharing-');
  relayDb = started.db;
  return started.relay;
}


describe('sharing a vault', () => {
  it('invite, join, compare fingerprints, approve; each member reads exactly their environments', { timeout: 180_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const r = await relay();
    const [alice, bob, carol] = [await profile('Alice'), await profile('Bob'), await profile('Carol')];
    await alice.ok(['vault', 'create', VAULT, '--relay', r.url]);
    for (const env of ['development', 'staging', 'production']) {
      await alice.ok(['set', 'API_KEY', '--vault', VAULT, '--env', env], { input: `${env}-secret` });
    }
    await alice.ok(['sync', '--vault', VAULT]);

    const bobCode = (await alice.ok(['invite', '--vault', VAULT, '--role', 'editor', '--env', 'development,staging'])).stdout.trim();
    const carolCode = (await alice.ok(['invite', '--vault', VAULT, '--role', 'viewer', '--env', 'development'])).stdout.trim();
    expect(bobCode).toMatch(/^tessera-invite-2\./);
    const bobFp = fingerprintIn((await bob.ok(['join', bobCode])).stdout);
    const carolFp = fingerprintIn((await carol.ok(['join', carolCode, '--name', 'Carol C.'])).stdout);
    expect(bobFp).toBeDefined();

    // Alice sees both requests, with the fingerprints they read out to her.
    const pending = JSON.parse((await alice.ok(['members', '--vault', VAULT, '--json'])).stdout).pending;
    expect(pending.map((p: { name: string; fingerprint: string; role: string }) => [p.name, p.fingerprint, p.role]).sort()).toEqual(
      [['Bob', bobFp, 'editor'], ['Carol C.', carolFp, 'viewer']].sort(),
    );
    // Before approval, Bob has nothing to read.
    expect((await bob.run(['sync'])).stderr).toMatch(/waiting for approval/);

    // The joiner picks the name: a name alone is refused (no terminal to ask on), with the
    // fingerprint to compare and the command to run; other digits are refused; neither
    // appends anything.
    const byName = await alice.run(['approve', 'Carol C.', '--vault', VAULT]);
    expect([byName.code, byName.stderr]).toEqual([1, expect.stringMatching(errorLine('FINGERPRINT_REQUIRED'))]);
    expect(byName.stderr).toContain(carolFp);
    expect(byName.stderr).toContain(`tessera approve 'Carol C.' --vault ${VAULT} --fingerprint DIGITS`);
    const carolDigits = carolFp!.replace(/ /g, '');
    const wrongDigits = ['00000', '11111', '22222'].find((d) => !carolDigits.startsWith(d) && !carolDigits.endsWith(d))!;
    const misheard = await alice.run(['approve', 'Carol C.', '--vault', VAULT, '--fingerprint', wrongDigits]);
    expect([misheard.code, misheard.stderr]).toEqual([1, expect.stringMatching(errorLine('FINGERPRINT_MISMATCH'))]);
    const unchanged = JSON.parse((await alice.ok(['members', '--vault', VAULT, '--json'])).stdout);
    expect([unchanged.members.map((m: { name: string }) => m.name), unchanged.pending.length]).toEqual([['Alice'], 2]);

    // By fingerprint digits, or by name with the digits the joiner read out.
    await alice.ok(['approve', bobFp!.slice(0, 11), '--vault', VAULT]);
    await alice.ok(['approve', 'Carol C.', '--vault', VAULT, '--fingerprint', carolFp!.slice(-5)]);
    const members = JSON.parse((await alice.ok(['members', '--vault', VAULT, '--json'])).stdout);
    expect(members.pending).toEqual([]);
    expect(members.members.map((m: { name: string; role: string; environments: string[] }) => [m.name, m.role, m.environments])).toEqual([
      ['Alice', 'owner', ['development', 'staging', 'production']],
      ['Bob', 'editor', ['development', 'staging']],
      ['Carol C.', 'viewer', ['development']],
    ]);

    await bob.ok(['sync']);
    await carol.ok(['sync']);
    expect((await bob.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('development-secret');
    expect((await bob.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'staging'])).stdout).toBe('staging-secret');
    const bobProd = await bob.run(['get', 'API_KEY', '--vault', VAULT, '--env', 'production']);
    expect([bobProd.code, bobProd.stderr]).toEqual([1, expect.stringMatching(/\[NO_ACCESS\]/)]);
    expect((await carol.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('development-secret');
    for (const env of ['staging', 'production']) {
      const denied = await carol.run(['get', 'API_KEY', '--vault', VAULT, '--env', env]);
      expect([denied.code, denied.stderr]).toEqual([1, expect.stringMatching(/\[NO_ACCESS\]/)]);
    }

    // Carol, with her whole keyring and a copy of the relay's database, opens nothing of
    // staging or production: she never received those keys.
    {
      const { session: cs } = await unlockProfile(nodeSuite, carol.home, { keychain: createOsKeychain() });
      const [vaultKeys] = [...cs.keys.vaults.values()];
      const carolScopes = new Set(vaultKeys!.scopes.keys());
      const carolKeys = [...vaultKeys!.scopes.values()].flatMap((epochs) => [...epochs.values()].map((k) => new Uint8Array(k)));
      cs.lock();
      expect(carolScopes.size).toBe(2); // metadata and development
      const sql = new Database(relayDb, { readonly: true });
      const all = (sql.prepare('SELECT bytes FROM envelopes').all() as { bytes: Buffer }[]).map((row) => decodeEnvelope(new Uint8Array(row.bytes)));
      sql.close();
      const opensWithCarols = (e: (typeof all)[number]) => carolKeys.some((k) => nodeSuite.secretbox.open(e.sealed, e.nonce, k) !== null);
      const hers = all.filter((e) => carolScopes.has(Buffer.from(e.scopeId).toString('hex')));
      const others = all.filter((e) => !carolScopes.has(Buffer.from(e.scopeId).toString('hex')));
      expect(hers.length).toBeGreaterThan(0);
      expect(hers.every(opensWithCarols)).toBe(true);
      expect(others.length).toBeGreaterThan(0);
      expect(others.some(opensWithCarols)).toBe(false);
    }

    // Bob writes where he may, and it reaches Alice and Carol; Carol may not write at all.
    await bob.ok(['set', 'NEW_KEY', '--vault', VAULT, '--env', 'development'], { input: 'from-bob' });
    await bob.ok(['sync']);
    await alice.ok(['sync']);
    await carol.ok(['sync']);
    expect((await alice.ok(['get', 'NEW_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('from-bob');
    expect((await carol.ok(['get', 'NEW_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('from-bob');
    const carolWrite = await carol.run(['set', 'CAROL_KEY', '--vault', VAULT, '--env', 'development'], { input: 'nope' });
    expect([carolWrite.code, carolWrite.stderr]).toEqual([1, expect.stringMatching(/viewer.*\[NO_ACCESS\]/)]);

    // Bob is removed: new keys for everything he could read; the exposure list names what to rotate.
    const exposure = JSON.parse((await alice.ok(['remove', 'Bob', '--vault', VAULT, '--json'])).stdout);
    expect(exposure.member).toBe('Bob');
    expect(exposure.items.map((i: { name: string; environment: string }) => `${i.name}@${i.environment}`).sort()).toEqual(
      ['API_KEY@development', 'API_KEY@staging', 'NEW_KEY@development'],
    );
    expect(JSON.parse((await alice.ok(['exposure', '--vault', VAULT, '--json'])).stdout)).toEqual([exposure]);
    await alice.ok(['set', 'API_KEY', '--vault', VAULT, '--env', 'development'], { input: 'rotated-after-bob' });
    await alice.ok(['sync', '--vault', VAULT]);
    // Carol (who stays) gets the new keys and the new value.
    await carol.ok(['sync']);
    expect((await carol.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('rotated-after-bob');
    // Bob is refused by the relay and keeps only what he already had.
    const bobSync = await bob.run(['sync', '--vault', VAULT]);
    expect([bobSync.code, bobSync.stderr]).toEqual([1, expect.stringMatching(/no longer a member.*\[NO_ACCESS\]/)]);
    expect((await bob.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'development'])).stdout).toBe('development-secret');
    expect((await bob.run(['members', '--vault', VAULT])).code).toBe(0);

    // Carol is promoted to editor of development and staging, then every key is rotated:
    // she reads staging now, and still reads the history written under the old keys.
    await alice.ok(['member', 'set', 'Carol C.', '--vault', VAULT, '--role', 'editor', '--env', 'development,staging']);
    await carol.ok(['sync']);
    expect((await carol.ok(['get', 'API_KEY', '--vault', VAULT, '--env', 'staging'])).stdout).toBe('staging-secret');
    await alice.ok(['rotate-keys', '--vault', VAULT]);
    await carol.ok(['set', 'CAROL_KEY', '--vault', VAULT, '--env', 'staging'], { input: 'carol-wrote-this' });
    await carol.ok(['sync']);
    await alice.ok(['sync', '--vault', VAULT]);
    expect((await alice.ok(['get', 'CAROL_KEY', '--vault', VAULT, '--env', 'staging'])).stdout).toBe('carol-wrote-this');
    const history = JSON.parse((await carol.ok(['history', 'API_KEY', '--vault', VAULT, '--env', 'development', '--json'])).stdout);
    expect(history.length).toBe(2);

    // Even with every key he ever held and the relay's whole database, Bob opens nothing
    // sealed after his removal.
    const { session: bobSession } = await unlockProfile(nodeSuite, bob.home, { keychain: createOsKeychain() });
    // Copies: lock() wipes the keyring's own buffers.
    const bobKeys = [...bobSession.keys.vaults.values()].flatMap((v) => [...v.scopes.values()].flatMap((epochs) => [...epochs.values()].map((k) => new Uint8Array(k))));
    bobSession.lock();
    await r.kill('SIGTERM');
    const sql = new Database(relayDb, { readonly: true });
    const rows = [
      ...(sql.prepare('SELECT bytes FROM envelopes').all() as { bytes: Buffer }[]),
      ...(sql.prepare('SELECT bytes FROM snapshots').all() as { bytes: Buffer }[]),
    ];
    sql.close();
    const envelopes = rows.map((row) => decodeEnvelope(new Uint8Array(row.bytes)));
    // His keys are real (meta, development and staging, not wiped)…
    expect(bobKeys.length).toBeGreaterThanOrEqual(3);
    expect(bobKeys.every((k) => k.some((b) => b !== 0))).toBe(true);
    // …yet they open nothing sealed under the keys made at his removal.
    const after = envelopes.filter((e) => e.epoch > 1);
    expect(after.length).toBeGreaterThan(0);
    for (const env of after) for (const key of bobKeys) expect(nodeSuite.secretbox.open(env.sealed, env.nonce, key)).toBeNull();
  });
});
