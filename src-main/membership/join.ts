/**
 * Joining a vault, and approving who asked. The joiner sends a join request through the
 * relay (membership/invite.ts); a manager fetches the requests, checks each against the
 * invite it issued, compares fingerprints with the joiner out of band, and appends the add
 * entry that wraps the keys. The joiner's next sync finds that entry, checks it names its
 * own keys and answers its invite, takes the keys, and pulls the vault once (its name is
 * sealed in the metadata scope: until that arrives the joiner cannot call it by name).
 */
import { fromBase64Url, fromHex, toHex } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint, memberId, type PublicIdentity } from '../../src-shared/crypto/identity';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import { addMember } from '../../src-shared/membership/builders';
import { verifyChain } from '../../src-shared/membership/chain';
import { decodeEntry } from '../../src-shared/membership/entry';
import { checkJoinRequest, createJoinRequest, decodeInviteCode, readJoinRequest, type Invite } from '../../src-shared/membership/invite';
import { checkJoinerKeys } from '../../src-shared/membership/relay-checks';
import type { PendingInvite } from '../profile/keyring';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { RelayClient } from '../sync/relay-client';
import { checkRelayUrls, writeSyncState } from '../sync/sync-state';
import { withVaultMembership, withVaultRelay } from '../sync/vault-relay';
import { auditOf } from '../audit/session-audit';
import { syncOnce } from '../sync/sync-runs';
import type { SyncSummary } from '../sync/vault-sync';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { chooseRequest, type ApprovalChoice } from './approval';
import { retireInvite } from './invites';
import { pushEntry, saveLog } from './log-sync';

export const myIdentity = (session: Session): PublicIdentity => ({
  signPublicKey: fromBase64Url(session.profile.identity.signPublicKey),
  boxPublicKey: fromBase64Url(session.profile.identity.boxPublicKey),
});

/** Sends our keys to the invite's relay, bound to its secret (a vault join, or a device link). */
export async function sendJoinRequest(session: Session, invite: Invite, name: string): Promise<void> {
  checkRelayUrls(invite.relay);
  const request = createJoinRequest(session.suite, invite, session.signingKey, myIdentity(session).boxPublicKey, name);
  const client = await RelayClient.connect(invite.relay, session.suite, session.signingKey);
  try {
    await client.request({ type: 'join', vaultId: invite.vaultId, request }, 'join-ok');
  } finally {
    client.close();
  }
}

/** Sends a join request for the invite; returns the joiner's fingerprint to read out. */
export async function requestJoin(session: Session, code: string, name: string): Promise<{ vaultId: string; vaultName: string; fingerprint: string }> {
  const invite = decodeInviteCode(code);
  checkRelayUrls(invite.relay);
  const vaultId = toHex(invite.vaultId);
  if (session.keys.vaults.has(vaultId)) throw new TesseraError('ALREADY_EXISTS', 'This profile already has that vault');
  await sendJoinRequest(session, invite, name);
  await auditOf(session).record({ action: 'join', vaultId, ...(invite.vaultName ? { vault: invite.vaultName } : {}), detail: { step: 'requested' } });
  await withProfileLock(session.home, () =>
    session.updateKeyring((k) => {
      k.joins.set(vaultId, { relay: invite.relay, inviteId: toHex(invite.inviteId), genesisHash: toHex(invite.genesisHash), requestedAt: Date.now(), ...(invite.vaultName ? { vaultName: invite.vaultName } : {}) });
    }),
  );
  return { vaultId, vaultName: invite.vaultName, fingerprint: formatFingerprint(fingerprint(myIdentity(session))) };
}

export interface CompletedJoin {
  readonly vaultId: string;
  /** The vault's name, from its metadata; '' when the pull after the join failed. */
  readonly name: string;
  /** What the first pull brought; absent when it failed. */
  readonly sync?: SyncSummary;
  /** Why the first pull failed: the join stands, the next `tessera sync` pulls. */
  readonly pullError?: TesseraError;
}

/**
 * For each vault this profile asked to join: if a manager has approved, verify the log from
 * the genesis the invite pinned, check the add entry names our keys and answers our invite,
 * take the keys, and pull the vault once so that its name is known before the join is
 * reported. Returns the vaults joined now; the others are still waiting.
 */
export async function completeJoins(session: Session): Promise<{ joined: CompletedJoin[]; waiting: string[] }> {
  const joined: CompletedJoin[] = [];
  const waiting: string[] = [];
  for (const [vaultId, join] of session.keys.joins) {
    if (join.linker) continue; // a device link: completeDeviceLinks
    const entries = await fetchLogAsMember(session, join.relay, vaultId);
    if (!entries) {
      waiting.push(vaultId);
      continue;
    }
    const state = verifyChain(session.suite, fromHex(join.genesisHash), entries);
    const me = toHex(session.signingKey.publicKey);
    const add = entries.map((b) => decodeEntry(b)).find((e) => e.body.kind === 'add' && toHex(e.body.member.signPublicKey) === me);
    if (!add) {
      waiting.push(vaultId);
      continue;
    }
    checkJoinerKeys(add, myIdentity(session), fromHex(join.inviteId));
    const log = { entries, state };
    await withProfileLock(session.home, async () => {
      await saveLog(session, vaultId, log);
      await session.updateKeyring((k) => void k.joins.delete(vaultId));
    });
    await writeSyncState(session.home, vaultId, { relay: join.relay, scopes: new Map() });
    const done = await firstPull(session, vaultId);
    await auditOf(session).record({ action: 'join', vaultId, ...(done.name ? { vault: done.name } : {}), detail: { step: 'approved' } });
    joined.push(done);
  }
  return { joined, waiting };
}

/**
 * A vault's whole membership log from `relay`, as this profile may read it; undefined while
 * the relay does not count us a member (a join or a device link not approved yet).
 */
export async function fetchLogAsMember(session: Session, relay: string, vaultId: string): Promise<Uint8Array[] | undefined> {
  const client = await RelayClient.connect(relay, session.suite, session.signingKey);
  try {
    return (await client.request({ type: 'log-fetch', vaultId: fromHex(vaultId), from: 0 }, 'log')).entries;
  } catch (e) {
    if (isTesseraError(e, 'RELAY_REJECTED') && e.details.relayCode === 'NOT_A_MEMBER') return undefined;
    throw e;
  } finally {
    client.close();
  }
}

/** The pull that brings a just-joined vault's metadata (its name) and what else it may read. */
async function firstPull(session: Session, vaultId: string): Promise<CompletedJoin> {
  const vault = await vaultDirectory(session).byId(vaultId);
  try {
    const sync = await syncOnce(vault);
    return { vaultId, name: vault.name, sync };
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    return { vaultId, name: vault.name, pullError: e };
  }
}

export interface JoinRequestView {
  readonly name: string;
  readonly fingerprint: string;
  readonly identity: PublicIdentity;
  readonly inviteId: string;
  readonly invite: PendingInvite;
  readonly bytes: Uint8Array;
}

/** The join requests waiting on the relay that answer one of our live invites. */
export async function pendingJoinRequests(vault: Vault, client: RelayClient, opts: { devices?: boolean } = {}): Promise<{ valid: JoinRequestView[]; refused: number }> {
  const answer = await client.request({ type: 'join-list', vaultId: fromHex(vault.id) }, 'joins');
  const invites = vault.session.keys.vaults.get(vault.id)?.invites ?? new Map<string, PendingInvite>();
  const valid: JoinRequestView[] = [];
  let refused = 0;
  for (const bytes of answer.requests) {
    try {
      const req = readJoinRequest(vault.session.suite, bytes);
      const inviteId = toHex(req.inviteId);
      const invite = invites.get(inviteId);
      if (!invite || invite.expiresAt < Date.now()) continue; // used, expired, or not ours
      // A device link is approved as a device of this person (devices.ts), never as a member.
      if (Boolean(invite.device) !== Boolean(opts.devices)) continue;
      const name = checkJoinRequest(vault.session.suite, req, { inviteId: req.inviteId, secret: invite.secret, vaultId: fromHex(vault.id) });
      valid.push({ name, fingerprint: formatFingerprint(fingerprint(req.identity)), identity: req.identity, inviteId, invite, bytes });
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      refused++; // a request the relay altered, or made without the invite: never shown as valid
    }
  }
  return { valid, refused };
}

/**
 * Approves the one request `choice` means, once its fingerprint is confirmed (approval.ts):
 * fingerprint digits, or a name with digits given or asked for. Nothing is appended otherwise.
 */
export async function approve(vault: Vault, choice: ApprovalChoice<JoinRequestView>): Promise<JoinRequestView> {
  const approved = await withVaultMembership(vault, async (client, log) => {
    const { valid } = await pendingJoinRequests(vault, client);
    const r = await chooseRequest(valid, choice, vault.name);
    const held = vault.session.keys.vaults.get(vault.id)!.scopes;
    const built = addMember(vault.session.suite, log.state, vault.session.signingKey, held, {
      identity: r.identity,
      name: r.name,
      role: r.invite.role,
      envScopes: r.invite.envScopes,
      inviteId: fromHex(r.inviteId),
    });
    vault.setMembership(await pushEntry(vault.session, client, vault.id, log, built.bytes, built.state));
    await retireInvite(vault.session, vault.id, r.inviteId);
    return r;
  });
  const envName = new Map(vault.environments().map((e) => [e.id, e.name]));
  await auditOf(vault.session).record({
    action: 'approve',
    vaultId: vault.id,
    vault: vault.name,
    subject: memberId(approved.identity),
    detail: {
      name: approved.name,
      role: approved.invite.role,
      environments: approved.invite.envScopes.map((s) => envName.get(s) ?? s.slice(0, 8)),
      fingerprint: approved.fingerprint,
    },
  });
  return approved;
}

export interface WaitingRequest {
  readonly name: string;
  readonly fingerprint: string;
  readonly role: PendingInvite['role'];
  /** Environment names the invite grants. */
  readonly environments: string[];
}

/** The join requests waiting for this profile's approval (those answering one of its live invites). */
export async function waitingRequests(vault: Vault): Promise<WaitingRequest[]> {
  const { valid } = await withVaultRelay(vault, (client) => pendingJoinRequests(vault, client));
  const envName = new Map(vault.environments().map((e) => [e.id, e.name]));
  return valid.map((r) => ({ name: r.name, fingerprint: r.fingerprint, role: r.invite.role, environments: r.invite.envScopes.map((s) => envName.get(s) ?? s.slice(0, 8)) }));
}
