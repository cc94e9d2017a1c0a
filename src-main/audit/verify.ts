/**
 * Checks a whole audit log: every record's link to the one before, every event's seal,
 * every checkpoint's signature, and the end of the chain against the head file. Stops at
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

export function verifyLog(buf: Uint8Array, head: Head | null | 'damaged', keys: VerifyKeys): VerifyResult {
  let prev = genesisHash(keys.profileId);
  let seq = 0;
  let events = 0;
  let checkpoints = 0;
  let pos = 0;
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
    if (!equalBytes(r.prevHash, prev)) return fail('edited', `record #${seq} does not follow the record before it (one of them was replaced)`);
    if (r.type === 'event') {
      if (openEventBody(keys.suite, keys.sealKey, r.body) === null) return fail('edited', `event #${seq} was changed: its seal does not open`);
      events++;
    } else {
      const { at, signature } = checkpointParts(r.body);
      if (!keys.suite.ed25519.verify(checkpointMessage(keys.profileId, seq, prev, at), signature, keys.signPublicKey)) {
        return fail('edited', `checkpoint #${seq} was changed: its signature does not verify`);
      }
      checkpoints++;
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
    return fail('edited', `record #${head.count - 1} is not the one the head file recorded`, pos, head.count - 1);
  }
  if (head.broken) {
    const what = head.broken.reason === 'truncated' ? `the log was cut at record #${head.broken.at}` : 'the head file was removed or changed';
    return { ...fail(head.broken.reason, `${what} (found by a later append; the records after it are intact)`, pos, head.broken.at), records: seq };
  }
  return { ok: true, records: seq, events, checkpoints, tornTail: pos < buf.length };
}
