import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allFiles } from '../../test/helpers/cli';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { exportEntries, getValue, history, importEntries, listSecrets, removeSecret, setSecret } from './secrets';
import { createVault, listVaults, openVault } from './vaults';

async function setup() {
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  return { home, keychain, session };
}

describe('vaults and secrets', () => {
  it('creates a vault, sets, gets, lists and keeps history across reopen', async () => {
    const { home, keychain, session } = await setup();
    const vault = await createVault(session, 'Payments');
    expect(vault.environments().map((e) => e.name)).toEqual(['development', 'staging', 'production']);
    const r1 = await setSecret(vault, 'STRIPE_SECRET_KEY', 'production', 'sk_live_first', { description: 'Stripe API', tags: ['billing'] });
    expect(r1.created).toBe(true);
    const r2 = await setSecret(vault, 'STRIPE_SECRET_KEY', 'production', 'sk_live_second');
    expect(r2.created).toBe(false);
    expect(r2.version.n).toBe(2);
    await setSecret(vault, 'DATABASE_URL', 'development', 'postgres://localhost/dev');
    session.lock();

    const { session: s2 } = await unlockProfile(nodeSuite, home, { keychain });
    const v2 = await openVault(s2, 'Payments');
    expect((await getValue(v2, 'STRIPE_SECRET_KEY', 'production')).value).toBe('sk_live_second');
    expect((await history(v2, 'STRIPE_SECRET_KEY', 'production')).map((h) => h.value)).toEqual(['sk_live_first', 'sk_live_second']);
    const listed = await listSecrets(v2);
    expect(listed.map((s) => [s.name, s.environments])).toEqual([
      ['DATABASE_URL', ['development']],
      ['STRIPE_SECRET_KEY', ['production']],
    ]);
    expect(listed[1]!.tags).toEqual(['billing']);
    await expect(getValue(v2, 'STRIPE_SECRET_KEY', 'staging')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getValue(v2, 'NOPE', 'staging')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(v2.problems()).toEqual([]);
    expect((await listVaults(s2)).map((v) => v.name)).toEqual(['Payments']);
  });

  it('imports in one edit, reports unchanged values, and exports current values', async () => {
    const { session } = await setup();
    const vault = await createVault(session, 'App', ['development']);
    const r = await importEntries(vault, 'development', [{ key: 'A', value: '1' }, { key: 'B', value: 'two' }]);
    expect(r).toEqual({ added: ['A', 'B'], updated: [], unchanged: [] });
    const r2 = await importEntries(vault, 'development', [{ key: 'A', value: '1' }, { key: 'B', value: '2' }]);
    expect(r2).toEqual({ added: [], updated: ['B'], unchanged: ['A'] });
    expect(await exportEntries(vault, 'development')).toEqual([{ key: 'A', value: '1' }, { key: 'B', value: '2' }]);
  });

  it('rm deletes the secret and purges its values', async () => {
    const { session } = await setup();
    const vault = await createVault(session, 'App', ['development', 'production']);
    await setSecret(vault, 'TOKEN', 'development', 'dev-token');
    await setSecret(vault, 'TOKEN', 'production', 'prod-token');
    expect(await removeSecret(vault, 'TOKEN')).toEqual({ purgedVersions: 2 });
    expect(await listSecrets(vault)).toEqual([]);
    await expect(getValue(vault, 'TOKEN', 'development')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The name is free again.
    await setSecret(vault, 'TOKEN', 'development', 'new');
    expect((await getValue(vault, 'TOKEN', 'development')).value).toBe('new');
  });

  it('writes no secret name or value in plaintext anywhere under the profile', async () => {
    const { home, session } = await setup();
    const vault = await createVault(session, 'Vault-Name-Marker');
    const name = 'PLAINTEXT_NAME_MARKER';
    const value = 'plaintext-value-marker-9f8e7d';
    await setSecret(vault, name, 'production', value, { description: 'description-marker', tags: ['tag-marker'] });
    await vault.compact();
    await setSecret(vault, name, 'production', value + '-2');
    const markers = [name, value, 'Vault-Name-Marker', 'description-marker', 'tag-marker', 'production'];
    for (const file of await allFiles(home)) {
      const bytes = await readFile(file);
      for (const m of markers) {
        for (const enc of [Buffer.from(m), Buffer.from(m, 'utf16le'), Buffer.from(Buffer.from(m).toString('base64'))]) {
          expect(bytes.includes(enc), `${m} in ${file}`).toBe(false);
        }
      }
    }
  });

  it('starts a membership log whose genesis is pinned, and refuses a log that was altered or swapped', async () => {
    const { home, keychain, session } = await setup();
    const vault = await createVault(session, 'Pinned', ['development', 'production']);
    // The genesis, then the environments' names bound to their scopes.
    expect(vault.membership?.state.head.seq).toBe(1);
    expect(vault.environmentsBound).toBe(true);
    const other = await createVault(session, 'Other', ['development']);
    const log = join(home, 'vaults', vault.id, 'membership.log');
    const original = await readFile(log);
    session.lock();
    const reopen = async () => openVault((await unlockProfile(nodeSuite, home, { keychain })).session, 'Pinned');
    expect((await reopen()).membership?.state.genesisHash).toBeDefined();
    const flipped = Buffer.from(original);
    flipped[flipped.length - 3]! ^= 1;
    await writeFile(log, flipped);
    await expect(reopen()).rejects.toMatchObject({ code: 'NOT_FOUND' }); // by name: its name is unreadable now
    const byId = async () => openVault((await unlockProfile(nodeSuite, home, { keychain })).session, vault.id);
    await expect(byId()).rejects.toMatchObject({ code: 'TAMPERED' });
    // The other vault still opens, and the list says which one is damaged.
    const { session: s3 } = await unlockProfile(nodeSuite, home, { keychain });
    expect((await openVault(s3, 'Other')).name).toBe('Other');
    expect((await listVaults(s3)).map((v) => [v.name, v.error])).toEqual([['Other', undefined], ['(unreadable: TAMPERED)', 'TAMPERED']]);
    await writeFile(log, await readFile(join(home, 'vaults', other.id, 'membership.log')));
    await expect(byId()).rejects.toMatchObject({ code: 'TAMPERED' });
    await writeFile(log, original);
    expect((await reopen()).name).toBe('Pinned');
  });

  it('compacts into a snapshot and opens from it with nothing lost', async () => {
    const { home, keychain, session } = await setup();
    const vault = await createVault(session, 'Big', ['development']);
    for (let i = 0; i < 300; i++) await setSecret(vault, `KEY_${i}`, 'development', `value-${i}`);
    const dir = join(home, 'vaults', vault.id);
    const files = (await allFiles(dir)).map((f) => f.slice(dir.length));
    expect(files.some((f) => /snap-\d{8}\.tse$/.test(f))).toBe(true);
    session.lock();
    const { session: s2 } = await unlockProfile(nodeSuite, home, { keychain });
    const v2 = await openVault(s2, 'Big');
    expect((await listSecrets(v2)).length).toBe(300);
    expect((await getValue(v2, 'KEY_299', 'development')).value).toBe('value-299');
    expect(v2.problems()).toEqual([]);
  });
});
