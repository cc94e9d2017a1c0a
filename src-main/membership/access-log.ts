/**
 * The team access log through the relay (format: src-shared/membership/access-log.ts):
 * owners and admins set the vault's policy and read the reports; every member's client
 * reports the actions the policy names. Each call connects, reads the access scope (its
 * envelopes are few: one per reported action) and disconnects.
 */
import { fingerprint, formatFingerprint, memberId } from '../../src-shared/crypto/identity';
import { fromHex, toHex } from '../../src-shared/crypto/bytes';
import { decodeEnvelope, envelopeHash, openVerifiedEnvelope, sealEnvelope, ZERO_HASH } from '../../src-shared/envelope/envelope';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import {
  ACCESS_ACTIONS, ACCESS_LOG_READERS, accessScopeId, accessScopeKey, decodeAccessRecord, encodePolicy, encodeReport,
  type AccessAction, type AccessPolicy, type AccessRecord, type AccessReport,
} from '../../src-shared/membership/access-log';
import { memberName } from '../../src-shared/membership/keys';
import { currentMember, type Member, type MembershipState } from '../../src-shared/membership/state';
import type { Exposure } from '../../src-shared/vault/types';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { profilePaths } from '../profile/paths';
import type { Session } from '../profile/profile';
import { RelayClient } from '../sync/relay-client';
import type { Vault } from '../vaults/vault';
import { membershipOf } from './invites';
import { withVaultMembership } from '../sync/vault-relay';
import { auditOf } from '../audit/session-audit';
import { admit } from '../vaults/admission';
import type { VaultLog } from './vault-log';

/** A report as owners and admins see it: who, from which device, did what, when. */
export interface AccessEntry extends AccessReport {
  /** Member id of the reporter (from the key that signed the report). */
  readonly member: string;
  readonly name: string | null;
  readonly fingerprint: string;
  /** The relay's sequence number: the order reports arrived in. */
  readonly seq: number;
}

export interface AccessLog {
  readonly policy: AccessPolicy;
  /** Newest first. Empty for a member who is not an owner or admin. */
  readonly entries: readonly AccessEntry[];
  /** Envelopes that failed their checks (a bad signature, a non-member author, damage). */
  readonly refused: number;
}

interface ScopeRead {
  readonly log: AccessLog;
  /** This profile's last envelope in the scope, which its next one must follow. */
  readonly myHead: { counter: number; hash: Uint8Array<ArrayBufferLike> };
}

// The newest membership (and metadata keys) first: the scope's key follows the metadata epoch.
function connect<T>(vault: Vault, fn: (client: RelayClient, state: MembershipState) => Promise<T>, timeoutMs?: number): Promise<T> {
  return withVaultMembership(vault, (client, log) => fn(client, log.state), timeoutMs !== undefined ? { timeoutMs } : {});
}

function metaKey(session: Session, vaultId: string, state: MembershipState, epoch: number): Uint8Array {
  const key = session.keys.vaults.get(vaultId)?.scopes.get(state.metaScope)?.get(epoch);
  if (!key) throw new TesseraError('NO_ACCESS', `No key for epoch ${epoch} of this vault's metadata`);
  return key;
}

/**
 * Checks one envelope of the access scope (its author was a member, its signature, its
 * seal) and decodes it, opening a report when it is sealed to `reader`. Throws TAMPERED,
 * MALFORMED or NO_ACCESS.
 */
export function openAccessEnvelope(
  session: Session,
  log: VaultLog,
  bytes: Uint8Array,
  reader?: { boxSecret: Uint8Array; boxPublic: Uint8Array },
): { author: Member; counter: number; record: AccessRecord } {
  const state = log.state;
  const env = decodeEnvelope(bytes);
  // Reports of a member removed since stay valid if written while they were one (the head
  // they name); a stranger's never are.
  admit(log, toHex(accessScopeId(state.vaultId)), env);
  const author = state.members.get(toHex(env.author))!;
  const vaultId = toHex(state.vaultId);
  const { plaintext } = openVerifiedEnvelope(session.suite, bytes, (e) => accessScopeKey(metaKey(session, vaultId, state, e.epoch)));
  const record = decodeAccessRecord(session.suite, plaintext, state.vaultId, reader);
  if (record.kind === 'policy' && (author.removed || !ACCESS_LOG_READERS.has(author.role))) {
    throw new TesseraError('NO_ACCESS', 'An access-log policy from someone who may not set it');
  }
  return { author, counter: env.counter, record };
}

const policyCachePath = (home: string, vaultId: string) => join(profilePaths(home).vault(vaultId), 'access-policy.json');

/**
 * The newest policy this device has seen (sync and every read of the access log keep it),
 * so that a reveal need not ask the relay whether to report it. Null when never seen.
 */
export async function readCachedAccessPolicy(home: string, vaultId: string): Promise<AccessPolicy | null> {
  const raw = await readFileIfExists(policyCachePath(home, vaultId));
  if (!raw) return null;
  try {
    const o = JSON.parse(raw.toString('utf8'));
    return { actions: Array.isArray(o?.actions) ? o.actions.filter((a: unknown) => (ACCESS_ACTIONS as readonly unknown[]).includes(a)) : [] };
  } catch {
    return null;
  }
}

export async function cacheAccessPolicy(home: string, vaultId: string, policy: AccessPolicy): Promise<void> {
  await writeFileAtomic(policyCachePath(home, vaultId), JSON.stringify({ actions: policy.actions }));
}

/** Every envelope of the access scope, verified, in relay order. */
async function readScope(vault: Vault, client: RelayClient, state: MembershipState): Promise<ScopeRead> {
  const vaultId = fromHex(vault.id);
  const scopeId = accessScopeId(vaultId);
  const delivered: { seq: number; bytes: Uint8Array }[] = [];
  client.onDelivery((d) => {
    if (toHex(d.scopeId) === toHex(scopeId)) delivered.push({ seq: d.seq, bytes: d.envelope });
  });
  // Cursors past the end of every other scope: only the access log is sent.
  const skip = [state.metaScope, ...state.envScopes].map((s) => ({ scopeId: fromHex(s), since: Number.MAX_SAFE_INTEGER }));
  await client.request({ type: 'subscribe', vaultId, cursors: [...skip, { scopeId, since: 0 }] }, 'synced');

  const session = vault.session;
  const me = toHex(session.signingKey.publicKey);
  const role = currentMember(state, me)?.role;
  const reader = role && ACCESS_LOG_READERS.has(role) ? { boxSecret: session.keys.boxSecret, boxPublic: session.suite.box.publicKeyFromSecret(session.keys.boxSecret) } : undefined;
  const metaKeys = session.keys.vaults.get(vault.id)?.scopes.get(state.metaScope) ?? new Map<number, Uint8Array>();
  let policy: AccessPolicy = { actions: [] };
  const entries: AccessEntry[] = [];
  let refused = 0;
  let myHead: ScopeRead['myHead'] = { counter: 0, hash: ZERO_HASH };
  for (const { seq, bytes } of delivered.sort((a, b) => a.seq - b.seq)) {
    try {
      const { author, counter, record } = openAccessEnvelope(session, membershipOf(vault), bytes, reader);
      if (toHex(author.identity.signPublicKey) === me && counter > myHead.counter) myHead = { counter, hash: envelopeHash(bytes) };
      if (record.kind === 'policy') policy = record.policy;
      else if (record.report) {
        entries.push({
          ...record.report,
          member: memberId(author.identity),
          name: memberName(session.suite, state, author, metaKeys) ?? null,
          fingerprint: formatFingerprint(fingerprint(author.identity)),
          seq,
        });
      }
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      refused++;
    }
  }
  await cacheAccessPolicy(session.home, vault.id, policy);
  return { log: { policy, entries: entries.reverse(), refused }, myHead };
}

/** Appends one record after `myHead`; returns the new head. */
async function append(vault: Vault, client: RelayClient, state: MembershipState, myHead: ScopeRead['myHead'], plaintext: Uint8Array): Promise<ScopeRead['myHead']> {
  const vaultId = fromHex(vault.id);
  const epoch = state.epochs.get(state.metaScope) ?? 1;
  const envelope = sealEnvelope(
    vault.session.suite,
    { kind: 'update', vaultId, scopeId: accessScopeId(vaultId), epoch, counter: myHead.counter + 1, prevHash: myHead.hash, covers: 0, logHead: state.head },
    plaintext,
    accessScopeKey(metaKey(vault.session, vault.id, state, epoch)),
    vault.session.signingKey,
  );
  await client.request({ type: 'push', envelope }, 'ack');
  return { counter: myHead.counter + 1, hash: envelopeHash(envelope) };
}

function assertReader(vault: Vault, state: MembershipState, what: string): void {
  const role = currentMember(state, vault.session.signingKey.publicKey)?.role;
  if (!role || !ACCESS_LOG_READERS.has(role)) throw new TesseraError('NO_ACCESS', `Only the vault's owners and admins ${what}`);
}

/** Sets which actions members' clients report (none: off). Owners and admins only. */
export async function setAccessPolicy(vault: Vault, actions: readonly AccessAction[]): Promise<AccessPolicy> {
  return connect(vault, async (client, state) => {
    assertReader(vault, state, 'set the access-log policy');
    const { myHead } = await readScope(vault, client, state);
    await append(vault, client, state, myHead, encodePolicy({ actions }));
    const policy = { actions: [...new Set(actions)] };
    await auditOf(vault.session).record({ action: 'policy-changed', vaultId: vault.id, vault: vault.name, detail: { accessLog: policy.actions } });
    return policy;
  });
}

/** The policy and reports. Owners and admins only (reports are sealed to them). */
export async function readAccessLog(vault: Vault): Promise<AccessLog> {
  return connect(vault, async (client, state) => {
    assertReader(vault, state, 'read the access log');
    return (await readScope(vault, client, state)).log;
  });
}

const pendingPath = (home: string, vaultId: string) => join(profilePaths(home).vault(vaultId), 'access-pending');

/**
 * Reports one action if the vault's policy asks for it; says whether it did. Reports that
 * could not be sent before (the relay unreachable) go first. `timeoutMs` bounds the wait
 * for the relay, so a reveal offline is not held up: the report then waits on this device,
 * already sealed to the owners and admins (the queue holds no name in the clear).
 */
export async function reportAccess(vault: Vault, report: Omit<AccessReport, 'device' | 'at'> & { at?: number }, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const full: AccessReport = { action: report.action, secrets: [...report.secrets], environment: report.environment, at: report.at ?? Date.now(), device: vault.session.profile.profileId };
  const waiting = await takePending(vault);
  try {
    return await connect(vault, async (client, state) => {
      const read = await readScope(vault, client, state);
      let myHead = read.myHead;
      while (waiting.length) {
        myHead = await append(vault, client, state, myHead, waiting[0]!);
        waiting.shift();
      }
      if (!read.log.policy.actions.includes(full.action)) return false;
      await append(vault, client, state, myHead, encodeReport(vault.session.suite, state, full));
      return true;
    }, opts.timeoutMs);
  } catch (e) {
    const state = vault.membership?.state;
    if (isTesseraError(e, 'RELAY_UNREACHABLE') && state) waiting.push(encodeReport(vault.session.suite, state, full));
    if (waiting.length) await putPending(vault, waiting);
    throw e;
  }
}

/** Takes the queued reports (a rename first, so two processes do not both send them). */
async function takePending(vault: Vault): Promise<Uint8Array[]> {
  const path = pendingPath(vault.session.home, vault.id);
  const taken = `${path}.${toHex(vault.session.suite.randomBytes(6))}`;
  try {
    await fs.rename(path, taken);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const raw = await fs.readFile(taken, 'utf8');
  await fs.rm(taken, { force: true });
  return raw.split('\n').filter(Boolean).map((l) => new Uint8Array(Buffer.from(l, 'base64')));
}

async function putPending(vault: Vault, records: readonly Uint8Array[]): Promise<void> {
  await fs.appendFile(pendingPath(vault.session.home, vault.id), records.map((r) => Buffer.from(r).toString('base64') + '\n').join(''), { mode: 0o600 });
}

/** For each exposed value: when the removed member last revealed, copied or exported it, as they reported. */
export interface ExposureAccess {
  readonly name: string;
  readonly environment: string;
  readonly revealedAt?: number;
  readonly copiedAt?: number;
  readonly exportedAt?: number;
}

export function exposureAccess(exposure: Exposure, entries: readonly AccessEntry[]): ExposureAccess[] {
  const theirs = entries.filter((e) => e.fingerprint === exposure.fingerprint);
  const last = (name: string, env: string, action: AccessAction) => {
    const times = theirs.filter((e) => e.action === action && e.environment === env && e.secrets.includes(name)).map((e) => e.at);
    return times.length ? Math.max(...times) : undefined;
  };
  return exposure.items.map((i) => {
    const out: { -readonly [K in keyof ExposureAccess]: ExposureAccess[K] } = { name: i.name, environment: i.environment };
    const revealed = last(i.name, i.environment, 'reveal');
    const copied = last(i.name, i.environment, 'copy');
    const exported = last(i.name, i.environment, 'export');
    if (revealed !== undefined) out.revealedAt = revealed;
    if (copied !== undefined) out.copiedAt = copied;
    if (exported !== undefined) out.exportedAt = exported;
    return out;
  });
}
