/**
 * The membership of a vault as folded from its verified log (chain.ts), and the questions
 * every client and the relay ask of it: who is a member, who may read or write a scope,
 * who may change whom.
 *
 * Rights (checked by chain.ts on every entry, by clients and by the relay alike):
 * - owner:  adds, changes and removes anyone (owners and admins included) and rotates keys.
 *           Owners read every environment: someone must always hold every key, or a scope
 *           could never be rotated again. Nobody removes or demotes the last owner.
 * - admin:  adds, changes and removes editors and viewers (never to a role above editor),
 *           and rotates keys. Not other admins: an admin who could remove admins could
 *           take the vault from the others, and only owners should decide that.
 * - editor: writes the scopes it reads (the meta scope included); no membership entries.
 * - viewer: reads its scopes; writes nothing.
 * Everyone reads the meta scope. A manager can only grant, narrow or rotate scopes it reads
 * itself: it must hold a key to wrap it, and the old key to seal history under the new.
 *
 * Scope ids and member keys are lowercase hex in maps and sets (as in the keyring); the
 * entries themselves carry bytes.
 */
import { toHex } from '../crypto/bytes';
import { memberId, type PublicIdentity } from '../crypto/identity';
import type { Role } from './entry';

/**
 * A member's access from one entry of the log on: what they could read and write while the
 * head was at `from` or later, until their next span. `role` null: removed at `from`.
 */
export interface AccessSpan {
  readonly from: number;
  readonly role: Role | null;
  readonly scopes: ReadonlySet<string>;
  /** On a removal: the member's last change per scope (hex) it pinned; absent in a version 1 removal. */
  readonly lastChanges?: ReadonlyMap<string, { readonly counter: number; readonly hash: Uint8Array }>;
}

export interface Member {
  readonly identity: PublicIdentity;
  readonly role: Role;
  /** Environment scope ids this member may read; the meta scope is implied. */
  readonly scopes: ReadonlySet<string>;
  /** The display name, sealed under the meta key of `nameEpoch` (keys.ts: memberName). */
  readonly sealedName: Uint8Array;
  readonly nameEpoch: number;
  /** The adding entry's time (author's clock) and sequence number. */
  readonly addedAt: number;
  readonly addedSeq: number;
  readonly removed?: { readonly at: number; readonly seq: number };
  /** A machine member (a CI job, a server, holding its keys in a token): who made it, and when it expires. */
  readonly machine?: { readonly expiresAt: number | null; readonly addedBy: string };
  /**
   * Set for a person's second and later devices (entry kind device-add): the person (the sign
   * key, hex, of their first device, whose name `sealedName` is), the device's own name, and
   * the device that linked it. A person's devices share one role and one set of scopes.
   */
  readonly device?: { readonly person: string; readonly sealedName: Uint8Array; readonly nameEpoch: number; readonly addedBy: string };
  /** Every change of this member's access, oldest first (chain.ts keeps it). */
  readonly history: readonly AccessSpan[];
}

/** The environments' names as the log binds them: sealed under the meta key of `epoch`. */
export interface EnvironmentNames {
  readonly epoch: number;
  /** Scope ids (hex) in display order, each with its sealed name. */
  readonly names: readonly { readonly scopeId: string; readonly sealedName: Uint8Array }[];
}

export interface LogHead {
  readonly seq: number;
  readonly hash: Uint8Array;
}

export interface MembershipState {
  readonly vaultId: Uint8Array;
  readonly genesisHash: Uint8Array;
  readonly metaScope: string;
  readonly envScopes: readonly string[];
  /** Signing public key (hex) → member; removed members stay, marked `removed`. */
  readonly members: ReadonlyMap<string, Member>;
  /** Scope id (hex) → current epoch. */
  readonly epochs: ReadonlyMap<string, number>;
  /** Scope id (hex) → each epoch and the seq of the entry that began it, oldest first. */
  readonly epochHistory: ReadonlyMap<string, readonly { readonly from: number; readonly epoch: number }[]>;
  /** Set by the newest environments entry; absent in a vault whose owner has not bound them yet. */
  readonly environmentNames?: EnvironmentNames;
  readonly head: LogHead;
}

const keyHex = (k: Uint8Array | string): string => (typeof k === 'string' ? k : toHex(k));

/** The member with this signing key, unless absent or removed. */
export function currentMember(state: Pick<MembershipState, 'members'>, signPublicKey: Uint8Array | string): Member | undefined {
  const m = state.members.get(keyHex(signPublicKey));
  return m && !m.removed ? m : undefined;
}

export function currentMembers(state: Pick<MembershipState, 'members'>): Member[] {
  return [...state.members.values()].filter((m) => !m.removed);
}

/** Every scope (meta first) this member reads now; empty for a non-member. */
export function readableScopes(state: MembershipState, member: Uint8Array | string): string[] {
  const m = currentMember(state, member);
  return m ? [state.metaScope, ...state.envScopes.filter((s) => m.scopes.has(s))] : [];
}

/** Whether `member` may read `scopeId` now (holds its current key). */
export function canRead(state: MembershipState, member: Uint8Array | string, scopeId: string): boolean {
  const m = currentMember(state, member);
  return !!m && (scopeId === state.metaScope || m.scopes.has(scopeId));
}

/** Whether `author` may write `scopeId` now: editors, admins and owners, in the scopes they read. */
export function canWrite(state: MembershipState, author: Uint8Array | string, scopeId: string): boolean {
  const m = currentMember(state, author);
  return !!m && m.role !== 'viewer' && canRead(state, author, scopeId);
}

/** Whether a member in `author` role may add, change or remove a member in `target` role. */
export function mayManage(author: Role, target: Role): boolean {
  if (author === 'owner') return true;
  return author === 'admin' && (target === 'editor' || target === 'viewer');
}

/** Whether a member in `author` role may rotate keys on demand. */
export function mayRotate(author: Role): boolean {
  return author === 'owner' || author === 'admin';
}

/** The person a member key belongs to: the sign key (hex) of their first device. */
export function personOf(member: Member): string {
  return member.device?.person ?? toHex(member.identity.signPublicKey);
}

/** The current devices (members) of `person`, their first device first if it is still current. */
export function devicesOf(state: Pick<MembershipState, 'members'>, person: string): Member[] {
  return currentMembers(state).filter((m) => personOf(m) === person);
}

/** Owners counted as people: a second device of an owner is not a second owner. */
export function ownerCount(state: Pick<MembershipState, 'members'>): number {
  return new Set(currentMembers(state).filter((m) => m.role === 'owner').map(personOf)).size;
}

/**
 * The current people of the vault, each once: the member standing for them (their first
 * device while it is current, else their oldest current device) and all their devices.
 */
export function currentPeople(state: Pick<MembershipState, 'members'>): { readonly member: Member; readonly devices: readonly Member[] }[] {
  const people = new Map<string, Member[]>();
  for (const m of currentMembers(state)) {
    const person = personOf(m);
    if (!people.has(person)) people.set(person, []);
    people.get(person)!.push(m);
  }
  return [...people.values()].map((devices) => ({ member: devices[0]!, devices }));
}

/** The current member whose X25519 key this is: wraps are addressed by it. */
export function memberByBoxKey(state: Pick<MembershipState, 'members'>, boxPublicKey: Uint8Array): Member | undefined {
  const hex = toHex(boxPublicKey);
  return currentMembers(state).find((m) => toHex(m.identity.boxPublicKey) === hex);
}

/** The member (current or removed) whose member id (fingerprint prefix) this is. */
export function memberByMemberId(state: Pick<MembershipState, 'members'>, id: string): Member | undefined {
  for (const m of state.members.values()) if (memberId(m.identity) === id) return m;
  return undefined;
}

/** What `member` could do while the log's head was at `seq`: their span then, unless not yet added or removed. */
export function accessAt(state: Pick<MembershipState, 'members'>, member: Uint8Array | string, seq: number): AccessSpan | undefined {
  const m = state.members.get(keyHex(member));
  let span: AccessSpan | undefined;
  for (const s of m?.history ?? []) {
    if (s.from > seq) break;
    span = s;
  }
  return span && span.role !== null ? span : undefined;
}

/** The epoch `scopeId` was at while the log's head was at `seq`. */
export function epochAt(state: Pick<MembershipState, 'epochHistory'>, scopeId: string, seq: number): number | undefined {
  let epoch: number | undefined;
  for (const e of state.epochHistory.get(scopeId) ?? []) {
    if (e.from > seq) break;
    epoch = e.epoch;
  }
  return epoch;
}

/** Whether `m` is a machine member whose expiry (in the signed log) has passed at `now`. */
export function isExpiredMachine(m: Member, now: number): boolean {
  return m.machine?.expiresAt != null && now >= m.machine.expiresAt;
}

/** "an owner", "a viewer": for messages. */
export function aRole(role: Role): string {
  return `${role === 'owner' || role === 'admin' || role === 'editor' ? 'an' : 'a'} ${role}`;
}
