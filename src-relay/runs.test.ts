// Cutting a scope's envelopes into runs: every envelope once, in order, each run consecutive
// seqs that fit one frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRelayMessage, MAX_RUN_ENVELOPES } from '../src-shared/protocol/messages';
import { encodeRun, splitRuns } from './runs';

const id = new Uint8Array(16).fill(1);
const stored = (seq: number, size: number) => ({ seq, bytes: new Uint8Array(size).fill(seq % 251) });

/** Ascending seqs with gaps here and there, envelopes of any size up to `max`. */
const page = (max: number) =>
  fc.array(fc.record({ gap: fc.nat({ max: 3 }).map((g) => (g === 3 ? 2 : 0)), size: fc.nat({ max }) }), { maxLength: 120 }).map((xs) => {
    let seq = 0;
    return xs.map(({ gap, size }) => stored((seq += 1 + gap), size));
  });

describe('splitRuns', () => {
  it('keeps every envelope once and in order, in runs of consecutive seqs that each fit a frame', () => {
    fc.assert(
      fc.property(page(40_000), fc.integer({ min: 1024, max: 4 * 1024 * 1024 }), (items, maxFrameBytes) => {
        const runs = splitRuns(items, maxFrameBytes);
        expect(runs.flat()).toEqual(items);
        for (const run of runs) {
          expect(run.length).toBeGreaterThan(0);
          run.forEach((s, i) => i > 0 && expect(s.seq).toBe(run[i - 1]!.seq + 1));
          // A run of several fits the frame limit; one envelope alone is as big as it is.
          if (run.length > 1) expect(encodeRun(id, id, run).length).toBeLessThanOrEqual(Math.min(maxFrameBytes, 1024 * 1024));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('fills each frame: a run is cut where the next envelope would not fit', () => {
    const items = Array.from({ length: 100 }, (_, i) => stored(i + 1, 1000));
    const runs = splitRuns(items, 10_000);
    for (const run of runs) expect(encodeRun(id, id, run).length).toBeLessThanOrEqual(10_000);
    // Nine envelopes of 1,000 bytes fit in 10,000 with room to spare, ten do not.
    expect(runs.map((r) => r.length)).toEqual([...Array<number>(11).fill(9), 1]);
  });

  it('stops a run at the most envelopes a frame may carry', () => {
    const items = Array.from({ length: MAX_RUN_ENVELOPES + 10 }, (_, i) => stored(i + 1, 0));
    expect(splitRuns(items, 16 * 1024 * 1024).map((r) => r.length)).toEqual([MAX_RUN_ENVELOPES, 10]);
  });
});

describe('encodeRun', () => {
  it('sends one envelope as a plain deliver (every client reads it), several as a deliver-run', () => {
    expect(decodeRelayMessage(encodeRun(id, id, [stored(7, 3)]))).toEqual({ type: 'deliver', vaultId: id, scopeId: id, seq: 7, envelope: stored(7, 3).bytes });
    expect(decodeRelayMessage(encodeRun(id, id, [stored(7, 3), stored(8, 0)]))).toEqual({
      type: 'deliver-run',
      vaultId: id,
      scopeId: id,
      firstSeq: 7,
      envelopes: [stored(7, 3).bytes, stored(8, 0).bytes],
    });
  });
});
