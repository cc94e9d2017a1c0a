// A live VaultSync takes in every delivery, even one that lands while the previous drain is
// saving its cursors: that one must not wait in the queue for a next delivery that may never
// come (`tessera sync --watch` then never showed a teammate's last change).
import { cp } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestRelay } from '../../test/helpers/relay-client';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { getValue, setSecret } from '../vaults/secrets';
import { createVault, openVault } from '../vaults/vaults';
import * as syncState from './sync-state';
import { syncOnce } from './sync-runs';
import { VaultSync } from './vault-sync';

/** Runs once inside the next writeSyncState for `home`, before it writes (set by the test). */
let beforeNextWrite: { home: string; run: () => Promise<void> } | null = null;
vi.mock('./sync-state', async (importOriginal) => {
  const actual = await importOriginal<typeof syncState>();
  return {
    ...actual,
    writeSyncState: async (...args: Parameters<typeof actual.writeSyncState>) => {
      const hook = beforeNextWrite?.home === args[0] ? beforeNextWrite : null;
      if (hook) {
        beforeNextWrite = null;
        await hook.run();
      }
      return actual.writeSyncState(...args);
    },
  };
});

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const until = async (what: () => Promise<boolean> | boolean, tries = 100) => {
  for (let i = 0; i < tries; i++) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
};

describe('VaultSync deliveries', () => {
  it('takes in a delivery that lands while the last drain saves its cursors', { timeout: 30_000 }, async () => {
    const relay = await startTestRelay();
    closers.push(() => relay.close());
    const keychain = createMemoryKeychain();
    const home = await tempHome();
    const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
    const a = await createVault(session, 'V', ['development']);
    await syncState.writeSyncState(home, a.id, { relay: relay.url, scopes: new Map() });
    await syncOnce(a);
    // Alice's second device: a copy of the profile, watching.
    const copy = await tempHome();
    await cp(home, copy, { recursive: true });
    const b = await openVault((await unlockProfile(nodeSuite, copy, { keychain })).session, 'V');
    const live = await VaultSync.start(b);
    closers.push(() => live.close());
    const queued = () => (live as unknown as { queue: unknown[] }).queue.length;

    // The first change's drain, saving cursors, is where the second change lands.
    let landed = false;
    beforeNextWrite = {
      home: copy,
      run: async () => {
        await setSecret(a, 'SECOND', 'development', 'two');
        await syncOnce(a);
        landed = await until(() => queued() > 0);
      },
    };
    await setSecret(a, 'FIRST', 'development', 'one');
    await syncOnce(a);

    expect(await until(() => landed, 500), 'the second change reached the live sync').toBe(true);
    const value = async () => (await b.refresh(), getValue(b, 'SECOND', 'development').then((v) => v.value, () => null));
    expect(await until(async () => (await value()) === 'two'), 'the live sync took it in').toBe(true);
    expect((await getValue(b, 'FIRST', 'development')).value).toBe('one');
  });

  it('a delivery it could not take in fails the next push, so a watcher reconnects and pulls again', { timeout: 30_000 }, async () => {
    const relay = await startTestRelay();
    closers.push(() => relay.close());
    const keychain = createMemoryKeychain();
    const home = await tempHome();
    const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
    const a = await createVault(session, 'V', ['development']);
    await syncState.writeSyncState(home, a.id, { relay: relay.url, scopes: new Map() });
    await syncOnce(a);
    const copy = await tempHome();
    await cp(home, copy, { recursive: true });
    const b = await openVault((await unlockProfile(nodeSuite, copy, { keychain })).session, 'V');
    const live = await VaultSync.start(b);
    closers.push(() => live.close());

    let failed = false;
    beforeNextWrite = {
      home: copy,
      run: async () => {
        failed = true;
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      },
    };
    await setSecret(a, 'FIRST', 'development', 'one');
    await syncOnce(a);
    expect(await until(() => failed), 'the drain ran').toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    await expect(live.push()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await live.push()).toBe(0); // reported once
  });
});
