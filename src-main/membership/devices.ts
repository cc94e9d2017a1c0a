/**
 * A person's own devices. Linking is a join through one of the person's vaults (the vault
 * the two devices meet through): `tessera device link` makes a one-time device invite and a
 * code naming the linking device; the new device, a fresh profile, sends a join request under
 * it (its keys, HMAC'd under the code's secret, so the relay cannot swap them) and shows its
 * fingerprint; the linking device approves once the user has compared those digits, and
 * appends a device-add entry to every vault the person holds (chain.ts: same role, same
 * scopes), the meeting vault last, carrying the person's vault directory sealed to the new
 * device. The new device then verifies each vault's log from the genesis the code (or the
 * signed directory) pins, checks its entry was signed by a device of the person, takes its
 * keys and pulls.
 *
 * Revoking re-keys every scope the device read, in every vault (a device-revoke entry, with
 * its last changes pinned, as a removal); the relay refuses the device from then on, and the
 * person stays a member through their other devices.
 */
import { fromHex, toHex } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint, memberId } from '../../src-shared/crypto/identity';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import { addDevice } from '../../src-shared/membership/builders';
import { verifyChain } from '../../src-shared/membership/chain';
import { openDirectory, sealDirectory, type DirectoryVault } from '../../src-shared/membership/device-directory';
import { decodeEntry, type MembershipEntry } from '../../src-shared/membership/entry';
import { decodeDeviceCode, encodeDeviceCode } from '../../src-shared/membership/invite';
import { deviceName } from '../../src-shared/membership/keys';
import { currentMember, currentMembers, devicesOf, personOf, type Member, type MembershipState } from '../../src-shared/membership/state';
import type { DeviceInfo } from '../../src-shared/api/types';
import { auditOf } from '../audit/session-audit';
import type { PendingJoin } from '../profile/keyring';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { syncOnce } from '../sync/sync-runs';
import { checkRelayUrls, readSyncState, writeSyncState } from '../sync/sync-state';
import { withVaultMembership } from '../sync/vault-relay';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { chooseRequest, type ApprovalChoice } from './approval';
import { keepInvite, membershipOf, pickPerson, retireInvite } from './invites';
import { appendWithPins, freshSnapshots } from './remove';
import { fetchLogAsMember, myIdentity, pendingJoinRequests, sendJoinRequest, type JoinRequestView } from './join';
import { pushEntry, saveLog } from './log-sync';

/** This profile's member record in `vault`, if it is a current member and a person (not a machine). */
function meIn(vault: Vault): { state: MembershipState; me: Member } | undefined {
  const state = vault.membership?.state;
  const me = state && currentMember(state, vault.session.signingKey.publicKey);
  return state && me && !me.machine ? { state, me } : undefined;
}

/** The vaults this person holds that a new device can reach: shared, with a relay. */
async function linkableVaults(session: Session): Promise<{ vault: Vault; relay: string }[]> {
  const out: { vault: Vault; relay: string }[] = [];
  for (const vault of (await vaultDirectory(session).openAll()).vaults) {
    const sync = meIn(vault) && (await readSyncState(session.home, vault.id));
    if (sync) out.push({ vault, relay: sync.relay });
  }
  return out;
}

export interface CreatedLink {
  readonly code: string;
  readonly vault: string;
  readonly expiresAt: number;
}

/** A one-time code for a new device, meeting through `via` (default: the first shared vault). */
export async function createDeviceLink(session: Session, via: string | undefined, ttlMs: number): Promise<CreatedLink> {
  const reachable = await linkableVaults(session);
  const chosen = via === undefined ? undefined : await vaultDirectory(session).find(via);
  const meeting = chosen ? reachable.find((r) => r.vault.id === chosen.id) : reachable[0];
  if (!meeting) {
    throw new TesseraError(
      'NO_RELAY',
      via ? `Vault ${via} is not shared through a relay, so a device cannot meet through it` : 'A new device meets this one through a relay: share a vault first (tessera vault relay VAULT ws://HOST:PORT)',
    );
  }
  const { vault, relay } = meeting;
  const { state } = membershipOf(vault);
  const inviteId = session.suite.randomBytes(16);
  const secret = session.suite.randomBytes(32);
  const now = Date.now();
  // A device invite hands out no role of its own: the device gets the person's, in every vault.
  const invite = { secret, role: 'viewer' as const, envScopes: [], createdAt: now, expiresAt: now + ttlMs, device: true as const };
  await keepInvite(session, vault.id, toHex(inviteId), invite);
  const code = encodeDeviceCode({ relay, vaultId: fromHex(vault.id), inviteId, secret, genesisHash: state.genesisHash, vaultName: vault.name, linker: session.signingKey.publicKey });
  return { code, vault: vault.name, expiresAt: invite.expiresAt };
}

/** On the new device: sends the link request; returns the fingerprint to compare. */
export async function requestDeviceLink(session: Session, code: string, name: string): Promise<{ fingerprint: string; vault: string }> {
  const link = decodeDeviceCode(code);
  checkRelayUrls(link.relay);
  if (session.keys.vaults.size > 0 || session.keys.joins.size > 0) {
    throw new TesseraError('INVALID_INPUT', 'This profile already has vaults of its own: a device to link starts from a new profile (tessera init in a fresh TESSERA_HOME)');
  }
  await sendJoinRequest(session, link, name);
  const vaultId = toHex(link.vaultId);
  const join: PendingJoin = { relay: link.relay, inviteId: toHex(link.inviteId), genesisHash: toHex(link.genesisHash), requestedAt: Date.now(), vaultName: link.vaultName, linker: toHex(link.linker) };
  await withProfileLock(session.home, () => session.updateKeyring((k) => void k.joins.set(vaultId, join)));
  return { fingerprint: formatFingerprint(fingerprint(myIdentity(session))), vault: link.vaultName };
}

/** Link requests from new devices waiting on this device's approval (live device invites only). */
export async function waitingDevices(
  session: Session,
  reachable?: readonly { vault: Vault; relay: string }[],
): Promise<{ vault: Vault; requests: JoinRequestView[]; refused: number }[]> {
  const out: { vault: Vault; requests: JoinRequestView[]; refused: number }[] = [];
  for (const { vault } of reachable ?? (await linkableVaults(session))) {
    const invites = session.keys.vaults.get(vault.id)?.invites;
    if (![...(invites?.values() ?? [])].some((i) => i.device && i.expiresAt > Date.now())) continue;
    const { valid, refused } = await withVaultMembership(vault, (client) => pendingJoinRequests(vault, client, { devices: true }));
    if (valid.length || refused) out.push({ vault, requests: valid, refused });
  }
  return out;
}

export interface LinkedDevice {
  readonly name: string;
  readonly fingerprint: string;
  /** Vault names the device now holds. */
  readonly vaults: string[];
}

/**
 * Approves the one new device `choice` means (its fingerprint compared, approval.ts) and adds
 * it to every vault this person holds through a relay, the meeting vault last with the directory.
 */
export async function approveDevice(session: Session, choice: ApprovalChoice<JoinRequestView>): Promise<LinkedDevice> {
  const reachable = await linkableVaults(session);
  const waiting = await waitingDevices(session, reachable);
  const all = waiting.flatMap((w) => w.requests.map((r) => ({ ...r, meeting: w.vault })));
  const refused = waiting.reduce((n, w) => n + w.refused, 0);
  if (all.length === 0 && refused > 0) {
    // The relay (or someone without the code) altered or made them: the keys in them are not the new device's.
    throw new TesseraError('TAMPERED', `${refused} link request(s) did not verify against the code: they were altered on the way or made without it. Nothing was linked; run tessera device link again`);
  }
  if (all.length === 0) throw new TesseraError('NOT_FOUND', 'No new device is waiting: run tessera device link here, then tessera device add CODE on the new computer');
  const chosen = await chooseRequest(all, choice, waiting[0]!.vault.name);
  const meeting = (chosen as (typeof all)[number]).meeting;
  const directory: DirectoryVault[] = [];
  for (const { vault, relay } of reachable) directory.push({ id: vault.id, relay, genesisHash: toHex(membershipOf(vault).state.genesisHash), name: vault.name });
  const order = [...reachable.filter((r) => r.vault.id !== meeting.id), ...reachable.filter((r) => r.vault.id === meeting.id)];
  const linked: string[] = [];
  for (const { vault } of order) {
    const isMeeting = vault.id === meeting.id;
    await withVaultMembership(vault, async (client, log) => {
      if (currentMember(log.state, chosen.identity.signPublicKey)) return; // linked here before (a retry)
      const held = session.keys.vaults.get(vault.id)!.scopes;
      const built = addDevice(session.suite, log.state, session.signingKey, held, {
        identity: chosen.identity,
        name: chosen.name,
        ...(isMeeting ? { directory: sealDirectory(session.suite, directory, fromHex(vault.id), chosen.identity.boxPublicKey) } : {}),
      });
      vault.setMembership(await pushEntry(session, client, vault.id, log, built.bytes, built.state));
    });
    linked.push(vault.name);
  }
  await retireInvite(session, meeting.id, chosen.inviteId);
  await auditOf(session).record({ action: 'device-added', subject: memberId(chosen.identity), detail: { name: chosen.name, fingerprint: chosen.fingerprint, vaults: linked.length } });
  return { name: chosen.name, fingerprint: chosen.fingerprint, vaults: linked };
}

/**
 * On the new device, once approved: the meeting vault's log verified from the code's genesis,
 * its device-add signed by the linking device; then every vault of the sealed directory, each
 * verified from its own genesis, with a device-add signed by a device of the same person.
 * Returns the vault ids now held; undefined while the link is not approved yet.
 */
export async function completeDeviceLink(session: Session, vaultId: string, join: PendingJoin & { linker: string }): Promise<string[] | undefined> {
  const meeting = await fetchDeviceEntry(session, join.relay, vaultId, join.genesisHash);
  if (!meeting) return undefined;
  const { entry, state } = meeting;
  if (toHex(entry.author) !== join.linker) throw new TesseraError('TAMPERED', 'The device entry was not signed by the device that made the link code', { reason: 'KEY_MISMATCH' });
  const person = personOf(state.members.get(join.linker)!);
  if (entry.body.kind !== 'device-add') throw new TesseraError('TAMPERED', 'Not a device entry');
  const directory = openDirectory(session.suite, entry.body.directory, fromHex(vaultId), session.keys.boxSecret, myIdentity(session).boxPublicKey);
  const held = [vaultId];
  await take(session, vaultId, join.relay, meeting);
  for (const d of directory) {
    if (d.id === vaultId) continue;
    const found = await fetchDeviceEntry(session, d.relay, d.id, d.genesisHash);
    // Not added there (a vault the linking device could not reach): nothing to take.
    if (!found) continue;
    const author = found.state.members.get(toHex(found.entry.author));
    if (!author || personOf(author) !== person) throw new TesseraError('TAMPERED', `The device entry of vault ${d.name} was not signed by a device of this person`, { reason: 'KEY_MISMATCH' });
    await take(session, d.id, d.relay, found);
    held.push(d.id);
  }
  await withProfileLock(session.home, () => session.updateKeyring((k) => void k.joins.delete(vaultId)));
  for (const id of held) {
    try {
      await syncOnce(await vaultDirectory(session).byId(id));
    } catch (e) {
      if (!isTesseraError(e)) throw e; // the link stands: the next tessera sync pulls it
    }
  }
  await auditOf(session).record({ action: 'device-added', subject: memberId(myIdentity(session)), detail: { step: 'linked', vaults: held.length } });
  return held;
}

/** Completes every device link this profile asked for that has been approved; returns the vault ids now held. */
export async function completeDeviceLinks(session: Session): Promise<{ linked: string[]; waiting: boolean }> {
  const linked: string[] = [];
  let waiting = false;
  for (const [vaultId, join] of session.keys.joins) {
    if (!join.linker) continue;
    const held = await completeDeviceLink(session, vaultId, { ...join, linker: join.linker });
    if (held) linked.push(...held);
    else waiting = true;
  }
  return { linked, waiting };
}

interface DeviceEntry {
  readonly entries: Uint8Array[];
  readonly state: MembershipState;
  readonly entry: MembershipEntry;
}

/** The vault's log from `relay`, verified from `genesisHash`, and the device-add naming this device's keys. */
async function fetchDeviceEntry(session: Session, relay: string, vaultId: string, genesisHash: string): Promise<DeviceEntry | undefined> {
  const entries = await fetchLogAsMember(session, relay, vaultId);
  if (!entries) return undefined;
  const state = verifyChain(session.suite, fromHex(genesisHash), entries);
  const me = myIdentity(session);
  const entry = entries.map((b) => decodeEntry(b)).find((e) => e.body.kind === 'device-add' && toHex(e.body.device.signPublicKey) === toHex(me.signPublicKey));
  if (!entry) return undefined;
  if (entry.body.kind === 'device-add' && toHex(entry.body.device.boxPublicKey) !== toHex(me.boxPublicKey)) {
    throw new TesseraError('TAMPERED', 'The device entry names another box key than this device’s', { reason: 'KEY_MISMATCH' });
  }
  return { entries, state, entry };
}

async function take(session: Session, vaultId: string, relay: string, found: DeviceEntry): Promise<void> {
  await withProfileLock(session.home, () => saveLog(session, vaultId, { entries: found.entries, state: found.state }));
  await writeSyncState(session.home, vaultId, { relay, scopes: new Map() });
}

const FIRST_DEVICE = 'first device';

/**
 * This person's current devices, across every vault they hold. `lastSeen` reads every
 * version of every readable environment: off for callers that only pick a device.
 */
export async function listDevices(session: Session, opts: { lastSeen?: boolean } = {}): Promise<DeviceInfo[]> {
  const byKey = new Map<string, { view: Omit<DeviceInfo, 'vaults' | 'lastSeenAt'>; vaults: string[] }>();
  const lastSeen = new Map<string, number>();
  const mine = toHex(session.signingKey.publicKey);
  for (const vault of (await vaultDirectory(session).openAll()).vaults) {
    const found = meIn(vault);
    if (!found) continue;
    const metaKeys = session.keys.vaults.get(vault.id)?.scopes.get(found.state.metaScope) ?? new Map();
    const nameOf = (m: Member | undefined) => (m ? (deviceName(session.suite, found.state, m, metaKeys) ?? FIRST_DEVICE) : '');
    for (const d of devicesOf(found.state, personOf(found.me))) {
      const key = toHex(d.identity.signPublicKey);
      if (!byKey.has(key)) {
        const fp = fingerprint(d.identity);
        byKey.set(key, {
          view: {
            name: nameOf(d),
            fingerprint: formatFingerprint(fp),
            memberId: memberId(d.identity),
            addedAt: d.device ? d.addedAt : null,
            addedBy: d.device ? nameOf(found.state.members.get(d.device.addedBy)) : '',
            you: key === mine,
          },
          vaults: [],
        });
      }
      byKey.get(key)!.vaults.push(vault.name);
    }
    if (opts.lastSeen !== false) await noteLastChanges(vault, lastSeen);
  }
  return [...byKey.values()].map((d) => ({ ...d.view, lastSeenAt: lastSeen.get(d.view.memberId) ?? null, vaults: d.vaults }));
}

/**
 * The newest change each member id signed among what this profile holds of `vault`: secret
 * records and every version of the environments it reads. Records name their real signer
 * (record-authors.ts), so this is when that device last wrote here, by its own clock.
 */
async function noteLastChanges(vault: Vault, into: Map<string, number>): Promise<void> {
  const note = (by: string, at: number) => {
    if (at > (into.get(by) ?? 0)) into.set(by, at);
  };
  for (const s of vault.meta.secrets()) note(s.updatedBy, s.updatedAt);
  for (const env of await vault.readableEnvironments()) {
    for (const id of env.values.secretIds()) for (const v of env.values.history(id)) note(v.by, v.at);
  }
}

/**
 * Cuts off one of this person's devices (a lost laptop) in every vault it is in: each scope
 * it read gets new keys (device-revoke, its last changes pinned) and fresh snapshots, so
 * nothing written afterwards opens with its keys, and the relay refuses it. Not this device.
 */
export async function revokeOwnDevice(session: Session, who: string): Promise<{ name: string; fingerprint: string; vaults: string[] }> {
  const device = pickPerson(await listDevices(session, { lastSeen: false }), who, 'device', 'see tessera device list');
  if (device.you) throw new TesseraError('INVALID_INPUT', 'That is the device you are on: revoke it from another of your devices');
  const vaults: string[] = [];
  for (const vault of (await vaultDirectory(session).openAll()).vaults) {
    const target = vault.membership && currentMembers(vault.membership.state).find((m) => memberId(m.identity) === device.memberId);
    if (!target) continue;
    await appendWithPins(vault, target, 'revoke');
    await freshSnapshots(vault);
    vaults.push(vault.name);
  }
  await auditOf(session).record({ action: 'device-revoked', subject: device.memberId, detail: { name: device.name, fingerprint: device.fingerprint, vaults: vaults.length } });
  return { name: device.name, fingerprint: device.fingerprint, vaults };
}
