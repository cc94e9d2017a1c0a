/**
 * The relay's half of the authorship rule (src-shared/membership/authorship.ts): it refuses
 * what every honest client would refuse, so that an honest relay never stores a change its
 * author could not have made at the membership head it names, and never appends a removal
 * whose pins it has already seen the removed member move past.
 */
import { equalBytes, toHex } from '../src-shared/crypto/bytes';
import { LEGACY_ENVELOPE_VERSION, type Envelope } from '../src-shared/envelope/envelope';
import { isTesseraError } from '../src-shared/errors';
import { isAccessScope } from '../src-shared/membership/access-log';
import { checkAuthorship } from '../src-shared/membership/authorship';
import { decodeEntry, entryHash } from '../src-shared/membership/entry';
import { RelayFailure } from './access';
import type { RelayStorage } from './storage';

/** Throws RelayFailure unless `env`'s author could write its scope at the head it names. */
export async function checkAuthorAtHead(storage: RelayStorage, env: Envelope): Promise<void> {
  const state = await storage.memberships.state(env.vaultId);
  if (!state) return; // a vault from before sharing: its registrant is its only member
  if (env.version === LEGACY_ENVELOPE_VERSION) {
    throw new RelayFailure('UNSUPPORTED_VERSION', 'Envelope format 1 names no membership head and is no longer accepted: update Tessera');
  }
  const seq = env.logHead.seq;
  let hash: Uint8Array | undefined;
  if (seq === state.head.seq) hash = state.head.hash;
  else if (seq < state.head.seq) {
    const [entry] = await storage.memberships.entries(env.vaultId, seq);
    hash = entry && entryHash(entry);
  }
  try {
    checkAuthorship(state, env, toHex(env.scopeId), { accessScope: isAccessScope(env.vaultId, env.scopeId), entryHash: (s) => (s === seq ? hash : undefined) });
  } catch (e) {
    if (!isTesseraError(e)) throw e;
    if (e.code === 'MEMBERSHIP_BEHIND') throw new RelayFailure('UNKNOWN_LOG_HEAD', `The envelope names membership entry ${seq}, which this relay does not have`);
    if (e.code === 'LOG_FORKED') throw new RelayFailure('UNKNOWN_LOG_HEAD', `The envelope names another membership entry ${seq} than this vault's`);
    throw new RelayFailure(e.details.reason === 'WRONG_EPOCH' ? 'STALE_EPOCH' : 'NO_WRITE_ACCESS', e.message);
  }
}

/**
 * A removal (or a device revocation) pins the member's (device's) last change in some scopes. If this relay already holds a later
 * one there (the member pushed after the remover last synced), refuse: the remover syncs and
 * builds the removal again, so that no change accepted here is lost to the pins.
 */
export async function checkRemovalPins(storage: RelayStorage, vaultId: Uint8Array, bytes: Uint8Array): Promise<void> {
  let body;
  try {
    body = decodeEntry(bytes).body;
  } catch {
    return; // not an entry: the membership fold refuses it with its reason
  }
  // A device revocation pins the device's last changes as a removal pins a member's.
  const pinned = body.kind === 'remove' ? body.member : body.kind === 'device-revoke' ? body.device : undefined;
  if (!pinned || !('lastChanges' in body) || !body.lastChanges) return;
  for (const pin of body.lastChanges) {
    const head = await storage.chainHead(vaultId, pin.scopeId, pinned);
    const same = head ? head.counter === pin.counter && equalBytes(head.hash, pin.hash) : pin.counter === 0;
    if (!same) {
      throw new RelayFailure('LAST_CHANGE_MOVED', `The member's last change in a scope is ${head?.counter ?? 0} here, not ${pin.counter}: sync and remove again`);
    }
  }
}
