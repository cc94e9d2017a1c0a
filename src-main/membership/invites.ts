/**
 * Sharing a vault, on the inviting side: invites (kept in the keyring: their secret is what
 * proves a joiner), and the member list read from the verified membership log.
 */
import { fromHex, toHex } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import { TesseraError } from '../../src-shared/errors';
import type { Role } from '../../src-shared/membership/entry';
import { encodeInviteCode } from '../../src-shared/membership/invite';
import { memberName } from '../../src-shared/membership/keys';
import { currentMember, currentPeople, mayManage, personOf } from '../../src-shared/membership/state';
import type { PendingInvite } from '../profile/keyring';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { readSyncState } from '../sync/sync-state';
import { auditOf } from '../audit/session-audit';
import type { Vault } from '../vaults/vault';

export type InviteRole = Exclude<Role, 'owner'>;

export interface CreatedInvite {
  readonly code: string;
  readonly inviteId: string;
  readonly expiresAt: number;
}

/** The verified log of a shared vault, or a clear error for one made before sharing. */
export function membershipOf(vault: Vault) {
  if (!vault.membership) throw new TesseraError('INVALID_INPUT', `Vault ${vault.name} predates sharing (it has no membership log)`);
  return vault.membership;
}

/** Makes a one-time invite code for `role` with read access to `environments`. */
export async function createInvite(vault: Vault, role: InviteRole, environments: readonly string[], ttlMs: number): Promise<CreatedInvite> {
  const { state } = membershipOf(vault);
  const me = currentMember(state, vault.session.signingKey.publicKey);
  if (!me || !mayManage(me.role, role)) throw new TesseraError('NO_ACCESS', `Your role (${me?.role ?? 'none'}) cannot invite an ${role}`);
  const sync = await readSyncState(vault.session.home, vault.id);
  if (!sync) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay to meet through: tessera vault relay ${vault.name} ws://HOST:PORT`);
  const envScopes = environments.map((name) => {
    const env = vault.environmentByName(name);
    if (!env) throw new TesseraError('NOT_FOUND', `No environment ${name} in this vault`);
    if (!me.scopes.has(env.id)) throw new TesseraError('NO_ACCESS', `You cannot grant ${name}: you do not read it`);
    return env.id;
  });
  const suite = vault.session.suite;
  const inviteId = suite.randomBytes(16);
  const secret = suite.randomBytes(32);
  const now = Date.now();
  const invite = { secret, role, envScopes, createdAt: now, expiresAt: now + ttlMs };
  await keepInvite(vault.session, vault.id, toHex(inviteId), invite);
  const code = encodeInviteCode({ relay: sync.relay, vaultId: fromHex(vault.id), inviteId, secret, genesisHash: state.genesisHash, vaultName: vault.name });
  await auditOf(vault.session).record({ action: 'invite', vaultId: vault.id, vault: vault.name, detail: { role, environments: [...environments], expiresAt: invite.expiresAt } });
  return { code, inviteId: toHex(inviteId), expiresAt: invite.expiresAt };
}

/** Keeps an invite's secret in the keyring, under the vault it opens (what proves its joiner). */
export function keepInvite(session: Session, vaultId: string, inviteId: string, invite: PendingInvite): Promise<void> {
  return withProfileLock(session.home, () =>
    session.updateKeyring((k) => {
      const v = k.vaults.get(vaultId)!;
      k.vaults.set(vaultId, { ...v, invites: new Map([...(v.invites ?? []), [inviteId, invite]]) });
    }),
  );
}

/** Forgets a used invite: each answers one request. */
export function retireInvite(session: Session, vaultId: string, inviteId: string): Promise<void> {
  return withProfileLock(session.home, () =>
    session.updateKeyring((k) => {
      const v = k.vaults.get(vaultId)!;
      const invites = new Map(v.invites ?? []);
      invites.delete(inviteId);
      k.vaults.set(vaultId, { ...v, invites });
    }),
  );
}

export interface MemberView {
  readonly name: string;
  readonly fingerprint: string;
  readonly memberId: string;
  readonly role: Role;
  readonly environments: string[];
  readonly you: boolean;
}

/** Current members, their roles, readable environments and fingerprints. */
export function listMembers(vault: Vault): MemberView[] {
  const { state } = membershipOf(vault);
  const keys = vault.session.keys.vaults.get(vault.id)!;
  const metaKeys = keys.scopes.get(state.metaScope) ?? new Map();
  const envName = new Map(vault.environments().map((e) => [e.id, e.name]));
  const me = currentMember(state, vault.session.signingKey.publicKey);
  const mePerson = me ? personOf(me) : toHex(vault.session.signingKey.publicKey);
  // People only: machine members (tokens) are listed by `tessera token list` (machines.ts).
  // People, each once (a person's devices are theirs: `tessera device list`).
  return currentPeople(state).map((p) => p.member).filter((m) => !m.machine).map((m) => {
    const fp = fingerprint(m.identity);
    return {
      name: memberName(vault.session.suite, state, m, metaKeys) ?? '(name unreadable)',
      fingerprint: formatFingerprint(fp),
      memberId: toHex(fp.subarray(0, 8)),
      role: m.role,
      environments: [...m.scopes].filter((s) => s !== state.metaScope).map((s) => envName.get(s) ?? s.slice(0, 8)),
      you: personOf(m) === mePerson,
    };
  });
}

const digits = (s: string) => s.replace(/\s+/g, '');

/**
 * The one person `who` names among `people`: by exact name, or by a fingerprint prefix of
 * at least 5 digits (spaces ignored), as read aloud. Throws NOT_FOUND, or INVALID_INPUT
 * when it names more than one.
 */
export function pickPerson<T extends { readonly name: string; readonly fingerprint: string }>(people: readonly T[], who: string, what: string, hint: string): T {
  const found = people.filter((p) => p.name === who || (digits(who).length >= 5 && digits(p.fingerprint).startsWith(digits(who))));
  if (found.length === 0) throw new TesseraError('NOT_FOUND', `${JSON.stringify(who)} matches no ${what} (${hint})`);
  if (found.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(who)} matches ${found.length} ${what}s: give more of the fingerprint`);
  return found[0]!;
}
