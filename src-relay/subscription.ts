/**
 * One socket's subscription to one vault: backfill from the client's cursors, then live.
 *
 * Backfill reads the store page by page while other sockets keep pushing, so live deliveries
 * that arrive meanwhile are held back and merged at the end: the client sees every sequence
 * number of a scope once, in order, with `synced` between the backfill and the live stream.
 * A snapshot pushed during the backfill may prune envelopes the backfill has not read yet;
 * then the snapshot is delivered (it covers them) and the backfill goes on after it.
 *
 * Live, the client gets each scope's sequence numbers once and in order too. With several
 * relay processes on one database, deliveries come both from this process's writer and from
 * other processes' notices (remote-feed.ts), which may arrive late or not at all: anything the
 * client has already is dropped, and a jump past what it has is a gap, which the subscription
 * fills by reading the store (as a backfill of that scope) before it sends on.
 */
import { toHex } from '../src-shared/crypto/bytes';
import { encodeRelayMessage, type Cursor } from '../src-shared/protocol/messages';
import { encodeRun, splitRuns } from './runs';
import type { RelayStorage, ScopeState } from './storage';

/** What a subscription needs from its socket. */
export interface Outbox {
  /** False once the socket is closing or the relay is shutting down. */
  readonly open: boolean;
  /** The client reads `deliver-run` frames (it negotiated them). */
  readonly takesRuns: boolean;
  /** The largest frame the relay sends: runs are cut to fit. */
  readonly maxFrameBytes: number;
  /** Sends now; drops the socket if it is too far behind (it resumes with its cursors). */
  sendLive(frame: Uint8Array): void;
  /** Sends, and when much is already queued for the socket waits until this frame is out. */
  sendPaced(frame: Uint8Array): Promise<void>;
  /** Drops the socket so that the client resubscribes from its cursors. */
  resubscribe(reason: string): void;
}

/** Consecutive envelopes of one scope, stored together, as one frame (runs.ts). */
export interface Run {
  readonly scopeId: Uint8Array;
  readonly scopeKey: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Encoded once, on first use, for every subscriber that takes it whole. */
  frame(): Uint8Array;
}

interface Held {
  readonly scopeKey: string;
  readonly scopeId: Uint8Array;
  readonly seq: number;
  /** Null when the client has it already: its own push, answered with an ack. */
  readonly frame: Uint8Array | null;
}

const PAGE = { count: 256, bytes: 4 * 1024 * 1024 };
// Live deliveries held during one backfill: past this, drop them and read the store again.
const MAX_HELD = 4096;
// Passes over the vault before giving up on catching a scope that moves faster than we read.
const MAX_PASSES = 16;

export class Subscription {
  readonly key: string;
  private live = false;
  private cancelled = false;
  /** Highest seq the client has, per scope: from its cursor, then from what we sent. */
  private readonly has = new Map<string, number>();
  /** Highest seq the relay holds, per scope, as far as this subscription has seen. */
  private readonly heads = new Map<string, Cursor>();
  private held: Held[] = [];
  private heldBytes = 0;
  private overflowed = false;
  /** Live scopes being read from the store to fill a gap, with the deliveries held meanwhile. */
  private readonly repairing = new Map<string, Held[]>();

  constructor(
    readonly vaultId: Uint8Array,
    cursors: readonly Cursor[],
    private readonly storage: RelayStorage,
    private readonly outbox: Outbox,
    private readonly maxHeldBytes: number,
    private readonly page: { count: number; bytes: number } = PAGE,
  ) {
    this.key = toHex(vaultId);
    for (const c of cursors) this.has.set(toHex(c.scopeId), c.since);
  }

  /** True once `synced` is sent: deliveries go straight out. */
  get isLive(): boolean {
    return this.live;
  }

  cancel(): void {
    this.cancelled = true;
    this.held = [];
    this.repairing.clear();
  }

  /**
   * A new envelope of this vault, already encoded as a `deliver` frame; null when the client
   * pushed it itself (it has the ack), which still moves the subscription past its seq.
   */
  offer(scopeId: Uint8Array, scopeKey: string, seq: number, frame: Uint8Array | null): void {
    if (this.cancelled) return;
    if (this.live) {
      this.offerLive({ scopeId, scopeKey, seq, frame });
      return;
    }
    if (frame === null) return; // during a backfill the store has it, and the backfill reads it
    if (this.overflowed) return;
    if (this.held.length >= MAX_HELD || this.heldBytes + frame.length > this.maxHeldBytes) {
      this.overflowed = true;
      this.held = [];
      this.heldBytes = 0;
      return;
    }
    this.held.push({ scopeId, scopeKey, seq, frame });
    this.heldBytes += frame.length;
  }

  /**
   * Delivers what the client lacks, then `synced`, then goes live. Resolves false when it
   * could not catch up (the caller drops the socket; the client resumes with its cursors).
   */
  async backfill(requestId: number): Promise<boolean> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      for (const scope of await this.storage.scopes(this.vaultId)) {
        this.noteHead(scope.scopeId, toHex(scope.scopeId), scope.lastSeq);
        await this.backfillScope(scope.scopeId);
        if (!this.running) return true;
      }
      // From here to going live nothing awaits, so no delivery can slip in between.
      if (!this.running) return true;
      if (this.releaseHeld()) {
        this.live = true;
        const heads = [...this.heads.values()];
        this.outbox.sendLive(encodeRelayMessage({ type: 'synced', requestId, vaultId: this.vaultId, heads }));
        return true;
      }
    }
    return false;
  }

  /**
   * Looks for what the store holds past what the client has, in every scope, and fills it:
   * after this process may have missed deliveries of other relay processes (its notice
   * connection to the database dropped). `scopes`: the vault's, read once for all its subscriptions.
   */
  catchUp(scopes: readonly ScopeState[]): void {
    if (!this.live || !this.running) return;
    for (const scope of scopes) {
      const scopeKey = toHex(scope.scopeId);
      if (scope.lastSeq > (this.has.get(scopeKey) ?? 0) && !this.repairing.has(scopeKey)) {
        this.repairing.set(scopeKey, []);
        void this.repair(scope.scopeId, scopeKey);
      }
    }
  }

  /**
   * Sends the whole run in one frame when the client is live on its scope and has everything
   * before it. False otherwise: then each envelope is offered on its own (offer), which holds,
   * drops or repairs as it needs.
   */
  offerRun(run: Run): boolean {
    if (this.cancelled || !this.live || !this.outbox.takesRuns || this.repairing.has(run.scopeKey)) return false;
    if ((this.has.get(run.scopeKey) ?? 0) !== run.firstSeq - 1) return false;
    this.outbox.sendLive(run.frame());
    this.has.set(run.scopeKey, run.lastSeq);
    this.noteHead(run.scopeId, run.scopeKey, run.lastSeq);
    return true;
  }

  private offerLive(h: Held): void {
    const waiting = this.repairing.get(h.scopeKey);
    if (waiting) {
      if (waiting.length >= MAX_HELD) {
        this.cancel();
        this.outbox.resubscribe('fell behind while catching up: resubscribe');
      } else waiting.push(h);
      return;
    }
    const has = this.has.get(h.scopeKey) ?? 0;
    if (h.seq <= has) return; // sent already (by the backfill, or by another process's notice)
    if (h.seq === has + 1) {
      this.sendHeld(h);
      return;
    }
    // Another relay process stored what comes between, and its notice is not here yet.
    this.repairing.set(h.scopeKey, [h]);
    void this.repair(h.scopeId, h.scopeKey);
  }

  private sendHeld(h: Held): void {
    if (h.frame) this.outbox.sendLive(h.frame);
    this.has.set(h.scopeKey, h.seq);
    this.noteHead(h.scopeId, h.scopeKey, h.seq);
  }

  /** Reads one live scope's gap from the store, then sends on with what was held meanwhile. */
  private async repair(scopeId: Uint8Array, scopeKey: string): Promise<void> {
    try {
      for (let pass = 0; pass < MAX_PASSES && this.running; pass++) {
        await this.backfillScope(scopeId);
        if (!this.running) return;
        const left = this.release(this.repairing.get(scopeKey) ?? []);
        // From the check to here nothing awaits: no delivery can slip past the held ones.
        if (left.length === 0) {
          this.repairing.delete(scopeKey);
          return;
        }
        this.repairing.set(scopeKey, left);
      }
      if (this.running) throw new Error('no progress');
    } catch {
      // The store did not answer, or the gap would not fill: the client resumes from its cursors.
      if (this.running) {
        this.cancel();
        this.outbox.resubscribe('could not catch up: resubscribe');
      }
    }
  }

  private get running(): boolean {
    return !this.cancelled && this.outbox.open;
  }

  private noteHead(scopeId: Uint8Array, scopeKey: string, seq: number): void {
    const known = this.heads.get(scopeKey);
    if (!known || known.since < seq) this.heads.set(scopeKey, { scopeId, since: seq });
  }

  private async backfillScope(scopeId: Uint8Array): Promise<void> {
    const scopeKey = toHex(scopeId);
    let has = this.has.get(scopeKey) ?? 0;
    /** Sends a frame that brings the client up to `seq`. */
    const deliver = async (frame: Uint8Array, seq: number): Promise<void> => {
      await this.outbox.sendPaced(frame);
      has = seq;
      this.has.set(scopeKey, seq);
      this.noteHead(scopeId, scopeKey, seq);
    };
    let recheckedSnapshot = false;
    while (this.running) {
      const snapshot = await this.storage.latestSnapshot(this.vaultId, scopeId);
      if (snapshot && snapshot.covers > has) {
        await deliver(encodeRelayMessage({ type: 'deliver', vaultId: this.vaultId, scopeId, seq: snapshot.covers, envelope: snapshot.bytes }), snapshot.covers);
        continue;
      }
      const page = await this.storage.envelopesAfter(this.vaultId, scopeId, has, this.page);
      if (page.length === 0) return;
      // A gap right after what the client has means a snapshot pruned it since we looked;
      // look once more. (A gap the snapshot does not explain cannot be filled: go on.)
      if (page[0]!.seq !== has + 1 && !recheckedSnapshot) {
        recheckedSnapshot = true;
        continue;
      }
      recheckedSnapshot = false;
      for (const run of this.outbox.takesRuns ? splitRuns(page, this.outbox.maxFrameBytes) : page.map((e) => [e])) {
        if (!this.running) return;
        await deliver(encodeRun(this.vaultId, scopeId, run), run.at(-1)!.seq);
      }
    }
  }

  /** Sends held deliveries that follow on from what the client has; false on a gap. */
  private releaseHeld(): boolean {
    const complete = !this.overflowed;
    const left = this.release(this.held);
    this.held = [];
    this.heldBytes = 0;
    this.overflowed = false;
    return complete && left.length === 0;
  }

  /**
   * Sends, in seq order, the held deliveries that follow on from what the client has, up to
   * the first gap, and returns those from the gap on. In order, because deliveries from
   * other relay processes may come in out of order; a jump means one is still unread, since
   * envelopes of one scope are delivered in order.
   */
  private release(held: Held[]): Held[] {
    const left: Held[] = [];
    for (const h of held.sort((a, z) => a.seq - z.seq)) {
      const has = this.has.get(h.scopeKey) ?? 0;
      if (h.seq <= has) continue;
      if (h.seq === has + 1 && left.length === 0) this.sendHeld(h);
      else left.push(h);
    }
    return left;
  }
}
