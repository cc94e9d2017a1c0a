/**
 * What a client checks in what the relay hands it about the membership log. The relay can
 * drop, delay, reorder and replay, show two clients two histories, or keep a removal from
 * one of them; it cannot sign. So:
 *
 * - FORK:   the relay's entry at a seq we hold differs from ours (two entries after one
 *           head), or its entries do not chain: two histories exist. Refused, loudly.
 * - REPLAY: an entry shown at a place that is not its own (its signed seq says otherwise),
 *           or, in applyEntry, an entry at or below our head.
 * - GAP:    entries missing between our head and what the relay sent.
 * - behind: a later head exists than ours (seen in a relay answer, or later in anything that
 *           names a head): the client says so instead of acting on a stale membership.
 *           This is how withholding shows, once the client sees any later head.
 */
import { equalBytes } from '../crypto/bytes';
import type { PublicIdentity } from '../crypto/identity';
import type { CryptoSuite } from '../crypto/suite';
import { TesseraError } from '../errors';
import { applyEntry, verifyChain } from './chain';
import { decodeEntry, entryHash, readEntry, type MembershipEntry } from './entry';
import { refuse } from './refusal';
import type { LogHead } from './state';

export type HeadComparison = 'same' | 'behind' | 'ahead';

/**
 * Our head against one seen elsewhere: 'behind' when the other is later (we lack entries),
 * 'ahead' when earlier. Throws TAMPERED (FORK) for two different heads at one seq.
 */
export function compareHeads(local: LogHead, remote: LogHead): HeadComparison {
  if (remote.seq > local.seq) return 'behind';
  if (remote.seq < local.seq) return 'ahead';
  if (!equalBytes(local.hash, remote.hash)) refuse('FORK', `Two different membership entries at ${local.seq}`, { seq: local.seq });
  return 'same';
}

export type ChainComparison =
  | { readonly status: 'same' }
  /** The relay has later entries: apply `missing` in order (applyEntry verifies each). */
  | { readonly status: 'behind'; readonly missing: readonly Uint8Array[] }
  /** The relay lacks our later entries (lost, or withheld from others): push them again. */
  | { readonly status: 'ahead'; readonly remoteHead: LogHead };

/**
 * Compares our verified chain (`local`, from the genesis) with a run of consecutive entries
 * from the relay (`remote`, from any seq up to and including the relay's head; ask from our
 * own head so the run overlaps it). Throws TAMPERED (FORK, REPLAY, GAP, WRONG_VAULT,
 * BAD_SIGNATURE, MALFORMED, GENESIS_MISMATCH), or the rule an offending entry breaks.
 */
export function compareChains(suite: CryptoSuite, local: readonly Uint8Array[], remote: readonly Uint8Array[]): ChainComparison {
  const localGenesis = local[0];
  if (!localGenesis) throw new TesseraError('INVALID_INPUT', 'Our own membership log is empty');
  if (remote.length === 0) throw new TesseraError('INVALID_INPUT', 'The relay’s run must include at least its head');
  const vaultId = decodeEntry(localGenesis).vaultId;
  const headSeq = local.length - 1;
  const entries = remote.map((bytes) => readEntry(suite, bytes));
  const first = entries[0]!.seq;
  entries.forEach((e, i) => {
    if (!equalBytes(e.vaultId, vaultId)) refuse('WRONG_VAULT', 'The relay sent a membership entry of another vault', { seq: e.seq });
    if (e.seq < first + i) refuse('REPLAY', `Membership entry ${e.seq} was shown again at ${first + i}`, { seq: e.seq });
    if (e.seq > first + i) refuse('GAP', `Membership entries ${first + i}…${e.seq - 1} are missing`, { seq: first + i });
    if (i > 0 && !equalBytes(e.prevHash, entryHash(remote[i - 1]!))) refuse('FORK', `Membership entry ${e.seq} extends another history`, { seq: e.seq });
  });
  if (first > headSeq + 1) refuse('GAP', `Membership entries ${headSeq + 1}…${first - 1} are missing`, { seq: headSeq + 1 });
  for (const [i, e] of entries.entries()) {
    if (e.seq > headSeq) break;
    if (!equalBytes(remote[i]!, local[e.seq]!)) divergence(suite, local, e);
  }
  const last = entries[entries.length - 1]!;
  if (last.seq === headSeq) return { status: 'same' };
  if (last.seq < headSeq) return { status: 'ahead', remoteHead: { seq: last.seq, hash: entryHash(last.bytes) } };
  const missing = entries.filter((e) => e.seq > headSeq);
  if (!equalBytes(missing[0]!.prevHash, entryHash(local[headSeq]!))) {
    refuse('FORK', `Membership entry ${headSeq + 1} extends another history than ours`, { seq: headSeq + 1 });
  }
  return { status: 'behind', missing: missing.map((e) => e.bytes) };
}

/** The relay's entry at a seq we hold differs from ours. Never returns. */
function divergence(suite: CryptoSuite, local: readonly Uint8Array[], theirs: MembershipEntry): never {
  const seq = theirs.seq;
  if (seq === 0) return refuse('GENESIS_MISMATCH', 'The relay shows another genesis for this vault');
  if (equalBytes(theirs.prevHash, entryHash(local[seq - 1]!))) {
    // A sibling of our entry: if it breaks the rules, that is the clearer error; if it is
    // valid, two entries were accepted after one head, which only a lying relay does.
    const before = verifyChain(suite, entryHash(local[0]!), local.slice(0, seq));
    applyEntry(suite, before, theirs.bytes);
  }
  return refuse('FORK', `The relay shows another membership entry at ${seq} than the one we hold`, { seq });
}

/**
 * For a joiner: the add entry that answers their invite must name exactly their own keys.
 * Throws TAMPERED (KEY_MISMATCH) when it names other keys (someone, say the relay, answered
 * the invite with theirs), INVALID_INPUT when the entry is not an add for `inviteId`.
 */
export function checkJoinerKeys(entry: MembershipEntry, expected: PublicIdentity, inviteId?: Uint8Array): void {
  const body = entry.body;
  if (body.kind !== 'add') throw new TesseraError('INVALID_INPUT', 'Not an add entry');
  if (inviteId && !(body.inviteId && equalBytes(body.inviteId, inviteId))) {
    throw new TesseraError('INVALID_INPUT', 'This add entry does not answer that invite');
  }
  const same = equalBytes(body.member.signPublicKey, expected.signPublicKey) && equalBytes(body.member.boxPublicKey, expected.boxPublicKey);
  if (!same) refuse('KEY_MISMATCH', 'The vault added other keys than yours for this invite: do not trust this vault until you and the inviter compare fingerprints');
}
