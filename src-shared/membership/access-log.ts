/**
 * The team access log: a vault's extra scope where members' clients report that they
 * revealed, copied, exported or ran a secret, for the vault's owners and admins to read.
 * It records what honest clients report: a modified client can stay silent.
 *
 * The scope id is derived from the vault id, so no membership entry has to create it. Its
 * envelopes are ordinary envelopes (signed by the reporting member, chained per author,
 * checked by the relay), sealed under a key derived from the metadata scope's key at the
 * current metadata epoch, so the relay reads nothing and a removed member reads nothing
 * written after the removal. Every member may append to it, viewers included (relay:
 * access.ts), and nobody may snapshot it (a snapshot would let one member prune the others'
 * reports).
 *
 * Two kinds of record, as the envelope's plaintext:
 *   policy  u8 1 | JSON { actions }                      what members should report, set by
 *                                                        an owner or admin; every member reads it
 *   report  u8 2 | var count | wrapped content key each  for each owner and admin at the time
 *           (recipient box key 32 | wrap, as wrap.ts)    of the report: least privilege, the
 *           | nonce 24 | secretbox(content key, JSON)    other members cannot read it
 */
import * as encoding from 'lib0/encoding';
import { concatBytes, equalBytes, utf8, wipe } from '../crypto/bytes';
import { hash32 } from '../crypto/hash';
import { hmacSha512 } from '../crypto/hmac';
import { KEY_BYTES, NONCE_BYTES, PUBLIC_KEY_BYTES, type CryptoSuite } from '../crypto/suite';
import { ID_BYTES } from '../envelope/envelope';
import { ByteReader } from '../envelope/reader';
import { TesseraError } from '../errors';
import type { Role } from './entry';
import { currentMembers, type MembershipState } from './state';
import { unwrapKey, wrapKey, WRAPPED_KEY_BYTES } from './wrap';

export const ACCESS_ACTIONS = ['reveal', 'copy', 'export', 'run'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** Who may read reports and set the policy. */
export const ACCESS_LOG_READERS: ReadonlySet<Role> = new Set(['owner', 'admin']);

export interface AccessPolicy {
  /** The actions members report; empty = the access log is off. */
  readonly actions: readonly AccessAction[];
}

/** One report, as the owners and admins read it. Names only: never a value. */
export interface AccessReport {
  readonly action: AccessAction;
  readonly secrets: readonly string[];
  readonly environment: string;
  /** The reporting client's time (shown, not trusted). */
  readonly at: number;
  /** The reporting profile's id: which device. */
  readonly device: string;
}

const POLICY = 1;
const REPORT = 2;
const MAX_RECIPIENTS = 4096;
const MAX_NAMES = 4096;

/** The access log's scope id: the same for every member, derived from the vault id. */
export function accessScopeId(vaultId: Uint8Array): Uint8Array {
  return hash32('tessera/access-log/scope/v1', vaultId).slice(0, ID_BYTES);
}

export function isAccessScope(vaultId: Uint8Array, scopeId: Uint8Array): boolean {
  return equalBytes(accessScopeId(vaultId), scopeId);
}

/** The key access-log envelopes are sealed under, from the metadata key of the same epoch. */
export function accessScopeKey(metaKey: Uint8Array): Uint8Array {
  return hmacSha512(metaKey, utf8.encode('tessera/access-log/key/v1')).slice(0, KEY_BYTES);
}

export function encodePolicy(policy: AccessPolicy): Uint8Array {
  const actions = [...new Set(policy.actions)].filter((a) => (ACCESS_ACTIONS as readonly string[]).includes(a));
  return concatBytes(new Uint8Array([POLICY]), utf8.encode(JSON.stringify({ actions })));
}

/** The owners and admins who can read a report made now. */
export function accessLogReaders(state: MembershipState): Uint8Array[] {
  return currentMembers(state).filter((m) => ACCESS_LOG_READERS.has(m.role)).map((m) => m.identity.boxPublicKey);
}

function reportContext(state: MembershipState) {
  return { vaultId: state.vaultId, scopeId: accessScopeId(state.vaultId), epoch: 0 };
}

/** A report sealed to every current owner and admin. */
export function encodeReport(suite: CryptoSuite, state: MembershipState, report: AccessReport): Uint8Array {
  const readers = accessLogReaders(state);
  const contentKey = suite.randomBytes(KEY_BYTES);
  try {
    const e = encoding.createEncoder();
    encoding.writeUint8(e, REPORT);
    encoding.writeVarUint(e, readers.length);
    for (const r of readers) {
      encoding.writeUint8Array(e, r);
      encoding.writeUint8Array(e, wrapKey(suite, contentKey, r, reportContext(state)));
    }
    const nonce = suite.randomBytes(NONCE_BYTES);
    encoding.writeUint8Array(e, nonce);
    const json = { action: report.action, secrets: report.secrets, environment: report.environment, at: report.at, device: report.device };
    encoding.writeVarUint8Array(e, suite.secretbox.seal(utf8.encode(JSON.stringify(json)), nonce, contentKey));
    return encoding.toUint8Array(e);
  } finally {
    wipe(contentKey);
  }
}

export type AccessRecord =
  | { readonly kind: 'policy'; readonly policy: AccessPolicy }
  /** `report` is null when this reader is not among its recipients. */
  | { readonly kind: 'report'; readonly report: AccessReport | null };

/** Decodes an access-log plaintext; opens a report with `boxSecret` when sealed to us. Throws MALFORMED / TAMPERED. */
export function decodeAccessRecord(
  suite: CryptoSuite,
  plaintext: Uint8Array,
  vaultId: Uint8Array,
  reader?: { boxSecret: Uint8Array; boxPublic: Uint8Array },
): AccessRecord {
  if (plaintext[0] === POLICY) {
    const parsed = parseJson(plaintext.subarray(1)) as { actions?: unknown };
    const actions = Array.isArray(parsed?.actions) ? parsed.actions.filter((a): a is AccessAction => (ACCESS_ACTIONS as readonly unknown[]).includes(a)) : [];
    return { kind: 'policy', policy: { actions } };
  }
  if (plaintext[0] !== REPORT) throw new TesseraError('MALFORMED', 'Not an access-log record');
  const r = new ByteReader(plaintext.subarray(1), 'Access report');
  const n = r.varUint();
  if (n > MAX_RECIPIENTS) throw new TesseraError('MALFORMED', 'Too many recipients');
  let mine: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const recipient = r.fixed(PUBLIC_KEY_BYTES);
    const wrapped = r.fixed(WRAPPED_KEY_BYTES);
    if (reader && equalBytes(recipient, reader.boxPublic)) mine = wrapped;
  }
  const nonce = r.fixed(NONCE_BYTES);
  const sealed = r.sized(plaintext.length);
  r.end();
  if (!mine || !reader) return { kind: 'report', report: null };
  const ctx = { vaultId, scopeId: accessScopeId(vaultId), epoch: 0 };
  const contentKey = unwrapKey(suite, mine, reader.boxSecret, ctx, reader.boxPublic);
  const plain = suite.secretbox.open(sealed, nonce, contentKey);
  wipe(contentKey);
  if (!plain) throw new TesseraError('TAMPERED', 'An access report does not open');
  const o = parseJson(plain) as Partial<AccessReport>;
  const ok =
    (ACCESS_ACTIONS as readonly unknown[]).includes(o?.action) &&
    Array.isArray(o.secrets) && o.secrets.length <= MAX_NAMES && o.secrets.every((s) => typeof s === 'string') &&
    typeof o.environment === 'string' && Number.isFinite(o.at) && typeof o.device === 'string';
  if (!ok) throw new TesseraError('MALFORMED', 'An access report is not well formed');
  return { kind: 'report', report: o as AccessReport };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new TesseraError('MALFORMED', 'An access-log record is not JSON');
  }
}
