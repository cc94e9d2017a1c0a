/**
 * Keeping a vault's membership log in step with the relay, and the keyring with the log.
 * The relay stores and serves the log but cannot forge it: every entry is verified from the
 * pinned genesis (applyEntry), and the last entry we hold is fetched again so that a relay
 * showing two histories is caught (LOG_FORKED).
 */
import { equalBytes, fromHex, toHex } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { applyEntry } from '../../src-shared/membership/chain';
import { keysFor } from '../../src-shared/membership/keys';
import type { MembershipState } from '../../src-shared/membership/state';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import type { RelayClient } from '../sync/relay-client';
import { writeVaultLog, type VaultLog } from './vault-log';

/** Fetches entries after ours; verifies, stores and returns the longer log (or ours). */
export async function pullLog(session: Session, client: RelayClient, vaultId: string, log: VaultLog): Promise<VaultLog> {
  let entries = [...log.entries];
  let state = log.state;
  for (let round = 0; round < 1000; round++) {
    const from = entries.length - 1; // one entry we hold, to compare
    const answer = await client.request({ type: 'log-fetch', vaultId: fromHex(vaultId), from }, 'log');
    const [overlap, ...fresh] = answer.entries;
    if (overlap && !equalBytes(overlap, entries[from]!)) {
      throw new TesseraError('LOG_FORKED', 'The relay shows another membership history than the one this device verified', { reason: 'FORK', seq: from });
    }
    if (answer.length < entries.length) {
      // Entries made here before the relay knew the vault (the genesis's environment names):
      // hand them over. Refused only if another entry took their place, which is a fork.
      await appendMissing(client, vaultId, entries, answer.length);
      break;
    }
    if (fresh.length === 0) break;
    for (const e of fresh) state = applyEntry(session.suite, state, e);
    entries = [...entries, ...fresh];
    if (entries.length >= answer.length) break;
  }
  if (entries.length === log.entries.length) return log;
  const next = { entries, state };
  await withProfileLock(session.home, () => saveLog(session, vaultId, next));
  return next;
}

async function appendMissing(client: RelayClient, vaultId: string, entries: readonly Uint8Array[], from: number): Promise<void> {
  for (let seq = Math.max(from, 1); seq < entries.length; seq++) {
    await client.request({ type: 'log-append', vaultId: fromHex(vaultId), entry: entries[seq]! }, 'logged');
  }
}

/** Appends an entry built on our head; the relay refuses it if someone else got there first. */
export async function pushEntry(session: Session, client: RelayClient, vaultId: string, log: VaultLog, entry: Uint8Array, state: MembershipState): Promise<VaultLog> {
  await client.request({ type: 'log-append', vaultId: fromHex(vaultId), entry }, 'logged');
  const next = { entries: [...log.entries, entry], state };
  await withProfileLock(session.home, () => saveLog(session, vaultId, next));
  return next;
}

/** Stores a verified, longer log and takes the keys it gives. Call with the profile lock held. */
export async function saveLog(session: Session, vaultId: string, log: VaultLog): Promise<void> {
  await writeVaultLog(session, vaultId, log.entries);
  await mergeKeys(session, vaultId, log);
}

/**
 * Adds to the keyring every scope key the log gives this member (new epochs after a
 * rotation, scopes newly granted). Keys are never removed here: history stays readable.
 */
export async function mergeKeys(session: Session, vaultId: string, log: VaultLog): Promise<void> {
  const me = { signPublicKey: session.signingKey.publicKey, boxSecretKey: session.keys.boxSecret };
  const mine = keysFor(session.suite, log.state, log.entries, me);
  await session.updateKeyring((k) => {
    const v = k.vaults.get(vaultId);
    const scopes = new Map(v?.scopes ?? []);
    for (const [scope, epochs] of mine) scopes.set(scope, new Map([...(scopes.get(scope) ?? []), ...epochs]));
    k.vaults.set(vaultId, { ...(v ?? {}), metaScope: log.state.metaScope, scopes, genesisHash: toHex(log.state.genesisHash) });
  });
}
