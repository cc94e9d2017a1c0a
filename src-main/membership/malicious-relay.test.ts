// A relay that lies about the membership log: shows one device another history (a fork),
// or replays an entry. The client refuses, loudly, and keeps what it verified.
import { cp } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { addMember } from '../../src-shared/membership/builders';
import { startTestRelay } from '../../test/helpers/relay-client';
import { tamperingProxy } from '../../test/helpers/tampering-proxy';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { setSecret } from '../vaults/secrets';
import { rotateVaultKeys } from './remove';
import { RelayClient } from '../sync/relay-client';
import { writeSyncState } from '../sync/sync-state';
import { syncOnce } from '../sync/sync-runs';
import { createVault, openVault } from '../vaults/vaults';
import { pullLog, pushEntry } from './log-sync';

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
});

const someone = () => {
  const seed = nodeSuite.randomBytes(32);
  return { signPublicKey: nodeSuite.ed25519.publicKeyFromSeed(seed), boxPublicKey: nodeSuite.box.publicKeyFromSecret(nodeSuite.randomBytes(32)) };
};

async function sharedVault() {
  const relay = await startTestRelay();
  closers.push(relay);
  const home = await tempHome();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain: createMemoryKeychain() });
  const vault = await createVault(session, 'V', ['development']);
  await writeSyncState(home, vault.id, { relay: relay.url, scopes: new Map() });
  await syncOnce(vault); // registers the vault with its genesis and the environments' names (seq 1)
  const genesisState = vault.membership!.state;
  const held = session.keys.vaults.get(vault.id)!.scopes;
  // Alice adds Bob, through the relay.
  const addBob = addMember(nodeSuite, genesisState, session.signingKey, held, { identity: someone(), name: 'Bob', role: 'editor', envScopes: [] });
  const client = await RelayClient.connect(relay.url, nodeSuite, session.signingKey);
  vault.setMembership(await pushEntry(session, client, vault.id, vault.membership!, addBob.bytes, addBob.state));
  client.close();
  // What a lying relay could show instead at seq 2: an entry Alice also signed (say, made on
  // another of her devices from the same head) that the relay never accepted.
  const addEve = addMember(nodeSuite, genesisState, session.signingKey, held, { identity: someone(), name: 'Eve', role: 'owner', envScopes: [vault.environments()[0]!.id] });
  return { relay, session, vault, addBob, addEve };
}

describe('a relay lying about the membership log', () => {
  it('shows another entry at a place we already hold: LOG_FORKED, and nothing changes', async () => {
    const { relay, session, vault, addEve } = await sharedVault();
    // Whatever range is asked for, seq 2 shows Eve's entry instead of Bob's.
    const proxy = await tamperingProxy(relay.url, (m) =>
      m.type === 'log' && m.from <= 2 && m.from + m.entries.length > 2 ? { ...m, entries: m.entries.map((e, i) => (m.from + i === 2 ? addEve.bytes : e)) } : m,
    );
    closers.push(proxy);
    const before = vault.membership!;
    const client = await RelayClient.connect(proxy.url, nodeSuite, session.signingKey);
    try {
      // Fetching from seq 2 (the one we hold) shows the forked entry in its place.
      await expect(pullLog(session, client, vault.id, { entries: before.entries, state: before.state })).rejects.toMatchObject({ code: 'LOG_FORKED' });
    } finally {
      client.close();
    }
    const hex = (es: readonly Uint8Array[]) => es.map((e) => Buffer.from(e).toString('hex'));
    expect(hex((await openVault(session, 'V')).membership!.entries)).toEqual(hex(before.entries));
  });

  it('replays an entry as if it were new: refused as TAMPERED (REPLAY)', async () => {
    const { relay, session, vault, addBob } = await sharedVault();
    const proxy = await tamperingProxy(relay.url, (m) => (m.type === 'log' && m.requestId !== 0 ? { ...m, entries: [...m.entries, addBob.bytes], length: m.length + 1 } : m));
    closers.push(proxy);
    const client = await RelayClient.connect(proxy.url, nodeSuite, session.signingKey);
    try {
      await expect(pullLog(session, client, vault.id, vault.membership!)).rejects.toMatchObject({ code: 'TAMPERED', details: expect.objectContaining({ reason: 'REPLAY' }) });
    } finally {
      client.close();
    }
  });
});

describe('a relay withholding a membership change', () => {
  it('is noticed once changes written under the newer entry arrive, and nothing is written under the old keys', async () => {
    const relay = await startTestRelay();
    closers.push(relay);
    const keychain = createMemoryKeychain();
    const home = await tempHome();
    const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
    const vault = await createVault(session, 'V', ['development']);
    await writeSyncState(home, vault.id, { relay: relay.url, scopes: new Map() });
    await syncOnce(vault);
    const copy = await tempHome();
    await cp(home, copy, { recursive: true }); // Alice's second device, before the rotation
    await rotateVaultKeys(vault);
    await setSecret(vault, 'AFTER', 'development', 'sealed under epoch 2');
    await syncOnce(vault);

    // The relay serves the second device the log only up to the environments' names (seq 1),
    // holding back the rotation (seq 2).
    const proxy = await tamperingProxy(relay.url, (m) => (m.type === 'log' ? { ...m, entries: m.entries.filter((_, i) => m.from + i < 2), length: 2 } : m));
    closers.push(proxy);
    await writeSyncState(copy, vault.id, { relay: proxy.url, scopes: new Map() });
    const { session: second } = await unlockProfile(nodeSuite, copy, { keychain });
    const secondVault = await openVault(second, 'V');
    await setSecret(secondVault, 'UNDER_OLD_KEYS', 'development', 'would be readable by whoever the rotation shut out');
    const summary = await syncOnce(secondVault);
    expect(summary.behind).toBe(true);
    // The change names entry 2, which the relay would not hand over: it waits, and this
    // device pushes nothing under the keys it holds.
    expect(summary.withheldHead).toBe(2);
    expect(summary.pushed).toBe(0);
    expect((await openVault(second, 'V')).meta.secretByName('AFTER')).toBeUndefined();
  });
});
