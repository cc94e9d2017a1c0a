/**
 * Changing who holds which keys: removing a member (a signed removal that gives every scope
 * the member could read a new key, wrapped to everyone who stays; then fresh snapshots under
 * the new keys, and the exposure list: every secret value the member could decrypt, to be
 * rotated at its provider: Tessera can stop them reading what comes next, not unsee what
 * they saw), changing a member's role or environments (a narrowing re-keys like a removal),
 * and rotating keys on demand.
 */
import { fromHex, toBase64Url, toHex } from '../../src-shared/crypto/bytes';
import { ZERO_HASH } from '../../src-shared/envelope/envelope';
import { fingerprint, formatFingerprint, memberId } from '../../src-shared/crypto/identity';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { changeMember, removeMember, revokeDevice, rotateKeys, type BuiltEntry } from '../../src-shared/membership/builders';
import type { Role } from '../../src-shared/membership/entry';
import type { MembershipState } from '../../src-shared/membership/state';
import { memberName } from '../../src-shared/membership/keys';
import { currentMember, currentPeople, devicesOf, personOf, readableScopes, type Member } from '../../src-shared/membership/state';
import type { Exposure } from '../../src-shared/vault/types';
import { readSyncState } from '../sync/sync-state';
import { syncOnce } from '../sync/sync-runs';
import type { Vault } from '../vaults/vault';
import { membershipOf, pickPerson } from './invites';
import { pushEntry } from './log-sync';
import { withVaultMembership } from '../sync/vault-relay';
import { auditOf } from '../audit/session-audit';

function findMember(vault: Vault, who: string): { member: Member; name: string; fingerprint: string } {
  const { state } = membershipOf(vault);
  const metaKeys = vault.session.keys.vaults.get(vault.id)!.scopes.get(state.metaScope) ?? new Map();
  // People, each once (a person's several devices are one member here).
  const people = currentPeople(state).map(({ member }) => ({
    member,
    name: memberName(vault.session.suite, state, member, metaKeys) ?? '',
    fingerprint: formatFingerprint(fingerprint(member.identity)),
  }));
  const found = pickPerson(people, who, 'member', `see tessera members --vault ${vault.name}`);
  const me = currentMember(state, vault.session.signingKey.publicKey);
  if (me && personOf(found.member) === personOf(me)) {
    throw new TesseraError('INVALID_INPUT', 'You cannot change your own membership this way');
  }
  return found;
}

export async function removeFromVault(vault: Vault, who: string): Promise<Exposure> {
  if (!(await readSyncState(vault.session.home, vault.id))) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay`);
  const target = findMember(vault, who);
  // What they could decrypt, measured before the keys change: every value in the
  // environments they read (the names are in the metadata they read too).
  const readable = new Set(readableScopes(membershipOf(vault).state, target.member.identity.signPublicKey));
  const items: Exposure['items'][number][] = [];
  for (const env of await vault.readableEnvironments()) {
    if (!readable.has(env.environment.id)) continue;
    for (const s of vault.meta.secrets()) {
      const v = env.values.current(s.id);
      if (v) items.push({ secretId: s.id, name: s.name, environment: env.environment.name, lastRotatedAt: s.rotation.lastRotatedAt ?? v.at });
    }
  }
  // Each device's last changes are its own: the person's other devices are revoked first.
  const person = personOf(target.member);
  for (const d of devicesOf(membershipOf(vault).state, person)) {
    if (d !== target.member) await appendWithPins(vault, d, 'revoke');
  }
  await appendWithPins(vault, devicesOf(membershipOf(vault).state, person)[0]!, 'remove');
  // Written and compacted under the new epoch keys: the removed member can read none of it.
  const exposure: Exposure = { member: target.name, fingerprint: target.fingerprint, removedAt: Date.now(), removedBy: vault.session.memberId, items };
  await vault.edit(() => vault.meta.recordExposure(toHex(vault.session.suite.randomBytes(8)), exposure));
  await freshSnapshots(vault);
  await auditOf(vault.session).record({
    // A machine member's removal is its token's revocation.
    action: target.member.machine ? 'token-revoked' : 'remove-member',
    vaultId: vault.id,
    vault: vault.name,
    subject: memberId(target.member.identity),
    detail: { name: target.name, fingerprint: target.fingerprint, exposedValues: items.length },
  });
  return exposure;
}

/**
 * Appends the removal, pinning the member's last change in every scope this profile reads, as
 * the relay has them (admission: nothing of theirs beyond is accepted afterwards). Syncs first
 * so the pins are the relay's; the relay refuses a removal whose pins it has moved past (the
 * member pushed meanwhile), and then this syncs and tries again.
 */
export async function appendWithPins(vault: Vault, member: Member, kind: 'remove' | 'revoke'): Promise<void> {
  const author = toBase64Url(member.identity.signPublicKey);
  for (let attempt = 1; ; attempt++) {
    await syncOnce(vault);
    const sync = (await readSyncState(vault.session.home, vault.id))!;
    const lastChanges = [...(await vault.scopeStores()).keys()].map((scope) => {
      const head = sync.scopes.get(scope)?.relayHeads.get(author);
      return { scopeId: fromHex(scope), counter: head?.counter ?? 0, hash: head?.hash ?? ZERO_HASH };
    });
    try {
      await appendToLog(vault, (state, held) =>
        kind === 'remove'
          ? removeMember(vault.session.suite, state, vault.session.signingKey, held, { member: member.identity.signPublicKey, lastChanges })
          : revokeDevice(vault.session.suite, state, vault.session.signingKey, held, { device: member.identity.signPublicKey, lastChanges }),
      );
      return;
    } catch (e) {
      const moved = isTesseraError(e, 'RELAY_REJECTED') && e.details.relayCode === 'LAST_CHANGE_MOVED';
      if (!moved || attempt >= 3) throw e;
    }
  }
}

/** Pulls the log, builds one entry on its head, appends it through the relay, takes the keys. */
async function appendToLog(vault: Vault, build: (state: MembershipState, held: Map<string, Map<number, Uint8Array>>) => BuiltEntry): Promise<void> {
  await withVaultMembership(vault, async (client, log) => {
    const built = build(log.state, vault.session.keys.vaults.get(vault.id)!.scopes);
    vault.setMembership(await pushEntry(vault.session, client, vault.id, log, built.bytes, built.state));
  });
}

/** Re-seals every scope's state under the newest keys, locally and on the relay. */
export async function freshSnapshots(vault: Vault): Promise<void> {
  await vault.compact();
  await syncOnce(vault, { snapshotEvery: 0 });
}

/** New role and environments for a member; environments taken away get new keys. */
export async function changeMemberAccess(vault: Vault, who: string, role: Role, environments: readonly string[]): Promise<{ name: string; rekeyed: boolean }> {
  const target = findMember(vault, who);
  const envScopes = environments.map((name) => {
    const env = vault.environmentByName(name);
    if (!env) throw new TesseraError('NOT_FOUND', `No environment ${name} in this vault`);
    return env.id;
  });
  const before = new Set(target.member.scopes);
  const narrowed = [...before].some((s) => s !== membershipOf(vault).state.metaScope && !envScopes.includes(s));
  await appendToLog(vault, (state, held) =>
    changeMember(vault.session.suite, state, vault.session.signingKey, held, { member: target.member.identity.signPublicKey, role, envScopes }),
  );
  if (narrowed) await freshSnapshots(vault);
  await auditOf(vault.session).record({ action: 'member-changed', vaultId: vault.id, vault: vault.name, subject: memberId(target.member.identity), detail: { name: target.name, role, environments: [...environments], rekeyed: narrowed } });
  return { name: target.name, rekeyed: narrowed };
}

/** New keys for every scope this profile reads; current members keep access to history. */
export async function rotateVaultKeys(vault: Vault): Promise<void> {
  await appendToLog(vault, (state, held) => rotateKeys(vault.session.suite, state, vault.session.signingKey, held));
  await freshSnapshots(vault);
  await auditOf(vault.session).record({ action: 'rotate-keys', vaultId: vault.id, vault: vault.name });
}
