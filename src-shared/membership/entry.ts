/**
 * One entry of a vault's membership log: who may read and write which scopes, and the scope
 * keys that go with it. Entries form a hash chain from the vault's genesis; the relay stores
 * and forwards them, and every client folds the whole chain itself (state.ts).
 *
 *   3   magic "TSM"               also the signature's domain separation (envelopes are "TSE")
 *   u8  format version (2, and 3 for the device kinds, which older clients cannot fold; version 1
 *       entries, without a removal's last changes, are still read)
 *   16  vault id
 *   var seq                       0 for the genesis, then 1, 2, 3…
 *   32  previous hash             entryHash of entry seq-1 (zeros for the genesis)
 *   32  author Ed25519 public key
 *   var at                        ms since the epoch, the author's clock (shown, not trusted)
 *   u8  kind (1 genesis, 2 add, 3 change, 4 remove, 5 rotate, 6 environments, 7 device-add,
 *       8 device-revoke), then its body:
 *     genesis  creator identity 64 | sealed name | meta scope id 16 | environment scope ids | grants
 *     add      member identity 64 | sealed name | role u8 | environment scope ids | grants | invite
 *              | machine (version 2)
 *     change   member sign key 32 | role u8 | environment scope ids | grants | rotation
 *     remove   member sign key 32 | rotation | last changes (version 2)
 *     rotate   rotation
 *     environments  var count | (scope id 16 | sealed environment name) each, in display order
 *     device-add    device identity 64 | sealed device name | grants | sealed directory: another
 *                   device of the author's person, with the person's role and scopes
 *     device-revoke device sign key 32 | rotation | last changes: one device cut off, the person stays
 *   64  signature                 Ed25519 over every byte above (magic included)
 *
 *   identity       sign public key 32 | box public key 32
 *   sealed name    var length | secretbox under the meta key (wrap.ts: the relay sees no names)
 *   scope ids      var count | 16 each
 *   grants         var count | (scope id 16 | epoch var | recipient box key 32 | wrapped 136) each
 *   rotation       var count | (scope id 16 | new epoch var | history 104 |
 *                               var count | (recipient box key 32 | wrapped 136) each) each
 *   invite         u8 0, or u8 1 | invite id 16
 *   machine        u8 0 (a person), or u8 1 | expires var (ms since the epoch; 0: never): a
 *                  machine member (a CI job, a server) holding its keys in a token
 *   last changes   var count | (scope id 16 | counter var | envelope hash 32) each: the removed
 *                  member's last change in every scope the remover reads, as it saw them
 *                  (counter 0 and zeros: none)
 *   role           1 owner, 2 admin, 3 editor, 4 viewer
 *   sealed directory  var length | (empty, or a box to the new device: the person's vaults, devices.ts)
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, equalBytes, utf8 } from '../crypto/bytes';
import { hash32, HASH_BYTES } from '../crypto/hash';
import type { PublicIdentity } from '../crypto/identity';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type CryptoSuite } from '../crypto/suite';
import { ID_BYTES, type SigningKey } from '../envelope/envelope';
import { ByteReader } from '../envelope/reader';
import { TesseraError } from '../errors';
import { refuse } from './refusal';
import { SEALED_HISTORY_BYTES, SEALED_NAME_MAX, SEALED_NAME_MIN, WRAPPED_KEY_BYTES } from './wrap';

export const ENTRY_VERSION = 2;
/** The device kinds are written as format 3, so that an older client says it is too old for them. */
const DEVICE_ENTRY_VERSION = 3;
/** Bytes of a sealed vault directory in a device-add entry (a few hundred vaults). */
export const MAX_DIRECTORY_BYTES = 64 * 1024;
/** Entries written before removals named the member's last changes: read, never written. */
const LEGACY_ENTRY_VERSION = 1;
/** Environments per vault; far above any real vault, low enough to bound a hostile entry. */
export const MAX_SCOPES = 1024;
/** Wrapped keys in one list: members × scopes of a large team. */
export const MAX_WRAPS = 1 << 20;

const MAGIC = utf8.encode('TSM');

export type Role = 'owner' | 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'editor', 'viewer'];
export type EntryKind = 'genesis' | 'add' | 'change' | 'remove' | 'rotate' | 'environments' | 'device-add' | 'device-revoke';
const KINDS: readonly EntryKind[] = ['genesis', 'add', 'change', 'remove', 'rotate', 'environments', 'device-add', 'device-revoke'];
const DEVICE_KINDS: ReadonlySet<EntryKind> = new Set(['device-add', 'device-revoke']);

/** One scope key at one epoch, wrapped to one member's X25519 key (wrap.ts). */
export interface WrappedKey {
  readonly scopeId: Uint8Array;
  readonly epoch: number;
  readonly recipient: Uint8Array;
  readonly wrapped: Uint8Array;
}

/** A scope's next epoch: its new key for every reader, and the previous key sealed under it. */
export interface ScopeRotation {
  readonly scopeId: Uint8Array;
  readonly epoch: number;
  readonly history: Uint8Array;
  /** Each has this rotation's scope id and epoch. */
  readonly wraps: readonly WrappedKey[];
}

/**
 * A removed member's last change in one scope (its counter and envelope hash): clients refuse
 * anything of theirs beyond it, whatever membership head it claims to have been written under.
 */
export interface LastChange {
  readonly scopeId: Uint8Array;
  readonly counter: number;
  readonly hash: Uint8Array;
}

/** One environment's name, sealed under the meta key (the relay sees ids, never names). */
export interface EnvironmentName {
  readonly scopeId: Uint8Array;
  readonly sealedName: Uint8Array;
}

export type EntryBody =
  | {
      readonly kind: 'genesis';
      readonly creator: PublicIdentity;
      readonly sealedName: Uint8Array;
      readonly metaScope: Uint8Array;
      readonly envScopes: readonly Uint8Array[];
      readonly grants: readonly WrappedKey[];
    }
  | {
      readonly kind: 'add';
      readonly member: PublicIdentity;
      readonly sealedName: Uint8Array;
      readonly role: Role;
      readonly envScopes: readonly Uint8Array[];
      readonly grants: readonly WrappedKey[];
      readonly inviteId?: Uint8Array;
      /** Set for a machine member (a token): when it stops being served, if ever. */
      readonly machine?: { readonly expiresAt: number | null };
    }
  | {
      readonly kind: 'change';
      readonly member: Uint8Array;
      readonly role: Role;
      readonly envScopes: readonly Uint8Array[];
      readonly grants: readonly WrappedKey[];
      readonly rotation: readonly ScopeRotation[];
    }
  | {
      readonly kind: 'remove';
      readonly member: Uint8Array;
      readonly rotation: readonly ScopeRotation[];
      /** Undefined in a version 1 entry: such a removal pinned nothing. */
      readonly lastChanges?: readonly LastChange[];
    }
  | { readonly kind: 'rotate'; readonly rotation: readonly ScopeRotation[] }
  /** Names the vault's environments, every one of them, in display order. */
  | { readonly kind: 'environments'; readonly names: readonly EnvironmentName[] }
  /**
   * Another device of the author's person: its own keys, its name sealed under the meta key,
   * the person's scope keys wrapped to it, and (in one vault) the person's vault directory
   * sealed to it; empty elsewhere.
   */
  | {
      readonly kind: 'device-add';
      readonly device: PublicIdentity;
      readonly sealedName: Uint8Array;
      readonly grants: readonly WrappedKey[];
      readonly directory: Uint8Array;
    }
  /** One device cut off (a lost laptop): its scopes re-keyed, its last changes pinned. */
  | { readonly kind: 'device-revoke'; readonly device: Uint8Array; readonly rotation: readonly ScopeRotation[]; readonly lastChanges: readonly LastChange[] };

export interface EntryHeader {
  readonly vaultId: Uint8Array;
  readonly seq: number;
  readonly prevHash: Uint8Array;
  readonly author: Uint8Array;
  readonly at: number;
}

export interface MembershipEntry extends EntryHeader {
  readonly version: number;
  readonly body: EntryBody;
  readonly signature: Uint8Array;
  /** The whole encoding, as stored and sent. */
  readonly bytes: Uint8Array;
  /** bytes[0, signedLength) is what was signed. */
  readonly signedLength: number;
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

function checkHeader(h: EntryHeader): void {
  const ok =
    h.vaultId.length === ID_BYTES &&
    h.prevHash.length === HASH_BYTES &&
    h.author.length === PUBLIC_KEY_BYTES &&
    isCount(h.seq) &&
    isCount(h.at);
  if (!ok) throw new TesseraError('INVALID_INPUT', 'Invalid membership entry header');
}

function writeFixed(e: encoding.Encoder, b: Uint8Array, length: number): void {
  if (b.length !== length) throw new TesseraError('INVALID_INPUT', `Membership entry: expected ${length} bytes, got ${b.length}`);
  encoding.writeUint8Array(e, b);
}

function writeIdentity(e: encoding.Encoder, id: PublicIdentity): void {
  writeFixed(e, id.signPublicKey, PUBLIC_KEY_BYTES);
  writeFixed(e, id.boxPublicKey, PUBLIC_KEY_BYTES);
}

function writeScopes(e: encoding.Encoder, scopes: readonly Uint8Array[]): void {
  encoding.writeVarUint(e, scopes.length);
  for (const s of scopes) writeFixed(e, s, ID_BYTES);
}

function writeGrants(e: encoding.Encoder, grants: readonly WrappedKey[]): void {
  encoding.writeVarUint(e, grants.length);
  for (const g of grants) {
    writeFixed(e, g.scopeId, ID_BYTES);
    encoding.writeVarUint(e, g.epoch);
    writeFixed(e, g.recipient, PUBLIC_KEY_BYTES);
    writeFixed(e, g.wrapped, WRAPPED_KEY_BYTES);
  }
}

function writeRotation(e: encoding.Encoder, rotation: readonly ScopeRotation[]): void {
  encoding.writeVarUint(e, rotation.length);
  for (const r of rotation) {
    writeFixed(e, r.scopeId, ID_BYTES);
    encoding.writeVarUint(e, r.epoch);
    writeFixed(e, r.history, SEALED_HISTORY_BYTES);
    encoding.writeVarUint(e, r.wraps.length);
    for (const w of r.wraps) {
      if (!equalBytes(w.scopeId, r.scopeId) || w.epoch !== r.epoch) {
        throw new TesseraError('INVALID_INPUT', 'A rotation wrap must carry its rotation’s scope and epoch');
      }
      writeFixed(e, w.recipient, PUBLIC_KEY_BYTES);
      writeFixed(e, w.wrapped, WRAPPED_KEY_BYTES);
    }
  }
}

function writeLastChanges(e: encoding.Encoder, changes: readonly LastChange[]): void {
  encoding.writeVarUint(e, changes.length);
  for (const c of changes) {
    writeFixed(e, c.scopeId, ID_BYTES);
    if (!isCount(c.counter)) throw new TesseraError('INVALID_INPUT', 'A last change has a counter');
    encoding.writeVarUint(e, c.counter);
    writeFixed(e, c.hash, HASH_BYTES);
  }
}

function writeBody(e: encoding.Encoder, body: EntryBody): void {
  encoding.writeUint8(e, KINDS.indexOf(body.kind) + 1);
  switch (body.kind) {
    case 'genesis':
      writeIdentity(e, body.creator);
      encoding.writeVarUint8Array(e, body.sealedName);
      writeFixed(e, body.metaScope, ID_BYTES);
      writeScopes(e, body.envScopes);
      writeGrants(e, body.grants);
      return;
    case 'add':
      writeIdentity(e, body.member);
      encoding.writeVarUint8Array(e, body.sealedName);
      encoding.writeUint8(e, ROLES.indexOf(body.role) + 1);
      writeScopes(e, body.envScopes);
      writeGrants(e, body.grants);
      encoding.writeUint8(e, body.inviteId ? 1 : 0);
      if (body.inviteId) writeFixed(e, body.inviteId, ID_BYTES);
      encoding.writeUint8(e, body.machine ? 1 : 0);
      if (body.machine) {
        const expires = body.machine.expiresAt ?? 0;
        if (!isCount(expires)) throw new TesseraError('INVALID_INPUT', 'A machine’s expiry is a time');
        encoding.writeVarUint(e, expires);
      }
      return;
    case 'change':
      writeFixed(e, body.member, PUBLIC_KEY_BYTES);
      encoding.writeUint8(e, ROLES.indexOf(body.role) + 1);
      writeScopes(e, body.envScopes);
      writeGrants(e, body.grants);
      writeRotation(e, body.rotation);
      return;
    case 'remove':
      writeFixed(e, body.member, PUBLIC_KEY_BYTES);
      writeRotation(e, body.rotation);
      writeLastChanges(e, body.lastChanges ?? []);
      return;
    case 'device-add':
      writeIdentity(e, body.device);
      encoding.writeVarUint8Array(e, body.sealedName);
      writeGrants(e, body.grants);
      if (body.directory.length > MAX_DIRECTORY_BYTES) throw new TesseraError('INVALID_INPUT', 'The vault directory is too large');
      encoding.writeVarUint8Array(e, body.directory);
      return;
    case 'device-revoke':
      writeFixed(e, body.device, PUBLIC_KEY_BYTES);
      writeRotation(e, body.rotation);
      writeLastChanges(e, body.lastChanges);
      return;
    case 'rotate':
      writeRotation(e, body.rotation);
      return;
    case 'environments':
      encoding.writeVarUint(e, body.names.length);
      for (const n of body.names) {
        writeFixed(e, n.scopeId, ID_BYTES);
        encoding.writeVarUint8Array(e, n.sealedName);
      }
  }
}

/** Encodes and signs an entry (author = the signer). Throws INVALID_INPUT on a malformed field. */
export function encodeEntry(suite: CryptoSuite, header: Omit<EntryHeader, 'author'>, body: EntryBody, signer: SigningKey): Uint8Array {
  checkHeader({ ...header, author: signer.publicKey });
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, MAGIC);
  encoding.writeUint8(e, DEVICE_KINDS.has(body.kind) ? DEVICE_ENTRY_VERSION : ENTRY_VERSION);
  encoding.writeUint8Array(e, header.vaultId);
  encoding.writeVarUint(e, header.seq);
  encoding.writeUint8Array(e, header.prevHash);
  encoding.writeUint8Array(e, signer.publicKey);
  encoding.writeVarUint(e, header.at);
  writeBody(e, body);
  const signed = encoding.toUint8Array(e);
  return concatBytes(signed, suite.ed25519.sign(signed, signer.seed, signer.publicKey));
}

function readCount(r: ByteReader, max: number, what: string): number {
  const n = r.varUint();
  if (n > max) r.fail(`${n} ${what} exceeds ${max}`);
  return n;
}

function readRole(r: ByteReader): Role {
  const code = r.u8();
  return ROLES[code - 1] ?? r.fail(`unknown role ${code}`);
}

const readIdentity = (r: ByteReader): PublicIdentity => ({ signPublicKey: r.fixed(PUBLIC_KEY_BYTES), boxPublicKey: r.fixed(PUBLIC_KEY_BYTES) });

function readSealedName(r: ByteReader): Uint8Array {
  const sealed = r.sized(SEALED_NAME_MAX);
  if (sealed.length < SEALED_NAME_MIN) r.fail('sealed name too short');
  return sealed.slice();
}

function readScopes(r: ByteReader): Uint8Array[] {
  const n = readCount(r, MAX_SCOPES, 'scopes');
  return Array.from({ length: n }, () => r.fixed(ID_BYTES));
}

function readGrants(r: ByteReader): WrappedKey[] {
  const n = readCount(r, MAX_WRAPS, 'wrapped keys');
  const out: WrappedKey[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ scopeId: r.fixed(ID_BYTES), epoch: r.varUint(), recipient: r.fixed(PUBLIC_KEY_BYTES), wrapped: r.fixed(WRAPPED_KEY_BYTES) });
  }
  return out;
}

function readRotation(r: ByteReader): ScopeRotation[] {
  const n = readCount(r, MAX_SCOPES + 1, 'rotated scopes');
  const out: ScopeRotation[] = [];
  for (let i = 0; i < n; i++) {
    const scopeId = r.fixed(ID_BYTES);
    const epoch = r.varUint();
    const history = r.fixed(SEALED_HISTORY_BYTES);
    const count = readCount(r, MAX_WRAPS, 'wrapped keys');
    const wraps: WrappedKey[] = [];
    for (let j = 0; j < count; j++) wraps.push({ scopeId, epoch, recipient: r.fixed(PUBLIC_KEY_BYTES), wrapped: r.fixed(WRAPPED_KEY_BYTES) });
    out.push({ scopeId, epoch, history, wraps });
  }
  return out;
}

function readLastChanges(r: ByteReader): LastChange[] {
  const n = readCount(r, MAX_SCOPES + 1, 'last changes');
  const out: LastChange[] = [];
  for (let i = 0; i < n; i++) {
    const scopeId = r.fixed(ID_BYTES);
    const counter = r.varUint();
    out.push({ scopeId, counter, hash: r.fixed(HASH_BYTES) });
  }
  return out;
}

function readBody(r: ByteReader, version: number): EntryBody {
  const code = r.u8();
  const kind = KINDS[code - 1] ?? r.fail(`unknown kind ${code}`);
  if (DEVICE_KINDS.has(kind) !== (version === DEVICE_ENTRY_VERSION)) r.fail(`kind ${code} in format ${version}`);
  switch (kind) {
    case 'genesis':
      return { kind, creator: readIdentity(r), sealedName: readSealedName(r), metaScope: r.fixed(ID_BYTES), envScopes: readScopes(r), grants: readGrants(r) };
    case 'add': {
      const member = readIdentity(r);
      const sealedName = readSealedName(r);
      const role = readRole(r);
      const envScopes = readScopes(r);
      const grants = readGrants(r);
      const flag = r.u8();
      if (flag > 1) r.fail('bad invite flag');
      const inviteId = flag === 1 ? r.fixed(ID_BYTES) : undefined;
      const machineFlag = version === LEGACY_ENTRY_VERSION ? 0 : r.u8();
      if (machineFlag > 1) r.fail('bad machine flag');
      const expires = machineFlag === 1 ? r.varUint() : 0;
      return {
        kind, member, sealedName, role, envScopes, grants,
        ...(inviteId ? { inviteId } : {}),
        ...(machineFlag === 1 ? { machine: { expiresAt: expires === 0 ? null : expires } } : {}),
      };
    }
    case 'change':
      return { kind, member: r.fixed(PUBLIC_KEY_BYTES), role: readRole(r), envScopes: readScopes(r), grants: readGrants(r), rotation: readRotation(r) };
    case 'remove': {
      const member = r.fixed(PUBLIC_KEY_BYTES);
      const rotation = readRotation(r);
      return version === LEGACY_ENTRY_VERSION ? { kind, member, rotation } : { kind, member, rotation, lastChanges: readLastChanges(r) };
    }
    case 'rotate':
      return { kind, rotation: readRotation(r) };
    case 'device-add': {
      const device = readIdentity(r);
      const sealedName = readSealedName(r);
      const grants = readGrants(r);
      return { kind, device, sealedName, grants, directory: r.sized(MAX_DIRECTORY_BYTES).slice() };
    }
    case 'device-revoke':
      return { kind, device: r.fixed(PUBLIC_KEY_BYTES), rotation: readRotation(r), lastChanges: readLastChanges(r) };
    case 'environments': {
      const n = readCount(r, MAX_SCOPES, 'environment names');
      return { kind, names: Array.from({ length: n }, () => ({ scopeId: r.fixed(ID_BYTES), sealedName: readSealedName(r) })) };
    }
  }
}

/** Parses an entry without checking its signature. Throws MALFORMED / UNSUPPORTED_VERSION. */
export function decodeEntry(bytes: Uint8Array): MembershipEntry {
  const r: ByteReader = new ByteReader(bytes, 'membership entry'); // annotated so fail() narrows
  if (!equalBytes(r.fixed(MAGIC.length), MAGIC)) r.fail('not a membership entry');
  const version = r.u8();
  if (version !== ENTRY_VERSION && version !== LEGACY_ENTRY_VERSION && version !== DEVICE_ENTRY_VERSION) {
    throw new TesseraError('UNSUPPORTED_VERSION', `Membership entry format ${version} is not supported by this version of Tessera`);
  }
  const vaultId = r.fixed(ID_BYTES);
  const seq = r.varUint();
  const prevHash = r.fixed(HASH_BYTES);
  const author = r.fixed(PUBLIC_KEY_BYTES);
  const at = r.varUint();
  const body = readBody(r, version);
  const signedLength = r.offset;
  const signature = r.fixed(SIGNATURE_BYTES);
  r.end();
  return { version, vaultId, seq, prevHash, author, at, body, signature, bytes, signedLength };
}

/** True when the author's signature covers every byte of the entry. */
export function verifyEntrySignature(suite: CryptoSuite, entry: MembershipEntry): boolean {
  return suite.ed25519.verify(entry.bytes.subarray(0, entry.signedLength), entry.signature, entry.author);
}

/**
 * Decodes and checks the signature: what every reader of untrusted bytes should call.
 * Throws TAMPERED (MALFORMED or BAD_SIGNATURE); a newer format is named in the message.
 */
export function readEntry(suite: CryptoSuite, bytes: Uint8Array): MembershipEntry {
  let entry: MembershipEntry;
  try {
    entry = decodeEntry(bytes);
  } catch (e) {
    // A flipped bit in a length, count, kind or version byte lands here: it is tampering.
    if (e instanceof TesseraError && (e.code === 'MALFORMED' || e.code === 'UNSUPPORTED_VERSION')) {
      return refuse('MALFORMED', `Membership entry rejected: ${e.message}`);
    }
    throw e;
  }
  if (!verifyEntrySignature(suite, entry)) refuse('BAD_SIGNATURE', 'A membership entry has an invalid signature', { seq: entry.seq });
  return entry;
}

/** The chain hash of an entry: what the next entry names as its previous hash. */
export function entryHash(bytes: Uint8Array): Uint8Array {
  return hash32('tessera/membership-entry/v1', bytes);
}
