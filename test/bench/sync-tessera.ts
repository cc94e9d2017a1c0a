/**
 * bench:sync, Tessera side: the real relay in its own process; one writer and N readers, each
 * its own authenticated RelayClient. Every reader decodes, verifies, opens and applies every
 * delivery to its own Y.Doc before the arrival counts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { RelayClient } from '../../src-main/sync/relay-client';
import { equalBytes, toHex } from '../../src-shared/crypto/bytes';
import { envelopeHash, NO_LOG_HEAD, openVerifiedEnvelope, sealEnvelope, ZERO_HASH, type Envelope, type SigningKey } from '../../src-shared/envelope/envelope';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { DEFAULT_LIMITS } from '../../src-relay/limits';
import { Ledger, runPhases, ServerProcess, sleep, watchChanges, type Plan, type SideRun, type Workload } from './sync-support';

const EPOCH = 1;

/**
 * The relay drops a socket that sends more than its token bucket allows (by default 200
 * messages a second, bursts of 400: ample for people, not for a throughput benchmark). The
 * bench runs it with a bucket as an operator would for a busy automated writer, and the
 * writer keeps a slightly smaller bucket of its own, since frames can arrive bunched up.
 */
export const RELAY_RATE = 20_000;
export const WRITER_RATE = RELAY_RATE * 0.95;
export const WRITER_BURST = Math.floor(RELAY_RATE * 0.75);

class Pacer {
  private tokens = WRITER_BURST;
  private last = performance.now();

  async take(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await sleep(((1 - this.tokens) / WRITER_RATE) * 1000 + 1);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(WRITER_BURST, this.tokens + ((now - this.last) / 1000) * WRITER_RATE);
    this.last = now;
  }
}

/** The relay bundle sits next to this one in out/node/. */
function relayBundle(): string {
  const path = fileURLToPath(new URL('./relay.mjs', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build it with \`node scripts/build-node.mjs relay\``);
  return path;
}

/**
 * Extra node flags for the relay process, for profiling it (node refuses --cpu-prof in
 * NODE_OPTIONS): BENCH_SYNC_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof".
 */
function relayNodeArgs(): string[] {
  return (process.env.BENCH_SYNC_RELAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** The relay's command line (node arguments included), with its database in `dir`. */
export function relayArgs(dir: string, db = 'relay.db'): string[] {
  return [...relayNodeArgs(), relayBundle(), '--port', '0', '--host', '127.0.0.1', '--db', join(dir, db), '--messages-per-second', String(RELAY_RATE), '--message-burst', String(RELAY_RATE)];
}

export async function runTessera(plan: Plan, workload: Workload, dir: string): Promise<SideRun> {
  const { server, match } = await ServerProcess.start('relay', relayArgs(dir), process.env, /listening on (ws:\/\/127\.0\.0\.1:\d+)/);
  const url = match[1]!;
  const seed = nodeSuite.randomBytes(32);
  const signer: SigningKey = { seed, publicKey: nodeSuite.ed25519.publicKeyFromSeed(seed) };
  const scopeKey = nodeSuite.randomBytes(32);
  const vaultId = nodeSuite.randomBytes(16);
  const scopeId = nodeSuite.randomBytes(16);
  const by = toHex(signer.publicKey).slice(0, 16);
  const ledger = new Ledger(plan.warmup + plan.latency + plan.throughput, plan.readers);
  const failures: string[] = [];
  const clients: RelayClient[] = [];
  let finished = false;

  const keyFor = (env: Envelope): Uint8Array => {
    if (!equalBytes(env.vaultId, vaultId) || !equalBytes(env.scopeId, scopeId) || env.epoch !== EPOCH) throw new Error('an envelope of another scope or epoch');
    return scopeKey;
  };
  const connect = async (name: string): Promise<RelayClient> => {
    const client = await RelayClient.connect(url, nodeSuite, signer);
    clients.push(client);
    client.onClose((reason) => finished || failures.push(`${name}: connection closed (${reason})`));
    return client;
  };

  try {
    const writer = await connect('writer');
    await writer.request({ type: 'register', vaultId }, 'registered');

    await Promise.all(Array.from({ length: plan.readers }, async (_, r) => {
      const client = await connect(`reader ${r}`);
      const doc = new Y.Doc();
      new ValuesScope(doc);
      let applied: number[] = [];
      watchChanges(doc, (changes) => applied.push(...changes));
      client.onDelivery((d) => {
        try {
          const { plaintext } = openVerifiedEnvelope(nodeSuite, d.envelope, keyFor);
          Y.applyUpdate(doc, plaintext, 'relay');
          const at = performance.now();
          for (const change of applied) ledger.arrive(r, change, at);
          applied = [];
        } catch (e) {
          if (failures.length < 20) failures.push(`reader ${r}: delivery ${d.seq}: ${(e as Error).message}`);
        }
      });
      await client.request({ type: 'subscribe', vaultId, cursors: [{ scopeId, since: 0 }] }, 'synced');
    }));

    const doc = new Y.Doc();
    const values = new ValuesScope(doc);
    let captured: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => captured.push(update));
    let counter = 0;
    let prevHash: Uint8Array = ZERO_HASH;
    const acks: Promise<unknown>[] = [];
    let lastAckAt = NaN;

    const change = (g: number): void => {
      ledger.changedAt[g] = performance.now();
      workload.apply(values, g, by);
      const updates = captured;
      captured = [];
      if (updates.length !== 1) throw new Error(`change ${g} made ${updates.length} updates`);
      const n = ++counter;
      const header = { kind: 'update' as const, vaultId, scopeId, epoch: EPOCH, counter: n, prevHash, covers: 0, logHead: NO_LOG_HEAD };
      const envelope = sealEnvelope(nodeSuite, header, updates[0]!, scopeKey, signer);
      prevHash = envelopeHash(envelope);
      // Pipelined: the ack is collected, never waited for before the next change.
      acks.push(writer.request({ type: 'push', envelope }, 'ack').then(
        () => (lastAckAt = performance.now()),
        (e: Error) => failures.push(`push ${n}: ${e.message}`),
      ));
    };

    const pacer = new Pacer();
    await runPhases(plan, ledger, change, () => pacer.take(), () => failures);
    await Promise.all(acks);
    if (failures.length) throw new Error(`Tessera side failed:\n  ${failures.join('\n  ')}\n${server.tail()}`);
    return {
      ledger,
      lastAcceptedAt: lastAckAt,
      notes: [`relay run with --messages-per-second ${RELAY_RATE} (default ${DEFAULT_LIMITS.messagesPerSecond}); the writer stays under it (≤ ${WRITER_RATE.toFixed(0)}/s)`],
    };
  } finally {
    finished = true;
    for (const c of clients) c.close();
    await server.stop();
  }
}
