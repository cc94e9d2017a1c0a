/**
 * bench:sync, third phase: the servers' own fan-out capacity. The same M changes are made up
 * front (sealed and signed for Tessera, plain Yjs updates for the baseline), the writer sends
 * them as fast as the server takes them, and the N readers only count what arrives. With
 * readers that verify and apply (phases 1 and 2) the run measures this one process's CPU,
 * which every reader shares; here it measures the relay and the y-websocket server.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { RelayClient } from '../../src-main/sync/relay-client';
import { envelopeHash, NO_LOG_HEAD, sealEnvelope, ZERO_HASH, type SigningKey } from '../../src-shared/envelope/envelope';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { freePort, ServerProcess, sleep, type Workload } from './sync-support';

export interface Capacity {
  /** Changes per second the server took from the writer (Tessera: acks; plain: sent). */
  readonly accepted: number;
  /** Changes per second reaching readers, summed over readers (first send to last arrival). */
  readonly delivered: number;
}

/** M Yjs updates, one per change, as the writer's doc produces them. */
function updates(workload: Workload, first: number, count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const values = new ValuesScope(doc);
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let g = first; g < first + count; g++) workload.apply(values, g, 'bench');
  return out;
}

function waitUntil(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (done() ? resolve() : Date.now() > deadline ? reject(new Error(`${what} after ${ms} ms`)) : setTimeout(tick, 5));
    tick();
  });
}

export async function tesseraCapacity(relayArgs: string[], readers: number, workload: Workload, first: number, count: number): Promise<Capacity> {
  const { server, match } = await ServerProcess.start('relay (capacity)', relayArgs, process.env, /listening on (ws:\/\/127\.0\.0\.1:\d+)/);
  const url = match[1]!;
  const seed = nodeSuite.randomBytes(32);
  const signer: SigningKey = { seed, publicKey: nodeSuite.ed25519.publicKeyFromSeed(seed) };
  const key = nodeSuite.randomBytes(32);
  const vaultId = nodeSuite.randomBytes(16);
  const scopeId = nodeSuite.randomBytes(16);
  let prevHash: Uint8Array = ZERO_HASH;
  const envelopes = updates(workload, first, count).map((u, i) => {
    const e = sealEnvelope(nodeSuite, { kind: 'update', vaultId, scopeId, epoch: 1, counter: i + 1, prevHash, covers: 0, logHead: NO_LOG_HEAD }, u, key, signer);
    prevHash = envelopeHash(e);
    return e;
  });
  const clients: RelayClient[] = [];
  try {
    const writer = await RelayClient.connect(url, nodeSuite, signer);
    clients.push(writer);
    await writer.request({ type: 'register', vaultId }, 'registered');
    let arrived = 0;
    let lastArrival = 0;
    for (let r = 0; r < readers; r++) {
      const c = await RelayClient.connect(url, nodeSuite, signer);
      clients.push(c);
      c.onDelivery(() => {
        arrived++;
        lastArrival = performance.now();
      });
      await c.request({ type: 'subscribe', vaultId, cursors: [{ scopeId, since: 0 }] }, 'synced');
    }
    const start = performance.now();
    let lastAck = start;
    // A window of pushes in flight: the relay serves a socket's requests in order.
    const WINDOW = 48;
    let next = 0;
    const lane = async () => {
      while (next < envelopes.length) {
        const e = envelopes[next++]!;
        await writer.request({ type: 'push', envelope: e }, 'ack');
        lastAck = performance.now();
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
    await waitUntil(() => arrived >= count * readers, 60_000, `Tessera readers got ${arrived} of ${count * readers}`);
    return { accepted: count / ((lastAck - start) / 1000), delivered: arrived / ((lastArrival - start) / 1000) };
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

// y-protocols framing, written out (messageSync = 0, messageYjsUpdate = 2).
const syncUpdate = (update: Uint8Array): Uint8Array => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
};
const isSyncUpdate = (data: Uint8Array): boolean => {
  const d = decoding.createDecoder(data);
  return decoding.readVarUint(d) === 0 && decoding.readVarUint(d) === 2;
};

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function plainCapacity(readers: number, workload: Workload, first: number, count: number): Promise<Capacity> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port) };
  delete env.YPERSISTENCE;
  delete env.CALLBACK_URL;
  const script = join(dirname(createRequire(import.meta.url).resolve('@y/websocket-server/package.json')), 'src', 'server.js');
  const { server } = await ServerProcess.start('y-websocket-server (capacity)', [script], env, /running at '127\.0\.0\.1' on port \d+/);
  const room = `ws://127.0.0.1:${port}/capacity-${process.pid}`;
  const frames = updates(workload, first, count).map(syncUpdate);
  const sockets: WebSocket[] = [];
  try {
    let arrived = 0;
    let lastArrival = 0;
    for (let r = 0; r < readers; r++) {
      const ws = await open(room);
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        if (isSyncUpdate(data)) {
          arrived++;
          lastArrival = performance.now();
        }
      });
    }
    const writer = await open(room);
    sockets.push(writer);
    await sleep(200); // the server's greeting (sync step 1, awareness) goes by first
    const start = performance.now();
    // Sent in slices so the socket buffer drains as it would for a real writer.
    for (let i = 0; i < frames.length; i++) {
      writer.send(frames[i]!);
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    const sent = performance.now();
    await waitUntil(() => arrived >= count * readers, 60_000, `plain readers got ${arrived} of ${count * readers}`);
    return { accepted: count / ((sent - start) / 1000), delivered: arrived / ((lastArrival - start) / 1000) };
  } finally {
    for (const s of sockets) s.terminate();
    await server.stop();
  }
}
