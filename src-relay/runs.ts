/**
 * Runs: consecutive envelopes of one scope, sent to a client as one `deliver-run` frame
 * instead of a `deliver` frame each. A round of the writer stores many envelopes of a scope
 * at once, and a backfill reads them a page at a time; each of the scope's subscribers then
 * costs one frame per run, not one per envelope, on both sides of the socket.
 */
import { encodeRelayMessage, MAX_RUN_ENVELOPES } from '../src-shared/protocol/messages';

export interface Stored {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

// A run frame stays well under any frame limit a client sets, so that a slow reader's
// socket never holds more than about this much of one frame.
const RUN_BYTES = 1024 * 1024;
// A frame's own bytes besides the envelopes (type, two ids, seqs, count), and per envelope its length.
const FRAME_OVERHEAD = 64;
const PER_ENVELOPE = 5;

/**
 * Splits `items` (ascending seqs) into runs: consecutive seqs, at most `maxFrameBytes` (and
 * 1 MiB) per frame. An envelope too big to share a frame makes a run of its own.
 */
export function splitRuns<T extends Stored>(items: readonly T[], maxFrameBytes: number): T[][] {
  const budget = Math.min(RUN_BYTES, maxFrameBytes) - FRAME_OVERHEAD;
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.bytes.length + PER_ENVELOPE;
    const last = run.at(-1);
    if (last && (item.seq !== last.seq + 1 || bytes + size > budget || run.length >= MAX_RUN_ENVELOPES)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A run as one frame: a plain `deliver` when it holds one envelope (what every client reads). */
export function encodeRun(vaultId: Uint8Array, scopeId: Uint8Array, run: readonly Stored[]): Uint8Array {
  const first = run[0]!;
  if (run.length === 1) return encodeRelayMessage({ type: 'deliver', vaultId, scopeId, seq: first.seq, envelope: first.bytes });
  return encodeRelayMessage({ type: 'deliver-run', vaultId, scopeId, firstSeq: first.seq, envelopes: run.map((s) => s.bytes) });
}
