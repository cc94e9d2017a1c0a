// `tessera approve NAME` on a terminal, in this process: the command shows the request's
// fingerprint and asks for digits of it; only matching digits append the member. (Without a
// terminal it is refused: test/integration/sharing.test.ts runs that as a user does.)
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestRelay } from '../../test/helpers/relay-client';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createInvite, listMembers } from '../../src-main/membership/invites';
import { requestJoin } from '../../src-main/membership/join';
import { createProfile, unlockProfile } from '../../src-main/profile/profile';
import { writeSyncState } from '../../src-main/sync/sync-state';
import { syncOnce } from '../../src-main/sync/sync-runs';
import { createVault, openVault } from '../../src-main/vaults/vaults';
import type { CliContext } from '../context';
import { main } from '../main';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Alice's CLI context, with a vault on a relay, and Bob's join request waiting in it. */
async function bobAsksToJoin() {
  const relay = await startTestRelay();
  closers.push(() => relay.close());
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const alice = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const vault = await createVault(alice, 'Team', ['development']);
  await writeSyncState(home, vault.id, { relay: relay.url, scopes: new Map() });
  await syncOnce(vault);
  const { code } = await createInvite(vault, 'editor', ['development'], 3_600_000);
  alice.lock();
  const bob = await createProfile(nodeSuite, await tempHome(), { name: 'Bob', keychain: createMemoryKeychain() });
  closers.push(async () => bob.lock());
  const { fingerprint } = await requestJoin(bob, code, 'Bob');
  return { home, keychain, fingerprint };
}

/** A terminal that answers `answer` once the command asks for the fingerprint's digits. */
function terminal(answer: string) {
  let stderr = '';
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const sink = (onText: (s: string) => void) => new Writable({ write: (chunk, _e, done) => (onText(String(chunk)), done()) });
  const io = {
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: sink(() => undefined),
    stderr: sink((s) => {
      stderr += s;
      if (s.startsWith('Type its last group')) setImmediate(() => stdin.write(`${answer}\r`));
    }),
  };
  return { io, stderr: () => stderr };
}

async function membersOf(home: string, keychain: CliContext['keychain']) {
  const { session } = await unlockProfile(nodeSuite, home, { keychain });
  try {
    return listMembers(await openVault(session, 'Team')).map((m) => m.name);
  } finally {
    session.lock();
  }
}

describe('tessera approve NAME on a terminal', () => {
  it('shows the whole fingerprint, and approves once the digits typed match its last group', async () => {
    const { home, keychain, fingerprint } = await bobAsksToJoin();
    const t = terminal(fingerprint.slice(-5));
    expect(await main(['approve', 'Bob', '--vault', 'Team'], { io: t.io, env: {}, home, keychain })).toBe(0);
    // Shown as two lines of six groups, to read along as Bob reads.
    const shown = fingerprint.split(' ');
    expect(t.stderr()).toContain(`Join request from "Bob" (editor), fingerprint:\n    ${shown.slice(0, 6).join(' ')}\n    ${shown.slice(6).join(' ')}\n`);
    expect(t.stderr()).toContain(`Approved "Bob" (editor) — fingerprint ${fingerprint}`);
    expect(await membersOf(home, keychain)).toEqual(['Alice', 'Bob']);
  });

  it('refuses digits that are not the fingerprint\'s, and appends nothing', async () => {
    const { home, keychain, fingerprint } = await bobAsksToJoin();
    const wrong = String((Number(fingerprint.slice(-5)) + 1) % 100000).padStart(5, '0');
    const t = terminal(wrong);
    expect(await main(['approve', 'Bob', '--vault', 'Team'], { io: t.io, env: {}, home, keychain })).toBe(1);
    expect(t.stderr()).toMatch(/nothing was approved.* \[FINGERPRINT_MISMATCH\]\n$/);
    expect(await membersOf(home, keychain)).toEqual(['Alice']);
  });
});
