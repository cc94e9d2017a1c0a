import { describe, expect, it } from 'vitest';
import { toHex } from '../../src-shared/crypto/bytes';
import { decodeInviteCode } from '../../src-shared/membership/invite';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { writeSyncState } from '../sync/sync-state';
import { createVault, openVault } from '../vaults/vaults';
import { createInvite, listMembers } from './invites';

async function alice() {
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const vault = await createVault(session, 'Team');
  return { home, keychain, session, vault };
}

describe('invites and members', () => {
  it('lists the creator as the owner who reads every environment', async () => {
    const { vault } = await alice();
    expect(listMembers(vault)).toEqual([
      expect.objectContaining({ name: 'Alice', role: 'owner', environments: ['development', 'staging', 'production'], you: true }),
    ]);
    expect(listMembers(vault)[0]!.fingerprint).toMatch(/^(\d{5} ){11}\d{5}$/);
  });

  it('makes a code carrying the relay, vault, a fresh secret and the pinned genesis, and keeps the secret in the keyring only', async () => {
    const { home, keychain, session, vault } = await alice();
    await expect(createInvite(vault, 'editor', ['development'], 3_600_000)).rejects.toMatchObject({ code: 'NO_RELAY' });
    await writeSyncState(home, vault.id, { relay: 'ws://127.0.0.1:8787', scopes: new Map() });
    await expect(createInvite(vault, 'editor', ['nope'], 3_600_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const made = await createInvite(vault, 'editor', ['development', 'staging'], 3_600_000);
    const code = decodeInviteCode(made.code);
    expect(code.relay).toBe('ws://127.0.0.1:8787');
    expect(toHex(code.vaultId)).toBe(vault.id);
    expect(code.genesisHash).toEqual(vault.membership!.state.genesisHash);
    session.lock();
    const { session: again } = await unlockProfile(nodeSuite, home, { keychain });
    const stored = again.keys.vaults.get(vault.id)!.invites!.get(made.inviteId)!;
    expect(stored.secret).toEqual(code.secret);
    expect(stored.role).toBe('editor');
    const v2 = await openVault(again, 'Team');
    expect(stored.envScopes.map((s) => v2.environments().find((e) => e.id === s)?.name)).toEqual(['development', 'staging']);
  });
});
