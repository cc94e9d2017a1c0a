// VaultSync against an in-process relay: snapshots handed to the relay prune it, and a
// device that starts late catches up from snapshot + what follows.
import { cp } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestRelay } from '../../test/helpers/relay-client';
import { tamperingProxy } from '../../test/helpers/tampering-proxy';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { getValue, listSecrets, setSecret } from '../vaults/secrets';
import { createVault, openVault } from '../vaults/vaults';
import { writeSyncState } from './sync-state';
import { syncOnce } from './sync-runs';
import { fromHex, toHex } from '../../src-shared/crypto/bytes';

const relays: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

/** A relay, and Alice's profile with vault V pointed at it plus an untouched copy of it. */
async function aliceWithCopy() {
  const relay = await startTestRelay();
  relays.push(relay);
  const keychain = createMemoryKeychain();
  const home = await tempHome();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const vault = await createVault(session, 'V', ['development']);
  await writeSyncState(home, vault.id, { relay: relay.url, scopes: new Map() });
  const copy = await tempHome();
  await cp(home, copy, { recursive: true }); // before anything was synced
  const openCopy = async () => openVault((await unlockProfile(nodeSuite, copy, { keychain })).session, 'V');
  return { relay, session, vault, copy, openCopy };
}

describe('VaultSync', () => {
  it('hands the relay snapshots, and a late device catches up from one', async () => {
    const { relay, session, openCopy } = await aliceWithCopy();
    const a = await openVault(session, 'V');
    for (let i = 0; i < 30; i++) {
      await setSecret(a, `KEY_${i}`, 'development', `v${i}`);
      if (i % 10 === 9) await syncOnce(a, { snapshotEvery: 10 });
    }
    // The relay holds a snapshot of the values scope and has pruned what it covers.
    const vaultId = fromHex(a.id);
    const scopeId = fromHex(a.environments()[0]!.id);
    const snapshot = await relay.storage.latestSnapshot(vaultId, scopeId);
    expect(snapshot?.covers).toBeGreaterThanOrEqual(10);
    const left = await relay.storage.envelopesAfter(vaultId, scopeId, 0, { count: 1000, bytes: 1 << 30 });
    expect(left.every((e) => e.seq > snapshot!.covers)).toBe(true);

    const summary = await syncOnce(await openCopy(), { snapshotEvery: 10 });
    expect(summary.rejected).toBe(0);
    const bAgain = await openCopy(); // from disk: what sync stored, not just memory
    expect((await listSecrets(bAgain, 'development')).length).toBe(30);
    expect((await getValue(bAgain, 'KEY_29', 'development')).value).toBe('v29');
    expect((await getValue(bAgain, 'KEY_0', 'development')).value).toBe('v0');
    expect(bAgain.problems()).toEqual([]);
  });

  it('refuses an envelope the relay altered, never moves past it, and gets it on the next sync', async () => {
    const { relay, vault, copy, openCopy } = await aliceWithCopy();
    await setSecret(vault, 'A', 'development', 'a');
    await setSecret(vault, 'B', 'development', 'b');
    await syncOnce(vault);

    // The copy syncs through a relay that flips one bit in the second values delivery.
    let valuesDeliveries = 0;
    const envScope = vault.environments()[0]!.id;
    const proxy = await tamperingProxy(relay.url, (m) => {
      if (m.type !== 'deliver' || toHex(m.scopeId) !== envScope || ++valuesDeliveries !== 2) return m;
      const envelope = m.envelope.slice();
      envelope[envelope.length - 80]! ^= 1;
      return { ...m, envelope };
    });
    relays.push(proxy);
    await writeSyncState(copy, vault.id, { relay: proxy.url, scopes: new Map() });
    const first = await syncOnce(await openCopy());
    expect(first.rejected).toBe(1);
    expect((await getValue(await openCopy(), 'A', 'development')).value).toBe('a');
    await expect(getValue(await openCopy(), 'B', 'development')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const second = await syncOnce(await openCopy()); // the proxy tampers only once
    expect(second.rejected).toBe(0);
    expect((await getValue(await openCopy(), 'B', 'development')).value).toBe('b');
  });
});
