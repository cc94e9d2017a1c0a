/**
 * Writing the membership log: each builder makes one signed entry that extends `state`,
 * wrapping the scope keys the author holds, and generating fresh epoch keys where access
 * shrinks (removal, narrowing, rotation on demand). Each applies its own entry before
 * returning it, so a builder never hands out an entry that verifiers would refuse.
 *
 * Concurrency is the caller's: two managers building on one head both get a valid entry,
 * and the relay appends only the first; the other rebuilds on the new head.
 */
import { fromHex, toHex } from '../crypto/bytes';
import type { PublicIdentity } from '../crypto/identity';
import { KEY_BYTES, type CryptoSuite } from '../crypto/suite';
import { ZERO_HASH, type SigningKey } from '../envelope/envelope';
import { applyEntry, genesisState } from './chain';
import { encodeEntry, type EntryBody, type EntryHeader, type LastChange, type Role, type ScopeRotation, type WrappedKey } from './entry';
import type { ScopeKeys } from './keys';
import { refuse } from './refusal';
import { aRole, currentMember, currentMembers, devicesOf, mayManage, personOf, readableScopes, type Member, type MembershipState } from './state';
import { sealEnvironmentName, sealHistory, sealName, wrapKey } from './wrap';

/** Scope id (hex) → epoch → key: the keys the author holds (keysFor, or the keyring). */
export type HeldKeys = ReadonlyMap<string, ReadonlyMap<number, Uint8Array>>;

export interface BuiltEntry {
  readonly bytes: Uint8Array;
  /** The state after this entry. */
  readonly state: MembershipState;
  /** Keys this entry created (new epochs), for the caller's keyring. */
  readonly newKeys: ScopeKeys;
}

export interface GenesisInput {
  readonly vaultId: Uint8Array;
  readonly metaScope: string;
  readonly envScopes: readonly string[];
  readonly creator: PublicIdentity;
  readonly name: string;
  readonly at?: number;
  /** Epoch-1 keys, when the vault already has them (a solo vault being shared); else generated. */
  readonly keys?: ReadonlyMap<string, Uint8Array>;
}

/** The vault's first entry; its hash (state.genesisHash) is what every member pins. */
export function createGenesis(suite: CryptoSuite, signer: SigningKey, input: GenesisInput): BuiltEntry {
  const scopes = [input.metaScope, ...input.envScopes];
  const newKeys: ScopeKeys = new Map(scopes.map((s) => [s, new Map([[1, input.keys?.get(s) ?? suite.randomBytes(KEY_BYTES)]])]));
  const key = (s: string): Uint8Array => newKeys.get(s)!.get(1)!;
  const ctx = (s: string) => ({ vaultId: input.vaultId, scopeId: fromHex(s), epoch: 1 });
  const body: EntryBody = {
    kind: 'genesis',
    creator: input.creator,
    sealedName: sealName(suite, input.name, key(input.metaScope), ctx(input.metaScope), input.creator.signPublicKey),
    metaScope: fromHex(input.metaScope),
    envScopes: input.envScopes.map(fromHex),
    grants: scopes.map((s) => grant(suite, key(s), input.creator.boxPublicKey, ctx(s))),
  };
  const header = { vaultId: input.vaultId, seq: 0, prevHash: ZERO_HASH, at: input.at ?? Date.now() };
  const bytes = encodeEntry(suite, header, body, signer);
  return { bytes, state: genesisState(suite, bytes), newKeys };
}

export interface AddInput {
  readonly identity: PublicIdentity;
  readonly name: string;
  readonly role: Role;
  /** Environment scope ids (the meta scope is always granted); an owner must get them all. */
  readonly envScopes: readonly string[];
  /** The invite this member answered, so the joiner can check the add names their keys. */
  readonly inviteId?: Uint8Array;
  /** A machine member (a token), and when it expires (null: never). */
  readonly machine?: { readonly expiresAt: number | null };
  readonly at?: number;
}

/** Adds a member, wrapping the current key of each scope it may read to its box key. */
export function addMember(suite: CryptoSuite, state: MembershipState, signer: SigningKey, keys: HeldKeys, input: AddInput): BuiltEntry {
  const body: EntryBody = {
    kind: 'add',
    member: input.identity,
    sealedName: sealedNameOf(suite, state, keys, input.name, input.identity.signPublicKey),
    role: input.role,
    envScopes: input.envScopes.map(fromHex),
    grants: currentGrants(suite, state, keys, [state.metaScope, ...input.envScopes], input.identity.boxPublicKey),
    ...(input.inviteId ? { inviteId: input.inviteId } : {}),
    ...(input.machine ? { machine: input.machine } : {}),
  };
  return finish(suite, state, signer, body, new Map(), input.at);
}

export interface ChangeInput {
  readonly member: Uint8Array;
  readonly role: Role;
  readonly envScopes: readonly string[];
  readonly at?: number;
}

/** Changes a member's role and environments; scopes taken away get new epoch keys. */
export function changeMember(suite: CryptoSuite, state: MembershipState, signer: SigningKey, keys: HeldKeys, input: ChangeInput): BuiltEntry {
  const target = managed(state, signer, input.member);
  const granted = input.envScopes.filter((s) => !target.scopes.has(s));
  const narrowed = [...target.scopes].filter((s) => !input.envScopes.includes(s));
  // Every device of the person changes with them, and each gets the newly granted keys.
  const devices = devicesOf(state, personOf(target));
  let after = state;
  for (const d of devices) after = withMember(after, d.identity.signPublicKey, { ...d, role: input.role, scopes: new Set(input.envScopes) });
  const { rotation, newKeys } = buildRotation(suite, after, keys, narrowed);
  const body: EntryBody = {
    kind: 'change',
    member: input.member,
    role: input.role,
    envScopes: input.envScopes.map(fromHex),
    grants: devices.flatMap((d) => currentGrants(suite, state, keys, granted, d.identity.boxPublicKey)),
    rotation,
  };
  return finish(suite, state, signer, body, newKeys, input.at);
}

/**
 * Removes a member: every scope it could read gets a new epoch key, wrapped to those who stay.
 * `lastChanges` pins the member's last change in each scope the author reads (counter 0: none),
 * so that nothing of theirs beyond it is accepted later, whatever head it claims.
 */
export function removeMember(
  suite: CryptoSuite,
  state: MembershipState,
  signer: SigningKey,
  keys: HeldKeys,
  input: { readonly member: Uint8Array; readonly lastChanges?: readonly LastChange[]; readonly at?: number },
): BuiltEntry {
  const target = managed(state, signer, input.member);
  const lost = readableScopes(state, input.member);
  // Only "removed or not" matters for choosing who gets the new keys.
  const after = withMember(state, input.member, { ...target, removed: { at: 0, seq: 0 } });
  const { rotation, newKeys } = buildRotation(suite, after, keys, lost);
  return finish(suite, state, signer, { kind: 'remove', member: input.member, rotation, lastChanges: input.lastChanges ?? [] }, newKeys, input.at);
}

/**
 * Links another device of the signer's person: the person's current keys wrapped to it, its
 * name sealed under the meta key, and `directory` (already sealed to the device, or empty).
 */
export function addDevice(
  suite: CryptoSuite,
  state: MembershipState,
  signer: SigningKey,
  keys: HeldKeys,
  input: { readonly identity: PublicIdentity; readonly name: string; readonly directory?: Uint8Array; readonly at?: number },
): BuiltEntry {
  const author = currentMember(state, signer.publicKey) ?? refuse('NOT_ALLOWED', 'The author is not a current member');
  const body: EntryBody = {
    kind: 'device-add',
    device: input.identity,
    sealedName: sealedNameOf(suite, state, keys, input.name, input.identity.signPublicKey),
    grants: currentGrants(suite, state, keys, [state.metaScope, ...author.scopes], input.identity.boxPublicKey),
    directory: input.directory ?? new Uint8Array(0),
  };
  return finish(suite, state, signer, body, new Map(), input.at);
}

/** Cuts off one device: every scope it could read gets a new key for everyone else; its last changes are pinned. */
export function revokeDevice(
  suite: CryptoSuite,
  state: MembershipState,
  signer: SigningKey,
  keys: HeldKeys,
  input: { readonly device: Uint8Array; readonly lastChanges?: readonly LastChange[]; readonly at?: number },
): BuiltEntry {
  const author = currentMember(state, signer.publicKey) ?? refuse('NOT_ALLOWED', 'The author is not a current member');
  const target = currentMember(state, input.device) ?? refuse('UNKNOWN_MEMBER', 'No current device has that key');
  if (personOf(author) !== personOf(target) && !mayManage(author.role, target.role)) {
    refuse('NOT_ALLOWED', `The author (${aRole(author.role)}) cannot revoke a device of ${aRole(target.role)}`);
  }
  const lost = readableScopes(state, input.device);
  const after = withMember(state, input.device, { ...target, removed: { at: 0, seq: 0 } });
  const { rotation, newKeys } = buildRotation(suite, after, keys, lost);
  return finish(suite, state, signer, { kind: 'device-revoke', device: input.device, rotation, lastChanges: input.lastChanges ?? [] }, newKeys, input.at);
}

/**
 * Binds the environments' names to their scopes (owners only), sealed under the current meta
 * key: `names` maps every environment scope id (hex) to its name, in display order.
 */
export function nameEnvironments(
  suite: CryptoSuite,
  state: MembershipState,
  signer: SigningKey,
  keys: HeldKeys,
  input: { readonly names: readonly { readonly scopeId: string; readonly name: string }[]; readonly at?: number },
): BuiltEntry {
  const epoch = state.epochs.get(state.metaScope)!;
  const metaKey = held(keys, state.metaScope, epoch);
  const ctx = { vaultId: state.vaultId, scopeId: fromHex(state.metaScope), epoch };
  const names = input.names.map((n) => {
    const scopeId = fromHex(n.scopeId);
    return { scopeId, sealedName: sealEnvironmentName(suite, n.name, metaKey, ctx, scopeId) };
  });
  return finish(suite, state, signer, { kind: 'environments', names }, new Map(), input.at);
}

/** New epoch keys on demand for `scopes` (default: every scope the author reads); history stays readable. */
export function rotateKeys(
  suite: CryptoSuite,
  state: MembershipState,
  signer: SigningKey,
  keys: HeldKeys,
  input: { readonly scopes?: readonly string[]; readonly at?: number } = {},
): BuiltEntry {
  const { rotation, newKeys } = buildRotation(suite, state, keys, input.scopes ?? readableScopes(state, signer.publicKey));
  return finish(suite, state, signer, { kind: 'rotate', rotation }, newKeys, input.at);
}

function finish(suite: CryptoSuite, state: MembershipState, signer: SigningKey, body: EntryBody, newKeys: ScopeKeys, at?: number): BuiltEntry {
  const header: Omit<EntryHeader, 'author'> = {
    vaultId: state.vaultId,
    seq: state.head.seq + 1,
    prevHash: state.head.hash,
    at: at ?? Date.now(),
  };
  const bytes = encodeEntry(suite, header, body, signer);
  return { bytes, state: applyEntry(suite, state, bytes), newKeys };
}

/** The target, once the author may manage it: before any key is wrapped, for a clear error. */
function managed(state: MembershipState, signer: SigningKey, signPublicKey: Uint8Array): Member {
  const author = currentMember(state, signer.publicKey) ?? refuse('NOT_ALLOWED', 'The author is not a current member');
  const target = currentMember(state, signPublicKey) ?? refuse('UNKNOWN_MEMBER', 'No current member has that key');
  if (!mayManage(author.role, target.role)) refuse('NOT_ALLOWED', `The author (${aRole(author.role)}) cannot manage ${aRole(target.role)}`);
  return target;
}

function withMember(state: MembershipState, signPublicKey: Uint8Array, m: Member): MembershipState {
  return { ...state, members: new Map(state.members).set(toHex(signPublicKey), m) };
}

/** `name` sealed under the current meta key, bound to the member (or device) key `subject`. */
function sealedNameOf(suite: CryptoSuite, state: MembershipState, keys: HeldKeys, name: string, subject: Uint8Array): Uint8Array {
  const epoch = state.epochs.get(state.metaScope)!;
  const ctx = { vaultId: state.vaultId, scopeId: fromHex(state.metaScope), epoch };
  return sealName(suite, name, held(keys, state.metaScope, epoch), ctx, subject);
}

function held(keys: HeldKeys, scope: string, epoch: number): Uint8Array {
  return keys.get(scope)?.get(epoch) ?? refuse('NO_KEY', `The author does not hold epoch ${epoch} of a scope it must wrap`, { scope, epoch });
}

function grant(suite: CryptoSuite, key: Uint8Array, recipient: Uint8Array, ctx: { vaultId: Uint8Array; scopeId: Uint8Array; epoch: number }): WrappedKey {
  return { scopeId: ctx.scopeId, epoch: ctx.epoch, recipient, wrapped: wrapKey(suite, key, recipient, ctx) };
}

function currentGrants(suite: CryptoSuite, state: MembershipState, keys: HeldKeys, scopes: readonly string[], recipient: Uint8Array): WrappedKey[] {
  return scopes.map((s) => {
    const epoch = state.epochs.get(s) ?? refuse('UNKNOWN_SCOPE', 'An environment scope this vault does not have');
    return grant(suite, held(keys, s, epoch), recipient, { vaultId: state.vaultId, scopeId: fromHex(s), epoch });
  });
}

/** For each scope: a fresh key, the old one sealed under it, and a wrap for every reader in `after`. */
function buildRotation(
  suite: CryptoSuite,
  after: MembershipState,
  keys: HeldKeys,
  scopes: readonly string[],
): { rotation: ScopeRotation[]; newKeys: ScopeKeys } {
  const rotation: ScopeRotation[] = [];
  const newKeys: ScopeKeys = new Map();
  const members = currentMembers(after);
  for (const s of scopes) {
    const epoch = after.epochs.get(s) ?? refuse('UNKNOWN_SCOPE', 'A scope this vault does not have');
    const scopeId = fromHex(s);
    const key = suite.randomBytes(KEY_BYTES);
    const history = sealHistory(suite, held(keys, s, epoch), key, { vaultId: after.vaultId, scopeId, epoch });
    const ctx = { vaultId: after.vaultId, scopeId, epoch: epoch + 1 };
    const readers = members.filter((m) => s === after.metaScope || m.scopes.has(s));
    rotation.push({ scopeId, epoch: epoch + 1, history, wraps: readers.map((m) => grant(suite, key, m.identity.boxPublicKey, ctx)) });
    newKeys.set(s, new Map([[epoch + 1, key]]));
  }
  return { rotation, newKeys };
}
