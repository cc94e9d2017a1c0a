/**
 * Folding the membership log: every client verifies the whole chain from the genesis it
 * pinned, entry by entry, with the rules of state.ts. The relay runs the same fold to
 * decide what it may append and who may write. A key the relay hands out is never trusted:
 * only keys named by entries of this chain are (wraps are checked against them here).
 *
 * An entry applies only if it extends the head (seq = head + 1, prevHash = head hash), its
 * signature verifies, its author is a current member whose role permits it, and its keys
 * are complete: every grant and every rotated key goes to exactly the members who may read
 * that scope afterwards, at the right epoch. A change that narrows access and every removal
 * must rotate exactly the scopes the member loses, so they cannot read anything new.
 */
import { equalBytes, toHex } from '../crypto/bytes';
import { ZERO_HASH } from '../envelope/envelope';
import { entryHash, readEntry, type EntryBody, type LastChange, type MembershipEntry, type Role, type ScopeRotation, type WrappedKey } from './entry';
import { refuse } from './refusal';
import { aRole, currentMember, currentMembers, devicesOf, mayManage, mayRotate, memberByBoxKey, ownerCount, personOf, type AccessSpan, type Member, type MembershipState } from './state';
import { isWeakBoxKey } from './wrap';
import type { CryptoSuite } from '../crypto/suite';

/** Folds a whole chain; throws TAMPERED (GENESIS_MISMATCH) unless entry 0 hashes to `pinnedGenesisHash`. */
export function verifyChain(suite: CryptoSuite, pinnedGenesisHash: Uint8Array, entries: readonly Uint8Array[]): MembershipState {
  const first = entries[0];
  if (!first || !equalBytes(entryHash(first), pinnedGenesisHash)) {
    refuse('GENESIS_MISMATCH', 'This membership log does not start at the vault’s pinned genesis');
  }
  let state = genesisState(suite, first);
  for (let i = 1; i < entries.length; i++) state = applyEntry(suite, state, entries[i]!);
  return state;
}

/** The state after a genesis entry alone. Throws TAMPERED / INVALID_INPUT as applyEntry. */
export function genesisState(suite: CryptoSuite, bytes: Uint8Array): MembershipState {
  const entry = readEntry(suite, bytes);
  const body = entry.body;
  if (body.kind !== 'genesis') return refuse('GENESIS_MISMATCH', 'A membership log must start with its genesis');
  if (entry.seq !== 0 || !equalBytes(entry.prevHash, ZERO_HASH)) refuse('GENESIS_MISMATCH', 'A genesis must be entry 0');
  if (!equalBytes(entry.author, body.creator.signPublicKey)) refuse('NOT_ALLOWED', 'A genesis must be signed by its creator');
  if (isWeakBoxKey(body.creator.boxPublicKey)) refuse('WEAK_KEY', 'The creator’s box key is weak');
  const metaScope = toHex(body.metaScope);
  const envScopes = distinctScopes(body.envScopes, { seq: 0 });
  if (envScopes.includes(metaScope)) refuse('DUPLICATE', 'The meta scope cannot also be an environment');
  const epochs = new Map([metaScope, ...envScopes].map((s) => [s, 1]));
  const epochHistory = new Map([metaScope, ...envScopes].map((s) => [s, [{ from: 0, epoch: 1 }]]));
  const base = { vaultId: entry.vaultId, metaScope, envScopes, epochs, epochHistory, members: new Map<string, Member>() };
  checkGrants(base, body.grants, [metaScope, ...envScopes], body.creator.boxPublicKey, { seq: 0 });
  const creator: Member = {
    identity: body.creator,
    role: 'owner',
    scopes: new Set(envScopes),
    sealedName: body.sealedName,
    nameEpoch: 1,
    addedAt: entry.at,
    addedSeq: 0,
    history: [{ from: 0, role: 'owner', scopes: new Set(envScopes) }],
  };
  const hash = entryHash(bytes);
  return { ...base, genesisHash: hash, members: new Map([[toHex(entry.author), creator]]), head: { seq: 0, hash } };
}

/**
 * The state after one more entry. Throws TAMPERED (MALFORMED, BAD_SIGNATURE, WRONG_VAULT,
 * REPLAY, GAP, FORK) or INVALID_INPUT with the broken rule in details.reason.
 */
export function applyEntry(suite: CryptoSuite, state: MembershipState, bytes: Uint8Array): MembershipState {
  const entry = readEntry(suite, bytes);
  const at = { seq: entry.seq };
  if (!equalBytes(entry.vaultId, state.vaultId)) refuse('WRONG_VAULT', 'A membership entry of another vault', at);
  if (entry.seq <= state.head.seq) refuse('REPLAY', `Membership entry ${entry.seq} is older than the head (${state.head.seq})`, at);
  if (entry.seq > state.head.seq + 1) refuse('GAP', `Membership entries ${state.head.seq + 1}…${entry.seq - 1} are missing`, at);
  if (!equalBytes(entry.prevHash, state.head.hash)) refuse('FORK', `Membership entry ${entry.seq} extends another history`, at);
  const author = currentMember(state, entry.author);
  if (!author) return refuse('NOT_ALLOWED', 'The author of a membership entry is not a current member', at);
  const next = withHistory(state, applyBody(state, entry, author), entry);
  return { ...next, head: { seq: entry.seq, hash: entryHash(bytes) } };
}

/**
 * Records what the entry changed, so that a change can later be judged at the head it was
 * written under (authorship.ts): a span for each member whose access changed, and the seq at
 * which each rotated scope entered its new epoch.
 */
function withHistory(before: MembershipState, after: MembershipState, entry: MembershipEntry): MembershipState {
  const members = new Map(after.members);
  for (const [key, m] of after.members) {
    const prev = before.members.get(key);
    if (m === prev) continue;
    // A member removed and added again keeps the spans of their first membership.
    const earlier = prev?.history ?? [];
    const body = entry.body;
    const span: AccessSpan = m.removed
      ? { from: entry.seq, role: null, scopes: m.scopes, ...((body.kind === 'remove' || body.kind === 'device-revoke') && body.lastChanges ? { lastChanges: lastChangesMap(body.lastChanges) } : {}) }
      : { from: entry.seq, role: m.role, scopes: m.scopes };
    members.set(key, { ...m, history: [...earlier, span] });
  }
  let epochHistory = after.epochHistory;
  for (const [scope, epoch] of after.epochs) {
    if (before.epochs.get(scope) === epoch) continue;
    if (epochHistory === after.epochHistory) epochHistory = new Map(epochHistory);
    (epochHistory as Map<string, readonly { from: number; epoch: number }[]>).set(scope, [...(epochHistory.get(scope) ?? []), { from: entry.seq, epoch }]);
  }
  return { ...after, members, epochHistory };
}

function lastChangesMap(changes: readonly LastChange[]): Map<string, { counter: number; hash: Uint8Array }> {
  return new Map(changes.map((c) => [toHex(c.scopeId), { counter: c.counter, hash: c.hash }]));
}

type Fold = Pick<MembershipState, 'vaultId' | 'metaScope' | 'envScopes' | 'epochs' | 'members'>;
/** Where a refusal happened, for its details. */
type Seq = { readonly seq: number };

function applyBody(state: MembershipState, entry: MembershipEntry, author: Member): MembershipState {
  const body: EntryBody = entry.body;
  const seq = { seq: entry.seq };
  const mayRead = (scopes: Iterable<string>): void => {
    for (const s of scopes) {
      if (s !== state.metaScope && !author.scopes.has(s)) refuse('NOT_ALLOWED', 'A manager can only grant or rotate scopes it reads', seq);
    }
  };
  switch (body.kind) {
    case 'genesis':
      return refuse('NOT_ALLOWED', 'A genesis can only start a log', seq);
    case 'add': {
      const key = toHex(body.member.signPublicKey);
      if (currentMember(state, key)) refuse('ALREADY_MEMBER', 'That key is already a member', seq);
      if (isWeakBoxKey(body.member.boxPublicKey)) refuse('WEAK_KEY', 'The new member’s box key is weak', seq);
      if (currentMembers(state).some((m) => equalBytes(m.identity.boxPublicKey, body.member.boxPublicKey))) {
        refuse('DUPLICATE', 'Another member has that box key', seq);
      }
      checkRoleChange(state, author.role, undefined, body.role, seq);
      // A machine reads (a deploy) or, for rotation jobs, writes: it never manages members.
      if (body.machine && body.role !== 'viewer' && body.role !== 'editor') refuse('NOT_ALLOWED', 'A machine member is a viewer or an editor', seq);
      if (body.machine && body.inviteId) refuse('NOT_ALLOWED', 'A machine member answers no invite', seq);
      const scopes = envScopesFor(state, body.role, body.envScopes, seq);
      mayRead(scopes);
      const member: Member = {
        identity: body.member,
        role: body.role,
        scopes: new Set(scopes),
        sealedName: body.sealedName,
        nameEpoch: state.epochs.get(state.metaScope)!,
        addedAt: entry.at,
        addedSeq: entry.seq,
        ...(body.machine ? { machine: { expiresAt: body.machine.expiresAt, addedBy: toHex(entry.author) } } : {}),
        history: [], // withHistory adds the span
      };
      const members = new Map(state.members).set(key, member);
      checkGrants(state, body.grants, [state.metaScope, ...scopes], body.member.boxPublicKey, seq);
      return { ...state, members };
    }
    case 'change': {
      const key = toHex(body.member);
      const target = currentMember(state, key) ?? refuse('UNKNOWN_MEMBER', 'No current member has that key', seq);
      checkRoleChange(state, author.role, target.role, body.role, seq);
      const scopes = envScopesFor(state, body.role, body.envScopes, seq);
      const granted = scopes.filter((s) => !target.scopes.has(s));
      const narrowed = [...target.scopes].filter((s) => !scopes.includes(s));
      mayRead([...granted, ...narrowed]);
      // A person's access is one: the change holds for each of their devices, each gets the keys.
      const devices = devicesOf(state, personOf(target));
      checkDeviceGrants(state, body.grants, granted, devices, seq);
      const members = new Map(state.members);
      for (const d of devices) members.set(toHex(d.identity.signPublicKey), { ...d, role: body.role, scopes: new Set(scopes) });
      return { ...state, members, epochs: rotate({ ...state, members }, body.rotation, narrowed, seq) };
    }
    case 'remove': {
      const key = toHex(body.member);
      const target = currentMember(state, key) ?? refuse('UNKNOWN_MEMBER', 'No current member has that key', seq);
      if (!mayManage(author.role, target.role)) refuse('NOT_ALLOWED', `${cap(aRole(author.role))} cannot remove ${aRole(target.role)}`, seq);
      if (target.role === 'owner' && ownerCount(state) === 1) refuse('LAST_OWNER', 'The last owner cannot be removed', seq);
      // Each device's last changes are its own: a person is removed device by device, the
      // others revoked first (device-revoke), so that every device's writes are pinned.
      if (devicesOf(state, personOf(target)).length > 1) refuse('DEVICES_REMAIN', 'A member with several devices is removed after their other devices are revoked', seq);
      const lost = [state.metaScope, ...target.scopes];
      mayRead(lost);
      const pinned = distinctScopes((body.lastChanges ?? []).map((c) => c.scopeId), seq);
      for (const s of pinned) if (!state.epochs.has(s)) refuse('UNKNOWN_SCOPE', 'A last change in a scope this vault does not have', seq);
      const members = new Map(state.members).set(key, { ...target, removed: { at: entry.at, seq: entry.seq } });
      return { ...state, members, epochs: rotate({ ...state, members }, body.rotation, lost, seq) };
    }
    case 'device-add': {
      if (author.machine) refuse('NOT_ALLOWED', 'A machine member has no other devices', seq);
      const key = toHex(body.device.signPublicKey);
      if (state.members.has(key)) refuse('ALREADY_MEMBER', 'That key is already a member or a device', seq);
      if (isWeakBoxKey(body.device.boxPublicKey)) refuse('WEAK_KEY', 'The new device’s box key is weak', seq);
      if (currentMembers(state).some((m) => equalBytes(m.identity.boxPublicKey, body.device.boxPublicKey))) {
        refuse('DUPLICATE', 'Another member has that box key', seq);
      }
      // The author links a device of its own person only: same role, same scopes, so a
      // device never reads more than the person (and nobody adds devices to someone else).
      const person = personOf(author);
      const first = state.members.get(person)!;
      const scopes = [...author.scopes];
      checkGrants(state, body.grants, [state.metaScope, ...scopes], body.device.boxPublicKey, seq);
      const metaEpoch = state.epochs.get(state.metaScope)!;
      const device: Member = {
        identity: body.device,
        role: author.role,
        scopes: new Set(scopes),
        sealedName: first.sealedName,
        nameEpoch: first.nameEpoch,
        addedAt: entry.at,
        addedSeq: entry.seq,
        device: { person, sealedName: body.sealedName, nameEpoch: metaEpoch, addedBy: toHex(entry.author) },
        history: [],
      };
      return { ...state, members: new Map(state.members).set(key, device) };
    }
    case 'device-revoke': {
      const key = toHex(body.device);
      const target = currentMember(state, key) ?? refuse('UNKNOWN_MEMBER', 'No current member has that key', seq);
      // The person's own devices revoke each other; a manager may cut off a device of someone it manages.
      if (personOf(author) !== personOf(target) && !mayManage(author.role, target.role)) {
        refuse('NOT_ALLOWED', `${cap(aRole(author.role))} cannot revoke a device of ${aRole(target.role)}`, seq);
      }
      if (devicesOf(state, personOf(target)).length < 2) refuse('LAST_DEVICE', 'A member’s last device is removed with the member, not revoked', seq);
      const lost = [state.metaScope, ...target.scopes];
      mayRead(lost);
      const pinned = distinctScopes(body.lastChanges.map((c) => c.scopeId), seq);
      for (const s of pinned) if (!state.epochs.has(s)) refuse('UNKNOWN_SCOPE', 'A last change in a scope this vault does not have', seq);
      const members = new Map(state.members).set(key, { ...target, removed: { at: entry.at, seq: entry.seq } });
      return { ...state, members, epochs: rotate({ ...state, members }, body.rotation, lost, seq) };
    }
    case 'rotate': {
      if (!mayRotate(author.role)) refuse('NOT_ALLOWED', `${cap(aRole(author.role))} cannot rotate keys`, seq);
      if (body.rotation.length === 0) refuse('MISSING_ROTATION', 'A rotate entry must rotate at least one scope', seq);
      mayRead(body.rotation.map((r) => toHex(r.scopeId)));
      return { ...state, epochs: rotate(state, body.rotation, undefined, seq) };
    }
    case 'environments': {
      // Names decide where `set --env production` writes and which keys an invite hands out,
      // so only an owner binds them (an editor of development must not relabel production).
      if (author.role !== 'owner') refuse('NOT_ALLOWED', `${cap(aRole(author.role))} cannot name environments`, seq);
      const named = distinctScopes(body.names.map((n) => n.scopeId), seq);
      if (named.length !== state.envScopes.length || named.some((s) => !state.envScopes.includes(s))) {
        refuse('UNKNOWN_SCOPE', 'An environments entry must name exactly the vault’s environments', seq);
      }
      const names = body.names.map((n, i) => ({ scopeId: named[i]!, sealedName: n.sealedName }));
      return { ...state, environmentNames: { epoch: state.epochs.get(state.metaScope)!, names } };
    }
  }
}

function checkRoleChange(state: MembershipState, author: Role, from: Role | undefined, to: Role, seq: Seq): void {
  const what = from ? `change ${aRole(from)} into ${aRole(to)}` : `add ${aRole(to)}`;
  if ((from && !mayManage(author, from)) || !mayManage(author, to)) refuse('NOT_ALLOWED', `${cap(aRole(author))} cannot ${what}`, seq);
  if (from === 'owner' && to !== 'owner' && ownerCount(state) === 1) refuse('LAST_OWNER', 'The last owner cannot be demoted', seq);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function distinctScopes(ids: readonly Uint8Array[], seq: Seq): string[] {
  const out = ids.map(toHex);
  if (new Set(out).size !== out.length) refuse('DUPLICATE', 'A scope is listed twice', seq);
  return out;
}

/** The environment scopes of a member in `role`: known, distinct, and all of them for an owner. */
function envScopesFor(state: Fold, role: Role, ids: readonly Uint8Array[], seq: Seq): string[] {
  const scopes = distinctScopes(ids, seq);
  for (const s of scopes) if (!state.envScopes.includes(s)) refuse('UNKNOWN_SCOPE', 'An environment scope this vault does not have', seq);
  if (role === 'owner' && scopes.length !== state.envScopes.length) refuse('OWNER_SCOPES', 'An owner reads every environment', seq);
  return state.envScopes.filter((s) => scopes.includes(s)); // vault order, whatever the entry's
}

/**
 * Grants go to one member: exactly one wrap for each scope in `expected`, at its current
 * epoch, addressed to that member's box key from the chain.
 */
function checkGrants(state: Fold, grants: readonly WrappedKey[], expected: readonly string[], recipient: Uint8Array, seq: Seq): void {
  const seen = new Set<string>();
  for (const g of grants) {
    const scope = toHex(g.scopeId);
    if (!equalBytes(g.recipient, recipient)) misaddressed(state, g.recipient, seq);
    if (!state.epochs.has(scope)) refuse('UNKNOWN_SCOPE', 'A key for a scope this vault does not have', seq);
    if (!expected.includes(scope)) refuse('WRONG_RECIPIENT', 'A key for a scope this member may not read', seq);
    if (seen.has(scope)) refuse('DUPLICATE', 'A scope key is granted twice', seq);
    if (g.epoch !== state.epochs.get(scope)) refuse('BAD_EPOCH', 'A key is granted at an epoch that is not the current one', seq);
    seen.add(scope);
  }
  if (seen.size !== expected.length) refuse('MISSING_WRAP', 'A scope the member may read comes without its key', seq);
}

/** Grants to a person's devices: each device gets exactly the scopes in `expected`, nothing goes elsewhere. */
function checkDeviceGrants(state: Fold, grants: readonly WrappedKey[], expected: readonly string[], devices: readonly Member[], seq: Seq): void {
  const boxes = new Set(devices.map((d) => toHex(d.identity.boxPublicKey)));
  for (const g of grants) if (!boxes.has(toHex(g.recipient))) misaddressed(state, g.recipient, seq);
  for (const d of devices) {
    const box = d.identity.boxPublicKey;
    checkGrants(state, grants.filter((g) => equalBytes(g.recipient, box)), expected, box, seq);
  }
}

function misaddressed(state: Fold, recipient: Uint8Array, seq: Seq): never {
  return memberByBoxKey(state, recipient)
    ? refuse('WRONG_RECIPIENT', 'A key is wrapped to a member it is not meant for', seq)
    : refuse('UNKNOWN_MEMBER', 'A key is wrapped to a public key that is not in this vault’s membership log', seq);
}

/**
 * Checks a rotation against the membership after the entry (`after`) and returns the new
 * epochs. `required` is the exact set of scopes that must rotate (undefined: any, for rotate).
 */
function rotate(after: Fold, rotation: readonly ScopeRotation[], required: readonly string[] | undefined, seq: Seq): Map<string, number> {
  const epochs = new Map(after.epochs);
  const rotated = new Set<string>();
  const readersByBox = new Map(currentMembers(after).map((m) => [toHex(m.identity.boxPublicKey), m]));
  for (const r of rotation) {
    const scope = toHex(r.scopeId);
    const current = after.epochs.get(scope) ?? refuse('UNKNOWN_SCOPE', 'A rotation of a scope this vault does not have', seq);
    if (rotated.has(scope)) refuse('DUPLICATE', 'A scope is rotated twice', seq);
    rotated.add(scope);
    if (required && !required.includes(scope)) refuse('EXTRA_ROTATION', 'A rotation of a scope the member keeps', seq);
    if (r.epoch !== current + 1) refuse('BAD_EPOCH', `A rotation must move to epoch ${current + 1}`, seq);
    const reached = new Set<string>();
    for (const w of r.wraps) {
      const box = toHex(w.recipient);
      const m = readersByBox.get(box) ?? misaddressed(after, w.recipient, seq);
      if (scope !== after.metaScope && !m.scopes.has(scope)) refuse('WRONG_RECIPIENT', 'A new key is wrapped to a member who may not read it', seq);
      if (reached.has(box)) refuse('DUPLICATE', 'A new key is wrapped twice to one member', seq);
      reached.add(box);
    }
    const readers = [...readersByBox.values()].filter((m) => scope === after.metaScope || m.scopes.has(scope));
    if (reached.size !== readers.length) refuse('MISSING_WRAP', 'A member who may read a rotated scope does not get its new key', seq);
    epochs.set(scope, r.epoch);
  }
  for (const s of required ?? []) {
    if (!rotated.has(s)) refuse('MISSING_ROTATION', 'Access was narrowed without new keys for what the member could read', { ...seq, scope: s });
  }
  return epochs;
}

