/**
 * Checks a whole audit log: every record's link to the one before, every checkpoint's
 * signature, and the end of the chain against the head file (and so every byte of it). Stops at
 * the first broken link and names it, in the words a user would use for what was done to
 * the file: an event edited, deleted, moved, or the end cut off.
 */
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { equalBytes } from '../../src-shared/crypto/bytes';
import type { Head } from './head';
import { checkpointMessage, checkpointParts, genesisHash, hashBody, nextRecordStart, openEventBody, recordAt } from './records';

export type BrokenReason =
  /** A record's bytes changed (its seal or signature no longer checks out). */
  | 'edited'
  /** Records are missing from the middle. */
  | 'deleted'
  /** Records are out of order (or one appears twice). */
  | 'reordered'
  /** The end of the log is missing (the head file records more). */
  | 'truncated'
  /** Bytes that are no record. */
  | 'damaged'
  /** The head file is missing or does not authenticate. */
  | 'head';

export interface BrokenLink {
  /** The seq of the first record that is not as it should be. */
  readonly seq: number;
  /** Byte offset in the log file where the walk found it. */
  readonly offset: number;
  readonly reason: BrokenReason;
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Records that check out before the first break (all of them when ok). */
  readonly records: number;
  readonly events: number;
  readonly checkpoints: number;
  /** Set when !ok. */
  readonly broken?: BrokenLink;
  /** A partial record at the end, left by an append a crash interrupted (not a break: the head never covered it). */
  readonly tornTail: boolean;
}

export interface VerifyKeys {
  readonly suite: CryptoSuite;
  readonly sealKey: Uint8Array;
  readonly profileId: string;
  readonly signPublicKey: Uint8Array;
}

/** Whether a record with `seq` appears anywhere from `from` on (to tell a move from a deletion). */
function seqAppearsFrom(buf: Uint8Array, from: number, seq: number): boolean {
  let pos = from;
  while (pos < buf.length) {
    const r = recordAt(buf, pos);
    if (r.kind === 'record') {
      if (r.seq === seq) return true;
      pos = r.end;
    } else if (r.kind === 'tail') return false;
    else pos = nextRecordStart(buf, pos + 1);
  }
  return false;
}

/**
 * The first event from `from` up to `to` whose seal does not open, as a break. Checking every
 * seal costs more than the rest of verify together, so it runs only where a link, a
 * checkpoint or the head has already shown that something in this stretch changed.
 */
function firstBadSeal(buf: Uint8Array, from: number, to: number, keys: VerifyKeys): { seq: number; offset: number } | null {
  for (let pos = from; pos < to; ) {
    const r = recordAt(buf, pos);
    if (r.kind !== 'record') return null;
    if (r.type === 'event' && openEventBody(keys.suite, keys.sealKey, r.body) === null) return { seq: r.seq, offset: r.offset };
    pos = r.end;
  }
  return null;
}

/**
 * Walks the chain: each record's seq and link to the one before. The links are SHA-256 over
 * whole records, so a signed checkpoint vouches for every byte before it, and the head (under
 * an HMAC) for every byte up to the last record: an edit anywhere changes a hash that one of
 * them covers. Seals are opened only to name the edited event once something did not match.
 */
export function verifyLog(buf: Uint8Array, head: Head | null | 'damaged', keys: VerifyKeys): VerifyResult {
  let prev = genesisHash(keys.profileId);
  let seq = 0;
  let events = 0;
  let checkpoints = 0;
  let pos = 0;
  // Everything before this offset is vouched for by a checkpoint's signature.
  let attested = 0;
  let hashAtHead: Uint8Array | null = null;
  const headCount = head && head !== 'damaged' ? head.count : 0;
  const fail = (reason: BrokenReason, message: string, at = pos, brokenSeq = seq): VerifyResult => ({
    ok: false,
    records: Math.min(seq, brokenSeq),
    events,
    checkpoints,
    tornTail: false,
    broken: { seq: brokenSeq, offset: at, reason, message },
  });
  /** A hash did not match: name the edited event in the stretch not yet vouched for, if there is one. */
  const changed = (message: string, upTo: number, brokenSeq = seq): VerifyResult => {
    const bad = firstBadSeal(buf, attested, upTo, keys);
    return bad ? fail('edited', `event #${bad.seq} was changed: its seal does not open`, bad.offset, bad.seq) : fail('edited', message, pos, brokenSeq);
  };

  while (pos < buf.length) {
    const r = recordAt(buf, pos);
    if (r.kind === 'garbage') return fail('damaged', `the log holds bytes that are no record where record #${seq} should start`);
    if (r.kind === 'tail') {
      if (seq < headCount) return fail('truncated', `the log ends inside record #${seq}, but ${headCount} records were written`);
      break;
    }
    if (r.seq !== seq) {
      if (r.seq < seq) return fail('reordered', `record #${r.seq} appears again after #${seq - 1}`);
      return seqAppearsFrom(buf, r.end, seq)
        ? fail('reordered', `record #${seq} is out of place: #${r.seq} comes first`)
        : fail('deleted', r.seq === seq + 1 ? `record #${seq} was deleted` : `records #${seq} to #${r.seq - 1} were deleted`);
    }
    if (!equalBytes(r.prevHash, prev)) return changed(`record #${seq} does not follow the record before it (one of them was replaced)`, r.end);
    if (r.type === 'event') events++;
    else {
      const { at, signature } = checkpointParts(r.body);
      if (!keys.suite.ed25519.verify(checkpointMessage(keys.profileId, seq, prev, at), signature, keys.signPublicKey)) {
        return changed(`checkpoint #${seq} was changed: its signature does not verify`, r.offset);
      }
      checkpoints++;
      attested = r.end;
    }
    prev = hashBody(r.body);
    seq++;
    if (seq === headCount) hashAtHead = prev;
    pos = r.end;
  }

  if (head === 'damaged') return fail('head', 'the head file was changed: it does not authenticate');
  if (head === null) {
    return seq === 0 ? { ok: true, records: 0, events, checkpoints, tornTail: pos < buf.length } : fail('head', 'the head file is missing');
  }
  if (seq < head.count) {
    return fail('truncated', seq === head.count - 1 ? `record #${seq} (the last) was cut off` : `records #${seq} to #${head.count - 1} (the end of the log) were cut off`);
  }
  if (head.count > 0 && (!hashAtHead || !equalBytes(hashAtHead, head.lastHash))) {
    return changed(`record #${head.count - 1} is not the one the head file recorded`, pos, head.count - 1);
  }
  if (head.broken) {
    const what = head.broken.reason === 'truncated' ? `the log was cut at record #${head.broken.at}` : 'the head file was removed or changed';
    return { ...fail(head.broken.reason, `${what} (found by a later append; the records after it are intact)`, pos, head.broken.at), records: seq };
  }
  return { ok: true, records: seq, events, checkpoints, tornTail: pos < buf.length };
}
