/**
 * Removing a member: a signed removal that gives every scope the member could read a new
 * key, wrapped to everyone who stays; then fresh snapshots under the new keys, and the
 * exposure list: every secret value the member could decrypt, to be rotated at its provider
 * (Tessera can stop them reading what comes next, not unsee what they saw).
 */
import { toHex } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import { TesseraError } from '../../src-shared/errors';
import { removeMember } from '../../src-shared/membership/builders';
import { memberName } from '../../src-shared/membership/keys';
import { currentMembers, readableScopes, type Member } from '../../src-shared/membership/state';
import type { Exposure } from '../../src-shared/vault/types';
import { RelayClient } from '../sync/relay-client';
import { readSyncState } from '../sync/sync-state';
import { syncOnce } from '../sync/vault-sync';
import type { Vault } from '../vaults/vault';
import { membershipOf } from './invites';
import { pullLog, pushEntry } from './log-sync';

const digits = (s: string) => s.replace(/\s+/g, '');

function findMember(vault: Vault, who: string): { member: Member; name: string; fingerprint: string } {
  const { state } = membershipOf(vault);
  const metaKeys = vault.session.keys.vaults.get(vault.id)!.scopes.get(state.metaScope) ?? new Map();
  const found = currentMembers(state)
    .map((member) => ({ member, name: memberName(vault.session.suite, state, member, metaKeys) ?? '', fingerprint: formatFingerprint(fingerprint(member.identity)) }))
    .filter((m) => m.name === who || (digits(who).length >= 5 && digits(m.fingerprint).startsWith(digits(who))));
  if (found.length === 0) throw new TesseraError('NOT_FOUND', `No member ${JSON.stringify(who)} (see tessera members --vault ${vault.name})`);
  if (found.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(who)} matches ${found.length} members: give more of the fingerprint`);
  if (toHex(found[0]!.member.identity.signPublicKey) === toHex(vault.session.signingKey.publicKey)) {
    throw new TesseraError('INVALID_INPUT', 'You cannot remove yourself');
  }
  return found[0]!;
}

export async function removeFromVault(vault: Vault, who: string): Promise<Exposure> {
  const sync = await readSyncState(vault.session.home, vault.id);
  if (!sync) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay`);
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
  const client = await RelayClient.connect(sync.relay, vault.session.suite, vault.session.signingKey);
  try {
    const log = await pullLog(vault.session, client, vault.id, membershipOf(vault));
    const built = removeMember(vault.session.suite, log.state, vault.session.signingKey, vault.session.keys.vaults.get(vault.id)!.scopes, {
      member: target.member.identity.signPublicKey,
    });
    vault.setMembership(await pushEntry(vault.session, client, vault.id, log, built.bytes, built.state));
  } finally {
    client.close();
  }
  // Written and compacted under the new epoch keys: the removed member can read none of it.
  const exposure: Exposure = { member: target.name, fingerprint: target.fingerprint, removedAt: Date.now(), removedBy: vault.session.memberId, items };
  await vault.edit(() => vault.meta.recordExposure(toHex(vault.session.suite.randomBytes(8)), exposure));
  await vault.compact();
  await syncOnce(vault, { snapshotEvery: 0 });
  return exposure;
}
