// A vault's relay as a list: connecting moves past relays that do not answer, starts with the
// one that answered last, and a list that keeps the first relay keeps what was synced.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { newIdentity, startTestRelay } from '../../test/helpers/relay-client';
import { RelayClient } from './relay-client';
import { profilePaths } from '../profile/paths';
import { checkRelayUrls, readSyncState, scopeSync, setVaultRelay, writeSyncState } from './sync-state';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A URL where nothing listens: a port taken and let go again. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

describe('relay lists', () => {
  it('checks each URL and keeps the order, without repeats', () => {
    expect(checkRelayUrls('ws://a:1, wss://b/ ,ws://a:1')).toBe('ws://a:1,wss://b');
    expect(() => checkRelayUrls('ws://a:1,http://b')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => checkRelayUrls(' , ')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('connects to the next relay when one fails, and tries the one that answered first next time', async () => {
    const relay = await startTestRelay();
    closers.push(() => relay.close());
    // A relay that is there but broken: it takes the connection and drops it at once.
    let attempts = 0;
    const broken = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => broken.close(resolve)));
    const list = `ws://127.0.0.1:${(broken.address() as { port: number }).port},${relay.url}`;
    const signer = newIdentity();
    const first = await RelayClient.connect(list, nodeSuite, signer, { timeoutMs: 2_000 });
    expect([first.url, attempts]).toEqual([relay.url, 1]);
    first.close();
    const second = await RelayClient.connect(list, nodeSuite, signer, { timeoutMs: 2_000 });
    expect([second.url, attempts]).toEqual([relay.url, 1]);
    second.close();
  });

  it('keeps what was synced when a list keeps the first relay, and starts over when the first changes', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-relay-list-'));
    closers.push(() => rm(home, { recursive: true, force: true }));
    const vaultId = 'ab'.repeat(16);
    await mkdir(profilePaths(home).vault(vaultId), { recursive: true });
    await setVaultRelay(home, vaultId, 'ws://a:1');
    const state = (await readSyncState(home, vaultId))!;
    scopeSync(state, 'cd'.repeat(16)).cursor = 7;
    await writeSyncState(home, vaultId, state);
    // Another process of the same relay data added: the cursor stays.
    await setVaultRelay(home, vaultId, 'ws://a:1,ws://b:2');
    expect((await readSyncState(home, vaultId))!.scopes.get('cd'.repeat(16))?.cursor).toBe(7);
    // Another relay first: maybe other data, so from the beginning.
    await setVaultRelay(home, vaultId, 'ws://b:2,ws://a:1');
    const moved = (await readSyncState(home, vaultId))!;
    expect([moved.relay, moved.scopes.size]).toEqual(['ws://b:2,ws://a:1', 0]);
  });

  it('says RELAY_UNREACHABLE when none answers', async () => {
    const list = `${await deadUrl()},${await deadUrl()}`;
    await expect(RelayClient.connect(list, nodeSuite, newIdentity(), { timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE' });
  });
});
