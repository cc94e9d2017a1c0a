/**
 * Deliveries that other relay processes stored: with several relays on one database, a push
 * accepted by relay A must reach the subscribers connected to relay B. A's commit sends a
 * notice (vault, scope, seq: storage.ts, Notice) and B reads the bytes from the store, so the
 * notice stays small and the store stays the one truth.
 *
 * Reads are per scope, one at a time: notices that come while one is running only raise how
 * far the next read goes, so a burst costs a few reads rather than one each. Whatever a read
 * misses (a notice lost, an envelope a snapshot pruned first) shows as a gap to the
 * subscriptions, which read the store themselves (subscription.ts).
 */
import { toHex } from '../src-shared/crypto/bytes';
import type { Notice, RelayStorage } from './storage';

type UpdateNotice = Extract<Notice, { kind: 'update' }>;

export interface RemoteDelivery {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  /** Ascending seqs: one read's page. */
  readonly envelopes: readonly { readonly seq: number; readonly bytes: Uint8Array }[];
  /** When the newest notice this read answers was committed (the database's clock, ms). */
  readonly at: number;
}

export interface RemoteFeedHooks {
  /** Whether this process has subscribers to the vault: nobody here, nothing to read. */
  wanted(vaultKey: string): boolean;
  deliver(d: RemoteDelivery): void;
  /** Reading failed: the vault's subscribers here may have missed deliveries. */
  failed(vaultKey: string): void;
}

interface Pending {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  /** The highest seq read so far. */
  fetched: number;
  /** The highest seq a notice named. */
  want: number;
  at: number;
}

const PAGE_BYTES = 4 * 1024 * 1024;
const PAGE_COUNT = 256;

export class RemoteFeed {
  /** Scopes being read now: at most one read each. */
  private readonly reading = new Map<string, Pending>();

  constructor(
    private readonly storage: RelayStorage,
    private readonly hooks: RemoteFeedHooks,
  ) {}

  notice(n: UpdateNotice): void {
    const vaultKey = toHex(n.vaultId);
    if (!this.hooks.wanted(vaultKey)) return;
    const key = `${vaultKey}:${toHex(n.scopeId)}`;
    const running = this.reading.get(key);
    if (running) {
      running.want = Math.max(running.want, n.seq);
      running.at = Math.max(running.at, n.at);
      return;
    }
    const pending: Pending = { vaultId: n.vaultId, scopeId: n.scopeId, fetched: n.seq - 1, want: n.seq, at: n.at };
    this.reading.set(key, pending);
    void this.read(key, vaultKey, pending);
  }

  private async read(key: string, vaultKey: string, p: Pending): Promise<void> {
    try {
      while (p.want > p.fetched && this.hooks.wanted(vaultKey)) {
        const page = await this.storage.envelopesAfter(p.vaultId, p.scopeId, p.fetched, { count: Math.min(PAGE_COUNT, p.want - p.fetched), bytes: PAGE_BYTES });
        if (page.length === 0) break; // pruned by a snapshot meanwhile: the subscriptions read it
        this.hooks.deliver({ vaultId: p.vaultId, scopeId: p.scopeId, envelopes: page, at: p.at });
        p.fetched = page.at(-1)!.seq;
      }
    } catch {
      this.hooks.failed(vaultKey);
    } finally {
      this.reading.delete(key);
    }
  }
}
