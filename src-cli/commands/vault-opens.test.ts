// How many vaults a command opens (decrypts and verifies): `tessera sync` over 20 vaults
// opens each once, and `tessera get --vault NAME` opens the one it names (the keyring's
// sealed name index), not all of them. Run in this process so that Vault.open can be counted.
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestRelay } from '../../test/helpers/relay-client';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createProfile } from '../../src-main/profile/profile';
import { writeSyncState } from '../../src-main/sync/sync-state';
import { setSecret } from '../../src-main/vaults/secrets';
import { Vault } from '../../src-main/vaults/vault';
import { createVault } from '../../src-main/vaults/vaults';
import { main } from '../main';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0).reverse()) await close();
});

function io() {
  let stdout = '';
  let stderr = '';
  const sink = (onText: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (onText(String(chunk)), done()) });
  const stdin = new PassThrough();
  stdin.end();
  return {
    io: { stdin: stdin as unknown as NodeJS.ReadStream, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('vaults a command opens', () => {
  it('sync opens each of 20 vaults once; get by name opens one', { timeout: 120_000 }, async () => {
    const relay = await startTestRelay();
    closers.push(() => relay.close());
    const home = await tempHome();
    const keychain = createMemoryKeychain();
    const session = await createProfile(nodeSuite, home, { name: 'Ada', keychain });
    const names = Array.from({ length: 20 }, (_, i) => `vault-${String(i).padStart(2, '0')}`);
    for (const name of names) {
      const v = await createVault(session, name, ['development']);
      await setSecret(v, 'API_KEY', 'development', `value-of-${name}`);
      await writeSyncState(home, v.id, { relay: relay.url, scopes: new Map() });
    }
    session.lock();

    const opens = vi.spyOn(Vault, 'open');
    const sync = io();
    expect(await main(['sync'], { io: sync.io, env: {}, home, keychain })).toBe(0);
    expect(sync.out().split('\n').filter(Boolean)).toHaveLength(20);
    const perVault = new Map<string, number>();
    for (const [, id] of opens.mock.calls) perVault.set(id, (perVault.get(id) ?? 0) + 1);
    expect(perVault.size).toBe(20);
    expect([...perVault.values()].every((n) => n === 1)).toBe(true);

    opens.mockClear();
    const get = io();
    expect(await main(['get', 'API_KEY', '--vault', 'vault-07', '--env', 'development'], { io: get.io, env: {}, home, keychain })).toBe(0);
    expect(get.out()).toBe('value-of-vault-07');
    expect(opens).toHaveBeenCalledTimes(1);
  });
});
