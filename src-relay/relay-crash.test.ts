// Group commit and SIGKILL: several sockets pipeline pushes into a relay process, which is
// killed the moment enough acks have arrived, most likely in the middle of a later
// transaction. Every acked envelope must be in the database at its acked seq, and nothing else
// may be there but the unacked tail of each chain. Runs the bundled CLI (built by the
// global setup), as `tessera relay` runs for users.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { decodeRelayMessage } from '../src-shared/protocol/messages';
import { Author, newIdentity, randomId, RelayTestClient, withTimeout } from '../test/helpers/relay-client';
import { openSqliteStorage } from './sqlite-storage';

const cli = fileURLToPath(new URL('../out/node/tessera.mjs', import.meta.url));
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

it('keeps every acked push of several pipelining sockets through a SIGKILL right after the acks', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-relay-crash-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'relay.db');
  const child = spawn(process.execPath, [cli, 'relay', '--port', '0', '--db', db, '--messages-per-second', '100000', '--message-burst', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  cleanup.push(() => void child.kill('SIGKILL'));
  let out = '';
  const url = await withTimeout(
    new Promise<string>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (ws:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
    }),
    10_000,
    'relay start',
  );

  const owner = newIdentity();
  const vaultId = randomId();
  const PER_SOCKET = 400;
  const KILL_AFTER = 300;
  const writers = [];
  for (let i = 0; i < 3; i++) {
    const client = await RelayTestClient.connectAs(url, owner);
    cleanup.push(() => client.close());
    if (i === 0) expect(await client.register(vaultId)).toMatchObject({ type: 'registered' });
    const author = new Author(owner, vaultId, randomId());
    writers.push({ client, author, envelopes: Array.from({ length: PER_SOCKET }, () => author.next()), acked: [] as number[] });
  }
  let acks = 0;
  for (const w of writers) {
    w.client.ws.on('message', (data: Buffer) => {
      const m = decodeRelayMessage(new Uint8Array(data));
      if (m.type !== 'ack') return;
      w.acked.push(m.seq);
      if (++acks === KILL_AFTER) child.kill('SIGKILL');
    });
  }
  for (const w of writers) w.envelopes.forEach((envelope, i) => w.client.send({ type: 'push', requestId: 100 + i, envelope }));
  expect(await withTimeout(exited, 20_000, 'kill')).toBe('SIGKILL');

  const storage = openSqliteStorage(db);
  cleanup.push(() => storage.close());
  for (const w of writers) {
    // Each socket's acks came in request order: envelope k got seq k + 1.
    expect(w.acked).toEqual(w.acked.map((_, k) => k + 1));
    const stored = await storage.envelopesAfter(vaultId, w.author.scopeId, 0, { count: 1000, bytes: 1e9 });
    expect(stored.length).toBeGreaterThanOrEqual(w.acked.length);
    expect(stored.map((e) => e.bytes)).toEqual(w.envelopes.slice(0, stored.length));
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, k) => k + 1));
  }
  expect(acks).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(acks).toBeLessThan(3 * PER_SOCKET);
});
