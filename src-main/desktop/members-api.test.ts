// Approving a join request through the desktop API, with a real relay in this process and a
// joiner's profile of its own: main approves only the request the user confirmed, by its
// whole fingerprint, whatever the page sends.
import { afterEach, describe, expect, it } from 'vitest';
import { desktopOnRelay } from '../../test/helpers/desktop';
import type { JoinRequestInfo, MemberInfo } from '../../src-shared/api/types';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { completeJoins, requestJoin } from '../membership/join';
import { createProfile } from '../profile/profile';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function adaInvitesBob() {
  const { relay, audit, call, close } = await desktopOnRelay();
  closers.push(close);
  await call('session.setup', { name: 'Ada', useKeychain: true });
  await call('vaults.create', { name: 'acme' });
  await call('vaults.setRelay', { vault: 'acme', url: relay.url });
  await call('vaults.sync', { vault: 'acme' });
  const { code } = await call<{ code: string }>('members.invite', { vault: 'acme', role: 'editor', environments: ['development'] });

  const bob = await createProfile(nodeSuite, await tempHome(), { name: 'Bob', keychain: createMemoryKeychain() });
  closers.push(async () => bob.lock());
  const { fingerprint } = await requestJoin(bob, code, 'Bob');
  return { call, audit, bob, fingerprint };
}

const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error('approved'); }, (e: { code: string; message: string }) => e);

describe('members.approve', () => {
  it('refuses a fingerprint that is not the request\'s, and a name that is not its name: nothing is appended', async () => {
    const { call, audit, bob, fingerprint } = await adaInvitesBob();
    const pending = await call<JoinRequestInfo[]>('members.pending', { vault: 'acme' });
    expect(pending.map((p) => [p.name, p.fingerprint])).toEqual([['Bob', fingerprint]]);

    // Another whole fingerprint (one group changed), and Bob's under another name.
    const other = fingerprint.replace(/\d{5}$/, (g) => String((Number(g) + 1) % 100000).padStart(5, '0'));
    expect((await refusal(call('members.approve', { vault: 'acme', name: 'Bob', fingerprint: other }))).code).toBe('FINGERPRINT_MISMATCH');
    expect((await refusal(call('members.approve', { vault: 'acme', name: 'Robert', fingerprint }))).code).toBe('NOT_FOUND');
    // Nothing short of the whole fingerprint, and no name alone, reaches the service.
    expect((await refusal(call('members.approve', { vault: 'acme', name: 'Bob', fingerprint: fingerprint.slice(-5) }))).code).toBe('INVALID_INPUT');
    expect((await refusal(call('members.approve', { vault: 'acme', fingerprint: 'Bob and more' }))).code).toBe('INVALID_INPUT');

    expect((await call<MemberInfo[]>('members.list', { vault: 'acme' })).map((m) => m.name)).toEqual(['Ada']);
    expect(audit.events.filter((e) => e.action === 'approve')).toEqual([]);
    expect(await completeJoins(bob)).toMatchObject({ joined: [] });
    expect(await call<JoinRequestInfo[]>('members.pending', { vault: 'acme' })).toHaveLength(1);
  });

  it('approves the request whose name and whole fingerprint the user confirmed', async () => {
    const { call, audit, bob, fingerprint } = await adaInvitesBob();
    const member = await call<MemberInfo>('members.approve', { vault: 'acme', name: 'Bob', fingerprint });
    expect(member).toMatchObject({ name: 'Bob', fingerprint, role: 'editor', environments: ['development'] });
    expect(audit.events.filter((e) => e.action === 'approve')).toHaveLength(1);
    expect((await completeJoins(bob)).joined).toHaveLength(1);
  });
});
