/**
 * The scope keys one member can recover from a verified membership log: every key wrapped
 * to their box key, then, for each scope, older epochs through the history chain (each
 * rotation seals epoch n under epoch n + 1). So a member holding a scope's current key
 * holds all of its history, and a removed member keeps exactly what they held: the keys
 * of later epochs were never wrapped to them.
 *
 * A new member is granted only the current epochs; the history chain then gives them the
 * older ones too. That is deliberate: the Yjs state they must read carries the scope's
 * whole history anyway, and envelopes and snapshots sealed under older epochs stay on the
 * relay until compacted.
 */
import { equalBytes, fromHex, toHex } from '../crypto/bytes';
import type { CryptoSuite } from '../crypto/suite';
import { TesseraError } from '../errors';
import { decodeEntry, entryHash, type WrappedKey } from './entry';
import type { Member, MembershipState } from './state';
import { openEnvironmentName, openHistory, openName, unwrapKey } from './wrap';

/** Scope id (hex) → epoch → 32-byte key: the keyring's shape. */
export type ScopeKeys = Map<string, Map<number, Uint8Array>>;

export interface MemberSecrets {
  readonly signPublicKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
}

/**
 * Every scope key `me` may hold, from `entries` (the chain `state` was verified from).
 * Throws INVALID_INPUT when the entries are not that chain or the box key is not the one
 * the chain names for `me`; TAMPERED (BAD_WRAP) when a key addressed to `me` does not open.
 */
export function keysFor(suite: CryptoSuite, state: MembershipState, entries: readonly Uint8Array[], me: MemberSecrets): ScopeKeys {
  // The hashes link every entry to the head that was verified, so these are those bytes.
  const hashes = entries.map(entryHash);
  const linked =
    entries.length === state.head.seq + 1 &&
    equalBytes(hashes[0]!, state.genesisHash) &&
    equalBytes(hashes[hashes.length - 1]!, state.head.hash);
  if (!linked) throw new TesseraError('INVALID_INPUT', 'These membership entries are not the chain this state was verified from');
  const member = state.members.get(toHex(me.signPublicKey));
  const myBox = suite.box.publicKeyFromSecret(me.boxSecretKey);
  if (!member || !equalBytes(member.identity.boxPublicKey, myBox)) {
    throw new TesseraError('NO_ACCESS', 'This key pair is not a member of the vault', { reason: 'UNKNOWN_MEMBER' });
  }
  const keys: ScopeKeys = new Map();
  const history = new Map<string, Map<number, Uint8Array>>(); // scope → epoch → sealed previous key
  for (const [i, bytes] of entries.entries()) {
    const entry = decodeEntry(bytes);
    if (i > 0 && !equalBytes(entry.prevHash, hashes[i - 1]!)) {
      throw new TesseraError('INVALID_INPUT', 'These membership entries are not the chain this state was verified from');
    }
    const body = entry.body;
    const wraps: WrappedKey[] = [];
    if ('grants' in body) wraps.push(...body.grants);
    if ('rotation' in body) {
      for (const r of body.rotation) {
        const scope = toHex(r.scopeId);
        if (!history.has(scope)) history.set(scope, new Map());
        history.get(scope)!.set(r.epoch, r.history);
        wraps.push(...r.wraps);
      }
    }
    for (const w of wraps) {
      if (!equalBytes(w.recipient, myBox)) continue;
      const ctx = { vaultId: state.vaultId, scopeId: w.scopeId, epoch: w.epoch };
      const scope = toHex(w.scopeId);
      if (!keys.has(scope)) keys.set(scope, new Map());
      keys.get(scope)!.set(w.epoch, unwrapKey(suite, w.wrapped, me.boxSecretKey, ctx, myBox));
    }
  }
  for (const [scope, epochs] of keys) {
    const sealed = history.get(scope);
    if (!sealed) continue;
    const scopeId = fromHex(scope);
    // Walk down from the newest key held: each history key opens the epoch before it.
    const newest = Math.max(...epochs.keys());
    for (let epoch = newest; epoch > 1; epoch--) {
      const key = epochs.get(epoch);
      const previous = sealed.get(epoch);
      if (!key || !previous || epochs.has(epoch - 1)) continue;
      epochs.set(epoch - 1, openHistory(suite, previous, key, { vaultId: state.vaultId, scopeId, epoch: epoch - 1 }));
    }
  }
  return keys;
}

/**
 * A member's display name, opened with the meta keys the caller holds. Undefined when the
 * caller lacks that epoch's meta key; throws TAMPERED (BAD_WRAP) when it does not open.
 */
export function memberName(suite: CryptoSuite, state: MembershipState, member: Member, metaKeys: ReadonlyMap<number, Uint8Array>): string | undefined {
  const key = metaKeys.get(member.nameEpoch);
  if (!key) return undefined;
  const scopeId = fromHex(state.metaScope);
  // A device carries its person's name, sealed (and bound) to the person's first key.
  const owner = member.device ? fromHex(member.device.person) : member.identity.signPublicKey;
  return openName(suite, member.sealedName, key, { vaultId: state.vaultId, scopeId, epoch: member.nameEpoch }, owner);
}

/** A device's own name ("laptop"), or undefined for a person's first device (it has none in the log) or without that meta key. */
export function deviceName(suite: CryptoSuite, state: MembershipState, member: Member, metaKeys: ReadonlyMap<number, Uint8Array>): string | undefined {
  const key = member.device && metaKeys.get(member.device.nameEpoch);
  if (!member.device || !key) return undefined;
  const ctx = { vaultId: state.vaultId, scopeId: fromHex(state.metaScope), epoch: member.device.nameEpoch };
  return openName(suite, member.device.sealedName, key, ctx, member.identity.signPublicKey);
}

/**
 * The environments' names as the log binds them, in display order; undefined when the log
 * binds none yet (a vault shared before names were bound) or the caller lacks that meta key.
 * Throws TAMPERED (BAD_WRAP) when one does not open for its scope.
 */
export function environmentNames(
  suite: CryptoSuite,
  state: MembershipState,
  metaKeys: ReadonlyMap<number, Uint8Array>,
): { readonly scopeId: string; readonly name: string }[] | undefined {
  const bound = state.environmentNames;
  const key = bound && metaKeys.get(bound.epoch);
  if (!bound || !key) return undefined;
  const ctx = { vaultId: state.vaultId, scopeId: fromHex(state.metaScope), epoch: bound.epoch };
  return bound.names.map((n) => ({ scopeId: n.scopeId, name: openEnvironmentName(suite, n.sealedName, key, ctx, fromHex(n.scopeId)) }));
}
