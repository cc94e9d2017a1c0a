/**
 * bench:sync, baseline side: the plain, unencrypted y-websocket server (@y/websocket-server)
 * in its own process; one writer and N readers, each a y-websocket WebsocketProvider in one
 * room. A reader's arrival counts when its doc's 'update' event delivers the change.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { freePort, Ledger, runPhases, ServerProcess, watchChanges, type Plan, type SideRun, type Workload } from './sync-support';

function serverScript(): string {
  const pkg = createRequire(import.meta.url).resolve('@y/websocket-server/package.json');
  return join(dirname(pkg), 'src', 'server.js');
}

/** A provider without BroadcastChannel (all providers share this process) or awareness. */
function provider(url: string, room: string, doc: Y.Doc): WebsocketProvider {
  const p = new WebsocketProvider(url, room, doc, {
    // ws's WebSocket is what the provider expects of a browser's, as far as it uses it.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: false,
  });
  p.awareness.setLocalState(null);
  p.connect();
  return p;
}

function synced(p: WebsocketProvider, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a y-websocket provider did not sync with ${p.url} in ${ms} ms`)), ms);
    p.on('sync', (isSynced: boolean) => {
      if (!isSynced) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function runPlain(plan: Plan, workload: Workload): Promise<SideRun> {
  const port = await freePort();
  // No persistence, no callbacks: the server only relays (and keeps the room's doc in memory).
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port) };
  delete env.YPERSISTENCE;
  delete env.CALLBACK_URL;
  const { server } = await ServerProcess.start('y-websocket-server', [serverScript()], env, /running at '127\.0\.0\.1' on port \d+/);
  const url = `ws://127.0.0.1:${port}`;
  const room = `bench-${process.pid}`;
  const ledger = new Ledger(plan.warmup + plan.latency + plan.throughput, plan.readers);
  const failures: string[] = [];
  const providers: WebsocketProvider[] = [];
  // Every provider adds a process 'exit' listener (to clear its awareness state).
  const maxListeners = process.getMaxListeners();
  process.setMaxListeners(maxListeners + plan.readers + 1);
  let finished = false;
  const connect = async (name: string, doc: Y.Doc): Promise<void> => {
    const p = provider(url, room, doc);
    providers.push(p);
    await synced(p);
    p.on('connection-close', () => finished || failures.push(`${name}: connection closed`));
  };

  try {
    await Promise.all(Array.from({ length: plan.readers }, async (_, r) => {
      const doc = new Y.Doc();
      new ValuesScope(doc);
      let applied: number[] = [];
      watchChanges(doc, (changes) => applied.push(...changes));
      // Observers run inside the transaction; 'update' follows once it is applied.
      doc.on('update', () => {
        if (!applied.length) return;
        const at = performance.now();
        try {
          for (const change of applied) ledger.arrive(r, change, at);
        } catch (e) {
          if (failures.length < 20) failures.push(`reader ${r}: ${(e as Error).message}`);
        }
        applied = [];
      });
      await connect(`reader ${r}`, doc);
    }));

    const doc = new Y.Doc();
    const values = new ValuesScope(doc);
    await connect('writer', doc);
    const change = (g: number): void => {
      ledger.changedAt[g] = performance.now();
      // Its own transaction: the provider sends the update from the doc's 'update' event.
      workload.apply(values, g, 'plain-writer');
    };
    await runPhases(plan, ledger, change, undefined, () => failures);
    return {
      ledger,
      notes: ['plain writer: a tight loop of changes, each its own transaction; the server sends no acknowledgement'],
    };
  } finally {
    finished = true;
    for (const p of providers) {
      p.awareness.destroy();
      p.destroy();
      p.doc.destroy();
    }
    process.setMaxListeners(maxListeners);
    await server.stop();
  }
}
