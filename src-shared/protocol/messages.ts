/**
 * The relay wire protocol, version 1: binary WebSocket frames, one message each.
 *
 *   u8 protocol version (1) | u8 message type | fields (lib0 encoding: varuints, fixed ids)
 *
 * The relay is blind: it sees vault and scope ids, public keys, sizes and times, never a
 * name or a value. It proves nothing about content; clients verify every envelope they get.
 *
 * A session: the relay sends `challenge`; the client answers `auth` (its Ed25519 key and a
 * signature over the challenge); then `register` (a new vault, with the genesis entry of its
 * membership log), `subscribe` (backfill from per-scope cursors, then live `deliver`s),
 * `push` (one envelope, answered by `ack` with its sequence number or by `error` with a
 * code), for the membership log `log-append` (answered by `logged`) and `log-fetch`
 * (answered by `log`), and for joining `join` (from a non-member, answered by `join-ok`)
 * and `join-list` (a manager's, answered by `joins`). Every request carries an id that its
 * answer repeats.
 *
 * Features are negotiated in the WebSocket handshake, as subprotocols (a relay that predates
 * one picks the first offered, so a client lists the plain protocol first): with
 * `tessera.v1.runs` the relay may send consecutive envelopes of one scope as one `deliver-run`
 * frame instead of a `deliver` each, which is what lets one relay serve many readers.
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, utf8 } from '../crypto/bytes';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/suite';
import { ID_BYTES } from '../envelope/envelope';
import { TesseraError } from '../errors';
import { ByteReader } from '../envelope/reader';

export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocols of version 1: the plain one, and with `deliver-run` frames. */
export const SUBPROTOCOL = { plain: 'tessera.v1', runs: 'tessera.v1.runs' } as const;
/** What a client offers, in this order: a relay that knows no features picks the first. */
export const CLIENT_SUBPROTOCOLS: readonly string[] = [SUBPROTOCOL.plain, SUBPROTOCOL.runs];
/** Envelopes in one `deliver-run` frame, at most. */
export const MAX_RUN_ENVELOPES = 4096;
export const CHALLENGE_BYTES = 32;
/** Default frame limit; relays may configure their own (envelopes are at most this big). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_CURSORS = 4096;
const MAX_TEXT = 1024;

/** Error codes the relay answers with. Stable: clients and tests match on them. */
export type RelayErrorCode =
  | 'MALFORMED_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'UNSUPPORTED_VERSION'
  | 'NOT_AUTHENTICATED'
  | 'AUTH_FAILED'
  | 'UNKNOWN_VAULT'
  | 'VAULT_EXISTS'
  | 'NOT_A_MEMBER'
  | 'NO_WRITE_ACCESS'
  | 'BAD_ENVELOPE'
  | 'BAD_SIGNATURE'
  | 'REPLAY'
  | 'COUNTER_GAP'
  | 'CHAIN_MISMATCH'
  | 'STALE_EPOCH'
  | 'RATE_LIMITED'
  | 'TOO_MANY_CONNECTIONS'
  | 'SHUTTING_DOWN'
  | 'MEMBERSHIP_REFUSED' // a membership entry that does not extend the log by its rules
  | 'TOKEN_EXPIRED' // a machine member whose expiry has passed: no longer served
  | 'UNKNOWN_LOG_HEAD' // an envelope names a membership head this relay does not have
  | 'LAST_CHANGE_MOVED' // a removal pins a member's last change that the relay has seen them move past
  | 'QUOTA_EXCEEDED' // storing it would take the vault or its author past the relay's quota
  | 'REGISTRATION_LIMITED' // this key or address has registered as many vaults as the relay allows
  /** The relay's database is not answering (restarting, failing over): try again, or another relay. */
  | 'STORAGE_UNAVAILABLE'
  | 'INTERNAL';

export interface Cursor {
  readonly scopeId: Uint8Array;
  /** The last sequence number the client has; 0 for none. */
  readonly since: number;
}

export type RelayMessage =
  | { type: 'challenge'; nonce: Uint8Array }
  | { type: 'auth-ok' }
  | { type: 'error'; requestId: number; code: RelayErrorCode; message: string }
  | { type: 'ack'; requestId: number; scopeId: Uint8Array; seq: number }
  | { type: 'registered'; requestId: number }
  /** An envelope of a subscribed vault: backfill or live. For a snapshot, seq is what it covers. */
  | { type: 'deliver'; vaultId: Uint8Array; scopeId: Uint8Array; seq: number; envelope: Uint8Array }
  /**
   * Envelopes of one scope at consecutive sequence numbers from `firstSeq`, as `deliver`s would
   * bring them one by one (only to a client that negotiated `tessera.v1.runs`).
   */
  | { type: 'deliver-run'; vaultId: Uint8Array; scopeId: Uint8Array; firstSeq: number; envelopes: Uint8Array[] }
  /** Backfill of a subscription is complete: the relay's last sequence number per scope. */
  | { type: 'synced'; requestId: number; vaultId: Uint8Array; heads: Cursor[] }
  /** A membership entry was appended at `seq`. */
  | { type: 'logged'; requestId: number; seq: number }
  /**
   * Membership entries from `from` on (seq order), and the log's length on the relay. Also
   * sent unasked (requestId 0) to a vault's subscribers when an entry is appended.
   */
  | { type: 'log'; requestId: number; vaultId: Uint8Array; from: number; entries: Uint8Array[]; length: number }
  /** A join request was stored for the vault's managers. */
  | { type: 'join-ok'; requestId: number }
  /** The join requests waiting for a vault's managers. */
  | { type: 'joins'; requestId: number; vaultId: Uint8Array; requests: Uint8Array[] };

export type ClientMessage =
  | { type: 'auth'; publicKey: Uint8Array; signature: Uint8Array }
  /**
   * Creates the vault on the relay from the genesis entry of its membership log. (Without
   * one, the registering key becomes the only member: vaults made before sharing.)
   */
  | { type: 'register'; requestId: number; vaultId: Uint8Array; genesis?: Uint8Array }
  | { type: 'subscribe'; requestId: number; vaultId: Uint8Array; cursors: Cursor[] }
  | { type: 'push'; requestId: number; envelope: Uint8Array }
  | { type: 'unsubscribe'; vaultId: Uint8Array }
  | { type: 'log-append'; requestId: number; vaultId: Uint8Array; entry: Uint8Array }
  /** Entries with seq ≥ from. */
  | { type: 'log-fetch'; requestId: number; vaultId: Uint8Array; from: number }
  /** A would-be member's request (see membership/invite.ts); the only request a non-member may make. */
  | { type: 'join'; requestId: number; vaultId: Uint8Array; request: Uint8Array }
  /** A manager asks for the waiting join requests. */
  | { type: 'join-list'; requestId: number; vaultId: Uint8Array };

const RELAY_TYPES = { challenge: 1, 'auth-ok': 2, error: 3, ack: 4, registered: 5, deliver: 6, synced: 7, logged: 8, log: 9, 'join-ok': 10, joins: 11, 'deliver-run': 12 } as const;
const CLIENT_TYPES = { auth: 20, register: 21, subscribe: 22, push: 23, unsubscribe: 24, 'log-append': 25, 'log-fetch': 26, join: 27, 'join-list': 28 } as const;
const MAX_LOG_ENTRIES = 4096;

const AUTH_DOMAIN = utf8.encode('tessera/relay-auth/v1\0');

/** What a client signs to prove it holds its key: the domain, then the relay's challenge. */
export function authMessage(nonce: Uint8Array): Uint8Array {
  return concatBytes(AUTH_DOMAIN, nonce);
}

function start(type: number): encoding.Encoder {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, PROTOCOL_VERSION);
  encoding.writeUint8(e, type);
  return e;
}

const writeText = (e: encoding.Encoder, s: string) => encoding.writeVarUint8Array(e, utf8.encode(s.slice(0, MAX_TEXT)));
const writeCursors = (e: encoding.Encoder, cs: readonly Cursor[]) => {
  encoding.writeVarUint(e, cs.length);
  for (const c of cs) {
    encoding.writeUint8Array(e, c.scopeId);
    encoding.writeVarUint(e, c.since);
  }
};

export function encodeRelayMessage(m: RelayMessage): Uint8Array {
  const e = start(RELAY_TYPES[m.type]);
  switch (m.type) {
    case 'challenge':
      encoding.writeUint8Array(e, m.nonce);
      break;
    case 'auth-ok':
      break;
    case 'error':
      encoding.writeVarUint(e, m.requestId);
      writeText(e, m.code);
      writeText(e, m.message);
      break;
    case 'ack':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.scopeId);
      encoding.writeVarUint(e, m.seq);
      break;
    case 'registered':
      encoding.writeVarUint(e, m.requestId);
      break;
    case 'deliver':
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeUint8Array(e, m.scopeId);
      encoding.writeVarUint(e, m.seq);
      encoding.writeVarUint8Array(e, m.envelope);
      break;
    case 'deliver-run':
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeUint8Array(e, m.scopeId);
      encoding.writeVarUint(e, m.firstSeq);
      encoding.writeVarUint(e, m.envelopes.length);
      for (const envelope of m.envelopes) encoding.writeVarUint8Array(e, envelope);
      break;
    case 'synced':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      writeCursors(e, m.heads);
      break;
    case 'logged':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeVarUint(e, m.seq);
      break;
    case 'log':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint(e, m.from);
      encoding.writeVarUint(e, m.entries.length);
      for (const entry of m.entries) encoding.writeVarUint8Array(e, entry);
      encoding.writeVarUint(e, m.length);
      break;
    case 'join-ok':
      encoding.writeVarUint(e, m.requestId);
      break;
    case 'joins':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint(e, m.requests.length);
      for (const q of m.requests) encoding.writeVarUint8Array(e, q);
      break;
  }
  return encoding.toUint8Array(e);
}

export function encodeClientMessage(m: ClientMessage): Uint8Array {
  const e = start(CLIENT_TYPES[m.type]);
  switch (m.type) {
    case 'auth':
      encoding.writeUint8Array(e, m.publicKey);
      encoding.writeUint8Array(e, m.signature);
      break;
    case 'register':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint8Array(e, m.genesis ?? new Uint8Array(0)); // empty: none
      break;
    case 'subscribe':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      writeCursors(e, m.cursors);
      break;
    case 'push':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeVarUint8Array(e, m.envelope);
      break;
    case 'unsubscribe':
      encoding.writeUint8Array(e, m.vaultId);
      break;
    case 'log-append':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint8Array(e, m.entry);
      break;
    case 'log-fetch':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint(e, m.from);
      break;
    case 'join':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      encoding.writeVarUint8Array(e, m.request);
      break;
    case 'join-list':
      encoding.writeVarUint(e, m.requestId);
      encoding.writeUint8Array(e, m.vaultId);
      break;
  }
  return encoding.toUint8Array(e);
}

function open(bytes: Uint8Array, what: string): { r: ByteReader; type: number } {
  const r: ByteReader = new ByteReader(bytes, what);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) throw new TesseraError('UNSUPPORTED_VERSION', `${what}: protocol version ${version} is not supported`);
  return { r, type: r.u8() };
}

const readText = (r: ByteReader) => utf8.decode(r.sized(MAX_TEXT * 4));
function readCursors(r: ByteReader): Cursor[] {
  const n = r.varUint();
  if (n > MAX_CURSORS) r.fail('too many cursors');
  const out: Cursor[] = [];
  for (let i = 0; i < n; i++) out.push({ scopeId: r.fixed(ID_BYTES), since: r.varUint() });
  return out;
}

/** Parses a relay → client frame. Throws MALFORMED or UNSUPPORTED_VERSION. */
export function decodeRelayMessage(bytes: Uint8Array, maxEnvelope = DEFAULT_MAX_FRAME_BYTES): RelayMessage {
  const { r, type } = open(bytes, 'relay message');
  let m: RelayMessage;
  switch (type) {
    case RELAY_TYPES.challenge:
      m = { type: 'challenge', nonce: r.fixed(CHALLENGE_BYTES) };
      break;
    case RELAY_TYPES['auth-ok']:
      m = { type: 'auth-ok' };
      break;
    case RELAY_TYPES.error:
      m = { type: 'error', requestId: r.varUint(), code: readText(r) as RelayErrorCode, message: readText(r) };
      break;
    case RELAY_TYPES.ack:
      m = { type: 'ack', requestId: r.varUint(), scopeId: r.fixed(ID_BYTES), seq: r.varUint() };
      break;
    case RELAY_TYPES.registered:
      m = { type: 'registered', requestId: r.varUint() };
      break;
    case RELAY_TYPES.deliver:
      m = { type: 'deliver', vaultId: r.fixed(ID_BYTES), scopeId: r.fixed(ID_BYTES), seq: r.varUint(), envelope: r.sized(maxEnvelope) };
      break;
    case RELAY_TYPES['deliver-run']: {
      const vaultId = r.fixed(ID_BYTES);
      const scopeId = r.fixed(ID_BYTES);
      const firstSeq = r.varUint();
      const n = r.varUint();
      if (n < 1 || n > MAX_RUN_ENVELOPES) r.fail(`a run of ${n} envelopes`);
      if (firstSeq < 1) r.fail('a run from seq 0');
      const envelopes: Uint8Array[] = [];
      for (let i = 0; i < n; i++) envelopes.push(r.sized(maxEnvelope));
      m = { type: 'deliver-run', vaultId, scopeId, firstSeq, envelopes };
      break;
    }
    case RELAY_TYPES.synced:
      m = { type: 'synced', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES), heads: readCursors(r) };
      break;
    case RELAY_TYPES.logged:
      m = { type: 'logged', requestId: r.varUint(), seq: r.varUint() };
      break;
    case RELAY_TYPES.log: {
      const requestId = r.varUint();
      const vaultId = r.fixed(ID_BYTES);
      const from = r.varUint();
      const n = r.varUint();
      if (n > MAX_LOG_ENTRIES) r.fail('too many log entries');
      const entries: Uint8Array[] = [];
      for (let i = 0; i < n; i++) entries.push(r.sized(maxEnvelope));
      m = { type: 'log', requestId, vaultId, from, entries, length: r.varUint() };
      break;
    }
    case RELAY_TYPES['join-ok']:
      m = { type: 'join-ok', requestId: r.varUint() };
      break;
    case RELAY_TYPES.joins: {
      const requestId = r.varUint();
      const vaultId = r.fixed(ID_BYTES);
      const n = r.varUint();
      if (n > MAX_LOG_ENTRIES) r.fail('too many join requests');
      const requests: Uint8Array[] = [];
      for (let i = 0; i < n; i++) requests.push(r.sized(64 * 1024));
      m = { type: 'joins', requestId, vaultId, requests };
      break;
    }
    default:
      return r.fail(`unknown message type ${type}`);
  }
  r.end();
  return m;
}

/** Parses a client → relay frame. Throws MALFORMED or UNSUPPORTED_VERSION. */
export function decodeClientMessage(bytes: Uint8Array, maxEnvelope = DEFAULT_MAX_FRAME_BYTES): ClientMessage {
  const { r, type } = open(bytes, 'client message');
  let m: ClientMessage;
  switch (type) {
    case CLIENT_TYPES.auth:
      m = { type: 'auth', publicKey: r.fixed(PUBLIC_KEY_BYTES), signature: r.fixed(SIGNATURE_BYTES) };
      break;
    case CLIENT_TYPES.register: {
      const requestId = r.varUint();
      const vaultId = r.fixed(ID_BYTES);
      const genesis = r.sized(maxEnvelope);
      m = genesis.length ? { type: 'register', requestId, vaultId, genesis } : { type: 'register', requestId, vaultId };
      break;
    }
    case CLIENT_TYPES.subscribe:
      m = { type: 'subscribe', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES), cursors: readCursors(r) };
      break;
    case CLIENT_TYPES.push:
      m = { type: 'push', requestId: r.varUint(), envelope: r.sized(maxEnvelope) };
      break;
    case CLIENT_TYPES.unsubscribe:
      m = { type: 'unsubscribe', vaultId: r.fixed(ID_BYTES) };
      break;
    case CLIENT_TYPES['log-append']:
      m = { type: 'log-append', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES), entry: r.sized(maxEnvelope) };
      break;
    case CLIENT_TYPES['log-fetch']:
      m = { type: 'log-fetch', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES), from: r.varUint() };
      break;
    case CLIENT_TYPES.join:
      m = { type: 'join', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES), request: r.sized(64 * 1024) };
      break;
    case CLIENT_TYPES['join-list']:
      m = { type: 'join-list', requestId: r.varUint(), vaultId: r.fixed(ID_BYTES) };
      break;
    default:
      return r.fail(`unknown message type ${type}`);
  }
  r.end();
  return m;
}
