// Backfill against pushes that land while it runs, made deterministic: the fake socket's
// sends are where the "other clients" commit and fan out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeHash } from '../src-shared/envelope/envelope';
import { decodeRelayMessage, encodeRelayMessage, type RelayMessage } from '../src-shared/protocol/messages';
import { toHex } from '../src-shared/crypto/bytes';
import { Author, newIdentity, randomId } from '../test/helpers/relay-client';
import { DEFAULT_LIMITS } from './limits';
import { openMemoryStorage } from './sqlite-storage';
import type { RelayStorage } from './storage';
import { encodeRun } from './runs';
import { Subscription, type Outbox } from './subscription';

let storage: RelayStorage;
let author: Author;

beforeEach(async () => {
  storage = openMemoryStorage();
  const owner = newIdentity();
  author = new Author(owner, randomId(), randomId());
  await storage.createVault(author.vaultId, owner.publicKey, Date.now(), 1);
});

afterEach(() => storage.close());

/** Stores the author's next update as a push would, and returns its deliver frame. */
async function commit(): Promise<{ seq: number; frame: Uint8Array }> {
  const bytes = author.next();
  const [r] = await storage.appendUpdates([{ vaultId: author.vaultId, scopeId: author.scopeId, author: author.id.publicKey, counter: author.counter, epoch: 1, hash: envelopeHash(bytes), bytes }], DEFAULT_LIMITS);
  if (!r?.ok) throw new Error('append refused');
  return { seq: r.seq, frame: encodeRelayMessage({ type: 'deliver', vaultId: author.vaultId, scopeId: author.scopeId, seq: r.seq, envelope: bytes }) };
}

/** A socket that records frames and runs `onSend(n)` as the n-th paced frame goes out. */
function outbox(onSend: (n: number) => Promise<void> | void = () => undefined, takesRuns = false): Outbox & { got: RelayMessage[]; dropped: string[] } {
  const got: RelayMessage[] = [];
  const dropped: string[] = [];
  let n = 0;
  return {
    got,
    dropped,
    open: true,
    takesRuns,
    maxFrameBytes: 16 * 1024 * 1024,
    resubscribe: (reason) => void dropped.push(reason),
    sendLive: (frame) => void got.push(decodeRelayMessage(frame)),
    async sendPaced(frame) {
      got.push(decodeRelayMessage(frame));
      await onSend(++n);
    },
  };
}

const seqsOf = (got: RelayMessage[]) => got.flatMap((m): (number | 'synced')[] => (m.type === 'deliver' ? [m.seq] : m.type === 'synced' ? ['synced'] : []));

describe('Subscription.backfill', () => {
  it('merges pushes that land during the backfill, each once, before synced', async () => {
    for (let i = 0; i < 3; i++) await commit();
    let sub!: Subscription;
    const box = outbox(async (n) => {
      if (n !== 1) return;
      for (let i = 0; i < 2; i++) {
        const c = await commit();
        sub.offer(author.scopeId, toHex(author.scopeId), c.seq, c.frame);
      }
    });
    sub = new Subscription(author.vaultId, [], storage, box, 1 << 20);
    expect(await sub.backfill(7)).toBe(true);
    expect(seqsOf(box.got)).toEqual([1, 2, 3, 4, 5, 'synced']);
    expect(box.got.at(-1)).toMatchObject({ type: 'synced', requestId: 7, heads: [{ scopeId: author.scopeId, since: 5 }] });
    const live = await commit();
    sub.offer(author.scopeId, toHex(author.scopeId), live.seq, live.frame);
    expect(seqsOf(box.got).at(-1)).toBe(6);
  });

  it('delivers a snapshot that pruned what the backfill had not read yet, then goes on after it', async () => {
    const envelopes = [];
    for (let i = 0; i < 10; i++) envelopes.push(await commit());
    const box = outbox(async (n) => {
      if (n === 1) await storage.putSnapshot({ vaultId: author.vaultId, scopeId: author.scopeId, author: author.id.publicKey, covers: 8, bytes: author.snapshot(8) }, DEFAULT_LIMITS);
    });
    const sub = new Subscription(author.vaultId, [], storage, box, 1 << 20, { count: 3, bytes: 1 << 20 });
    expect(await sub.backfill(1)).toBe(true);
    expect(seqsOf(box.got)).toEqual([1, 2, 3, 8, 9, 10, 'synced']);
  });

  it('reads the store again when held deliveries leave a gap', async () => {
    // Two scopes, read in id order: A first, then B, whose delivery is where A moves on.
    author = new Author(author.id, author.vaultId, new Uint8Array(16).fill(0x00));
    const b = new Author(author.id, author.vaultId, new Uint8Array(16).fill(0xff));
    for (let i = 0; i < 2; i++) await commit();
    const bytes = b.next();
    await storage.appendUpdates([{ vaultId: b.vaultId, scopeId: b.scopeId, author: b.id.publicKey, counter: 1, epoch: 1, hash: envelopeHash(bytes), bytes }], DEFAULT_LIMITS);
    let sub!: Subscription;
    const box = outbox(async (n) => {
      if (n !== 3) return;
      await commit();
      const fourth = await commit();
      // Only seq 4's delivery reaches the subscription: a gap it must fill from the store.
      sub.offer(author.scopeId, toHex(author.scopeId), fourth.seq, fourth.frame);
    });
    sub = new Subscription(author.vaultId, [], storage, box, 1 << 20);
    expect(await sub.backfill(1)).toBe(true);
    expect(seqsOf(box.got)).toEqual([1, 2, 1, 3, 4, 'synced']);
  });

  it('drops held deliveries past its budget and reads them from the store instead', async () => {
    await commit();
    let sub!: Subscription;
    const box = outbox(async (n) => {
      if (n !== 1) return;
      for (let i = 0; i < 5; i++) {
        const c = await commit();
        sub.offer(author.scopeId, toHex(author.scopeId), c.seq, c.frame);
      }
    });
    sub = new Subscription(author.vaultId, [], storage, box, 64);
    expect(await sub.backfill(1)).toBe(true);
    expect(seqsOf(box.got)).toEqual([1, 2, 3, 4, 5, 6, 'synced']);
  });

  it('starts after the cursor, and reports the relay head even when the client claims more', async () => {
    for (let i = 0; i < 3; i++) await commit();
    const box = outbox();
    const sub = new Subscription(author.vaultId, [{ scopeId: author.scopeId, since: 9 }], storage, box, 1 << 20);
    await sub.backfill(1);
    expect(box.got).toEqual([{ type: 'synced', requestId: 1, vaultId: author.vaultId, heads: [{ scopeId: author.scopeId, since: 3 }] }]);
  });

  it('stops when the socket goes away', async () => {
    for (let i = 0; i < 5; i++) await commit();
    const box = outbox();
    const sub = new Subscription(author.vaultId, [], storage, box, 1 << 20);
    (box as { open: boolean }).open = false;
    await sub.backfill(1);
    expect(box.got).toEqual([]);
  });
});

describe('Subscription live', () => {
  const key = () => toHex(author.scopeId);
  const settle = () => new Promise((r) => setTimeout(r, 20));

  async function liveSub(): Promise<{ sub: Subscription; box: ReturnType<typeof outbox> }> {
    const box = outbox();
    const sub = new Subscription(author.vaultId, [], storage, box, 1 << 20);
    expect(await sub.backfill(1)).toBe(true);
    return { sub, box };
  }

  it('drops what the client has already: a delivery offered twice goes out once', async () => {
    const { sub, box } = await liveSub();
    const c = await commit();
    sub.offer(author.scopeId, key(), c.seq, c.frame);
    sub.offer(author.scopeId, key(), c.seq, c.frame);
    expect(seqsOf(box.got)).toEqual(['synced', 1]);
  });

  it('fills a gap from the store before sending on, in order (another process stored what lies between)', async () => {
    const { sub, box } = await liveSub();
    await commit(); // stored by another relay process: its notice has not come
    await commit();
    const third = await commit();
    sub.offer(author.scopeId, key(), third.seq, third.frame);
    await settle();
    expect(seqsOf(box.got)).toEqual(['synced', 1, 2, 3]);
    expect(box.dropped).toEqual([]);
  });

  it('moves past the client’s own push without sending it back', async () => {
    const { sub, box } = await liveSub();
    const own = await commit();
    sub.offer(author.scopeId, key(), own.seq, null);
    const next = await commit();
    sub.offer(author.scopeId, key(), next.seq, next.frame);
    expect(seqsOf(box.got)).toEqual(['synced', 2]);
  });

  it('catches up on what the store holds past the client after missed notices', async () => {
    const { sub, box } = await liveSub();
    await commit();
    await commit();
    sub.catchUp(await storage.scopes(author.vaultId));
    await settle();
    expect(seqsOf(box.got)).toEqual(['synced', 1, 2]);
  });

  it('asks the client to resubscribe when the store fails during a repair', async () => {
    const { sub, box } = await liveSub();
    await commit();
    const second = await commit();
    storage.envelopesAfter = () => Promise.reject(new Error('database down'));
    sub.offer(author.scopeId, key(), second.seq, second.frame);
    await settle();
    expect(box.dropped).toEqual(['could not catch up: resubscribe']);
    expect(seqsOf(box.got)).toEqual(['synced']);
  });
});

describe('Subscription.offerRun', () => {
  /** `n` more updates stored, as the run the writer would offer for them. */
  async function committedRun(n: number) {
    const stored = [];
    for (let i = 0; i < n; i++) stored.push(await commit());
    const frame = encodeRun(author.vaultId, author.scopeId, stored.map((c) => ({ seq: c.seq, bytes: decodeDeliver(c.frame) })));
    return { stored, run: { scopeId: author.scopeId, scopeKey: toHex(author.scopeId), firstSeq: stored[0]!.seq, lastSeq: stored.at(-1)!.seq, frame: () => frame } };
  }
  const decodeDeliver = (frame: Uint8Array) => (decodeRelayMessage(frame) as Extract<RelayMessage, { type: 'deliver' }>).envelope;
  const seqsIn = (got: RelayMessage[]) => got.flatMap((m) => (m.type === 'deliver' ? [m.seq] : m.type === 'deliver-run' ? m.envelopes.map((_, i) => m.firstSeq + i) : []));

  it('sends a run whole when the client is live right before it, and moves it past the run', async () => {
    const box = outbox(() => undefined, true);
    const sub = new Subscription(author.vaultId, [], storage, box, 1 << 20);
    await sub.backfill(1);
    const { run } = await committedRun(3);
    expect(sub.offerRun(run)).toBe(true);
    expect(box.got.at(-1)).toMatchObject({ type: 'deliver-run', firstSeq: 1 });
    // What follows goes on from the run's end; an envelope of the run again is dropped.
    const next = await commit();
    sub.offer(author.scopeId, toHex(author.scopeId), next.seq, next.frame);
    sub.offer(author.scopeId, toHex(author.scopeId), 2, next.frame);
    expect(seqsIn(box.got)).toEqual([1, 2, 3, 4]);
  });

  it('declines (each envelope is then offered alone) for a client without runs, one not live yet, or one with a gap before the run', async () => {
    const plain = new Subscription(author.vaultId, [], storage, outbox(), 1 << 20);
    await plain.backfill(1);
    const notLive = new Subscription(author.vaultId, [], storage, outbox(() => undefined, true), 1 << 20);
    const { run } = await committedRun(2);
    expect(plain.offerRun(run)).toBe(false);
    expect(notLive.offerRun(run)).toBe(false);
    const behind = new Subscription(author.vaultId, [], storage, outbox(() => undefined, true), 1 << 20);
    await behind.backfill(1); // has 1..2
    const { run: later } = await committedRun(2);
    const skipped = { ...later, firstSeq: later.firstSeq + 1 }; // as if seq 3 had gone elsewhere
    expect(behind.offerRun(skipped)).toBe(false);
    expect(behind.offerRun(later)).toBe(true);
  });
});
