/**
 * One load on one or more relay processes: W writers, each the owner of a vault of its own,
 * pushing sealed updates (as fast as acks come back, or paced), and R readers subscribed to
 * those vaults (round robin), spread across the relay processes. Readers only count arrivals
 * and time them: a reader's latency is from the moment its writer sent the update to the
 * moment the reader got it. With one writer per scope, seq k is the k-th update sent.
 */
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { RelayClient } from '../../src-main/sync/relay-client';
import { toHex } from '../../src-shared/crypto/bytes';
import { envelopeHash, sealEnvelope, ZERO_HASH, type SigningKey } from '../../src-shared/envelope/envelope';
import { createGenesis } from '../../src-shared/membership/builders';
import { percentile, sleep } from './sync-support';

export interface Load {
  readonly writers: number;
  readonly readers: number;
  /** Updates each writer pushes. */
  readonly changes: number;
  /** Updates per second across all writers; unpaced (as fast as acks allow) when absent. */
  readonly perSecond?: number;
}

export interface LoadResult {
  /** Updates per second the relays acked (first push to last ack). */
  readonly accepted: number;
  /** Deliveries per second, summed over readers (first push to last arrival). */
  readonly delivered: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

interface Writer {
  readonly signer: SigningKey;
  /** The vault's membership genesis: vaults are shared ones, as since sharing they all are. */
  readonly genesis: Uint8Array;
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  readonly envelopes: Uint8Array[];
  readonly sentAt: Float64Array;
}

function writer(changes: number): Writer {
  const seed = nodeSuite.randomBytes(32);
  const signer: SigningKey = { seed, publicKey: nodeSuite.ed25519.publicKeyFromSeed(seed) };
  const [vaultId, scopeId] = [nodeSuite.randomBytes(16), nodeSuite.randomBytes(16)];
  const creator = { signPublicKey: signer.publicKey, boxPublicKey: nodeSuite.box.publicKeyFromSecret(nodeSuite.randomBytes(32)) };
  const genesis = createGenesis(nodeSuite, signer, { vaultId, metaScope: toHex(nodeSuite.randomBytes(16)), envScopes: [toHex(scopeId)], creator, name: 'Bench' });
  const key = genesis.newKeys.get(toHex(scopeId))!.get(1)!;
  let prevHash: Uint8Array = ZERO_HASH;
  const envelopes = Array.from({ length: changes }, (_, i) => {
    // About the size of a one-secret change: a Yjs update carrying a value and its metadata.
    const e = sealEnvelope(nodeSuite, { kind: 'update', vaultId, scopeId, epoch: 1, counter: i + 1, prevHash, covers: 0, logHead: genesis.state.head }, nodeSuite.randomBytes(160), key, signer);
    prevHash = envelopeHash(e);
    return e;
  });
  return { signer, genesis: genesis.bytes, vaultId, scopeId, envelopes, sentAt: new Float64Array(changes + 1) };
}

function waitUntil(done: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (done() ? resolve() : Date.now() > deadline ? reject(new Error(`${what()} after ${ms} ms`)) : setTimeout(tick, 5));
    tick();
  });
}

/** Runs `load` against relays at `urls`: writers on the first, readers spread over all. */
export async function runLoad(urls: readonly string[], load: Load): Promise<LoadResult> {
  const writers = Array.from({ length: load.writers }, () => writer(load.changes));
  const clients: RelayClient[] = [];
  try {
    const pushers: RelayClient[] = [];
    for (const w of writers) {
      const c = await RelayClient.connect(urls[0]!, nodeSuite, w.signer);
      clients.push(c);
      await c.request({ type: 'register', vaultId: w.vaultId, genesis: w.genesis }, 'registered');
      pushers.push(c);
    }
    const latencies: number[] = [];
    let arrived = 0;
    let lastArrival = 0;
    for (let r = 0; r < load.readers; r++) {
      const w = writers[r % writers.length]!;
      const c = await RelayClient.connect(urls[r % urls.length]!, nodeSuite, w.signer);
      clients.push(c);
      c.onDelivery((d) => {
        const now = performance.now();
        latencies.push(now - w.sentAt[d.seq]!);
        arrived++;
        lastArrival = now;
      });
      await c.request({ type: 'subscribe', vaultId: w.vaultId, cursors: [{ scopeId: w.scopeId, since: 0 }] }, 'synced');
    }
    await sleep(200); // subscriptions settle on every process
    const start = performance.now();
    let lastAck = start;
    const push = async (w: Writer, c: RelayClient, i: number) => {
      w.sentAt[i + 1] = performance.now();
      await c.request({ type: 'push', envelope: w.envelopes[i]! }, 'ack');
      lastAck = performance.now();
    };
    if (load.perSecond) {
      // Paced: the t-th update of all writers is due at start + t / rate, writers in turn.
      const total = load.writers * load.changes;
      const acks: Promise<void>[] = [];
      for (let t = 0; t < total; t++) {
        const due = start + (t * 1000) / load.perSecond;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const wi = t % load.writers;
        acks.push(push(writers[wi]!, pushers[wi]!, Math.floor(t / load.writers)));
      }
      await Promise.all(acks);
    } else {
      // A window of pushes in flight per writer: the relay serves a socket's requests in order.
      const WINDOW = Math.max(4, Math.ceil(48 / load.writers));
      await Promise.all(
        writers.map((w, wi) => {
          let next = 0;
          const lane = async () => {
            while (next < w.envelopes.length) await push(w, pushers[wi]!, next++);
          };
          return Promise.all(Array.from({ length: WINDOW }, lane));
        }),
      );
    }
    const expected = load.readers * load.changes;
    await waitUntil(() => arrived >= expected, 120_000, () => `readers got ${arrived} of ${expected}`);
    const sorted = Float64Array.from(latencies).sort();
    const total = load.writers * load.changes;
    return {
      accepted: total / ((lastAck - start) / 1000),
      delivered: arrived / ((lastArrival - start) / 1000),
      p50ms: percentile(sorted, 0.5),
      p99ms: percentile(sorted, 0.99),
    };
  } finally {
    for (const c of clients) c.close();
  }
}
