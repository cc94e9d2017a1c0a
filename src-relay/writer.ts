/**
 * Group commit: the one place where checked pushes are stored, one round at a time. A round
 * takes the pushes waiting at that moment, in the order their sockets handed them over, and
 * stores them in one transaction (push.ts: applyRound), so pipelined pushes share one fsync
 * instead of paying one each. A push settles, and so is acked, only after its round's
 * transaction is durable; the round's stored pushes are fanned out together, in sequence
 * order, right after it (so that a scope's subscribers get them as one run: runs.ts).
 *
 * One writer for the whole relay rather than one per scope: with SQLite every transaction goes
 * through one connection anyway, and one fsync then covers the pushes of every scope.
 */
import type { Envelope } from '../src-shared/envelope/envelope';
import { RelayFailure } from './access';
import { applyRound, type PushOutcome, type RoundResult } from './push';
import type { Quotas, RelayStorage } from './storage';

export type StoredPush = Extract<PushOutcome, { kind: 'stored' }>;

// Rounds in which another relay process moved a push's head before it could be stored: a few
// settle any race, more would mean something is wrong.
const APPEND_ATTEMPTS = 3;
// One round's pushes: a transaction holds the event loop while it writes and fsyncs, so even a
// flood of big envelopes leaves other sockets waiting a few milliseconds at most per round.
const ROUND_COUNT = 256;
const ROUND_BYTES = 16 * 1024 * 1024;

interface Waiting<From> {
  readonly env: Envelope;
  readonly from: From;
  attempts: number;
  resolve(outcome: PushOutcome): void;
  reject(error: unknown): void;
}

export class PushWriter<From> {
  private waiting: Waiting<From>[] = [];
  private busy = false;

  /**
   * `stored` runs once a round, with the round's newly stored pushes in sequence order, before
   * their submits settle; it must not throw.
   */
  constructor(
    private readonly storage: RelayStorage,
    private readonly quotas: Quotas,
    private readonly stored: (pushes: readonly { readonly push: StoredPush; readonly from: From }[]) => void,
    /** Told how long each round's storing took, in milliseconds. */
    private readonly timed: (ms: number) => void = () => undefined,
  ) {}

  /**
   * Queues a checked envelope behind every one submitted before it. Resolves once it is durable
   * (or was already); rejects with RelayFailure when a chain or epoch check refuses it, or with
   * the storage's error.
   */
  submit(env: Envelope, from: From): Promise<PushOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ env, from, attempts: 0, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    // On the event loop's next turn rather than now: signature checks coming back from the
    // thread pool in the meantime join this round instead of each starting one of their own.
    setImmediate(() => void this.round());
  }

  private async round(): Promise<void> {
    const batch = this.take();
    let results: RoundResult[];
    const started = performance.now();
    try {
      results = await applyRound(this.storage, batch.map((w) => w.env), this.quotas);
    } catch (error) {
      results = batch.map(() => ({ kind: 'refused', error }));
    }
    this.timed(performance.now() - started);
    const stored: { push: StoredPush; from: From }[] = [];
    results.forEach((r, i) => {
      if (r.kind === 'done' && r.outcome.kind === 'stored') stored.push({ push: r.outcome, from: batch[i]!.from });
    });
    if (stored.length > 0) this.stored(stored);
    const again: Waiting<From>[] = [];
    results.forEach((r, i) => {
      const w = batch[i]!;
      if (r.kind === 'done') w.resolve(r.outcome);
      else if (r.kind === 'refused') w.reject(r.error);
      else if (++w.attempts < APPEND_ATTEMPTS) again.push(w);
      else w.reject(new RelayFailure('INTERNAL', 'The scope kept changing; try again'));
    });
    // Ahead of anything submitted since: a socket's pushes are stored in the order it sent them.
    this.waiting = [...again, ...batch.slice(results.length), ...this.waiting];
    this.busy = false;
    this.schedule();
  }

  private take(): Waiting<From>[] {
    let n = 0;
    let bytes = 0;
    for (const w of this.waiting) {
      bytes += w.env.bytes.length;
      if (n > 0 && (n >= ROUND_COUNT || bytes > ROUND_BYTES)) break;
      n++;
    }
    return this.waiting.splice(0, n);
  }
}
