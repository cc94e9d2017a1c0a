/**
 * The vaults and members parts of the desktop API: the same services as `tessera vault`,
 * `invite`, `join`, `approve` and `remove`, answering in the API's plain data.
 */
import type { MemberInfo, Role, TesseraApi, VaultSummary } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import { currentMember, currentMembers } from '../../src-shared/membership/state';
import { createInvite, listMembers } from '../membership/invites';
import { approve, completeJoins, requestJoin, waitingRequests } from '../membership/join';
import { removeFromVault } from '../membership/remove';
import { readSyncState } from '../sync/sync-state';
import { moveVaultRelay } from '../sync/vault-relay';
import { syncVault } from '../membership/machines';
import type { Vault } from '../vaults/vault';
import { createVault } from '../vaults/vaults';
import type { DesktopContext } from './desktop-context';

const HOUR = 3_600_000;

async function vaultSummary(vault: Vault): Promise<VaultSummary> {
  const state = vault.membership?.state;
  const me = state ? currentMember(state, vault.session.signingKey.publicKey) : undefined;
  const sync = await readSyncState(vault.session.home, vault.id);
  return {
    id: vault.id,
    name: vault.name,
    environments: vault.environments().map((e) => ({ name: e.name, readable: vault.canRead(e.name) })),
    secrets: vault.meta.secrets().length,
    // A vault made before sharing existed has no log: its only member is its creator.
    role: state ? ((me?.role as Role | undefined) ?? null) : 'owner',
    members: state ? currentMembers(state).length : 1,
    relay: sync?.relay ?? null,
  };
}

function memberInfo(m: ReturnType<typeof listMembers>[number]): MemberInfo {
  return { memberId: m.memberId, name: m.name, fingerprint: m.fingerprint, role: m.role, environments: m.environments, you: m.you };
}

export function vaultsApi(ctx: DesktopContext): TesseraApi['vaults'] {
  return {
    list: async () => {
      const { vaults, unreadable } = await ctx.vaults();
      const readable = await Promise.all(vaults.map(vaultSummary));
      const broken = [...unreadable].map(([id, e]): VaultSummary => ({ id, name: `Unreadable vault ${id.slice(0, 8)}`, environments: [], secrets: 0, role: null, members: 0, relay: null, error: e.code }));
      return [...readable, ...broken];
    },
    create: async ({ name, environments }) => {
      const vault = await createVault(ctx.session(), name, environments);
      ctx.forgetVaults(); // the next list opens it along with the rest
      return vaultSummary(vault);
    },
    sync: async ({ vault: name }) => {
      const vault = await ctx.vault(name);
      const { summary: s } = await syncVault(vault);
      if (s.pulled > 0) ctx.emit({ type: 'vault-changed', vault: vault.name });
      return { sent: s.pushed, received: s.pulled };
    },
    setRelay: async ({ vault: name, url }) => {
      await moveVaultRelay(await ctx.vault(name), url);
    },
  };
}

export function membersApi(ctx: DesktopContext): TesseraApi['members'] {
  const byMemberId = (vault: Vault, memberId: string) => {
    const m = listMembers(vault).find((x) => x.memberId === memberId);
    if (!m) throw new TesseraError('NOT_FOUND', 'No such member in this vault');
    return m;
  };
  return {
    list: async ({ vault }) => listMembers(await ctx.vault(vault)).map(memberInfo),
    invite: async ({ vault: name, role, environments, ttlHours }) => {
      const vault = await ctx.vault(name);
      const invite = await createInvite(vault, role, environments, (ttlHours ?? 48) * HOUR);
      return { code: invite.code, expiresAt: invite.expiresAt };
    },
    join: async ({ code }) => {
      const session = ctx.session();
      const { fingerprint } = await requestJoin(session, code, session.profile.name);
      return { fingerprint };
    },
    completeJoins: async () => {
      // Each joined vault was pulled once already (or will be by its next sync).
      const { joined, waiting } = await completeJoins(ctx.session());
      ctx.forgetVaults();
      for (const j of joined) ctx.emit({ type: 'vault-changed', vault: j.name || j.vaultId });
      return { joined: joined.map((j) => j.name || j.vaultId), waiting: waiting.length };
    },
    pending: async ({ vault: name }) => {
      return (await waitingRequests(await ctx.vault(name))).map((r) => ({ ...r, role: r.role as Role }));
    },
    approve: async ({ vault: vaultName, name, fingerprint }) => {
      const vault = await ctx.vault(vaultName);
      // The schema admits only a whole fingerprint, so "its start or end" means all of it:
      // the request approved is the one the user saw and confirmed, whatever else arrived.
      const approved = await approve(vault, { who: name, fingerprint });
      const member = listMembers(vault).find((m) => m.fingerprint === approved.fingerprint);
      if (!member) throw new TesseraError('NOT_FOUND', 'The approved member is missing from the membership log: sync and look again');
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return memberInfo(member);
    },
    remove: async ({ vault: name, memberId }) => {
      const vault = await ctx.vault(name);
      const target = byMemberId(vault, memberId);
      await removeFromVault(vault, target.fingerprint);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
    },
  };
}
