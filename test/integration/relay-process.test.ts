/**
 * The relay as a real process on 127.0.0.1: bundled with esbuild (src-relay/bin.ts), killed
 * with SIGKILL in the middle of a stream of pushes and restarted on the same database, then
 * stopped with SIGTERM. An ack must mean the envelope survived; a restart must not renumber
 * anything; the database must hold nothing but ciphertext. On SQLite (a file), and on
 * PostgreSQL when TESSERA_TEST_PG names a server (CI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Author, newIdentity, randomId, RelayTestClient, withTimeout, type Deliver } from '../helpers/relay-client';
import { freshPgDatabase, pgDataDump, PG_URL } from '../helpers/storage-backends';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let bundle: string;
const children = new Set<ChildProcess>();

interface RelayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

async function spawnRelay(db: string): Promise<RelayProcess> {
  const child = spawn(process.execPath, [bundle, '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /^tessera relay listening on (ws:\/\/127\.0\.0\.1:\d+) \(db: (.*)\)$/m.exec(out);
        if (m) resolve(m[1]!);
      };
      child.stdout!.on('data', look);
      void exited.then(({ code, signal }) => reject(new Error(`relay exited (${code ?? signal}) before listening: ${out}`)));
    }),
    10_000,
    'relay start',
  );
  return { child, url, exited, output: () => out };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Every file SQLite keeps for `db` (the WAL and its index exist only while it runs or after a kill). */
async function databaseBytes(db: string): Promise<Buffer> {
  const files = [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}

/** Where a relay keeps its data, and a way to look for given bytes in all of it. */
interface Backend {
  readonly name: string;
  database(label: string): Promise<string>;
  /** Whether the database holds `bytes` anywhere, as stored. */
  holder(db: string): Promise<(bytes: Uint8Array) => boolean>;
}

const drops: (() => Promise<void>)[] = [];
const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    database: async (label) => join(dir, `${label}.db`),
    holder: async (db) => {
      const raw = await databaseBytes(db);
      return (bytes) => raw.includes(Buffer.from(bytes));
    },
  },
  ...(PG_URL
    ? [
        {
          name: 'PostgreSQL',
          database: async () => {
            const pg = await freshPgDatabase();
            drops.push(pg.drop);
            return pg.url;
          },
          // pg_dump writes bytea in hex: look for both the bytes and their hex.
          holder: async (db: string) => {
            const stdout = await pgDataDump(db);
            const text = stdout.toString('latin1');
            return (bytes: Uint8Array) => stdout.includes(Buffer.from(bytes)) || text.includes(Buffer.from(bytes).toString('hex'));
          },
        },
      ]
    : []),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-relay-process-'));
  // The bundle imports better-sqlite3 (a native addon) at run time: let it find the repo's.
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  bundle = join(dir, 'relay.mjs');
  await build({
    entryPoints: [join(repoRoot, 'src-relay/bin.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'silent',
    external: ['better-sqlite3', 'sodium-native'],
    // CommonJS dependencies (ws) bundled into ESM still call require() for Node built-ins.
    banner: { js: "import { createRequire as __tesseraRequire } from 'node:module'; const require = __tesseraRequire(import.meta.url);" },
  });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const drop of drops) await drop();
  await rm(dir, { recursive: true, force: true });
});

describe.each(BACKENDS)('the relay process on $name', (backend) => {
  it('keeps every acked envelope through a SIGKILL, with the same seqs, and stores only ciphertext', { timeout: 60_000 }, async () => {
    const db = await backend.database('kill');
    const owner = newIdentity();
    const vaultId = randomId();
    const author = new Author(owner, vaultId, randomId());
    const tag = randomBytes(8).toString('hex');
    const markers = Array.from({ length: 50 }, (_, i) => `tessera-marker-${i + 1}-${tag}`);
    const envelopes = markers.map((m) => author.next(m)); // envelope i has counter i + 1

    let relay = await spawnRelay(db);
    const writer = await RelayTestClient.connectAs(relay.url, owner);
    const reader = await RelayTestClient.connectAs(relay.url, owner);
    expect(await writer.register(vaultId)).toMatchObject({ type: 'registered' });
    await reader.subscribe(vaultId);

    // Twenty pushes one by one, then thirty pipelined and the relay killed as the acks stream in.
    const acked = new Map<number, number>(); // envelope index → seq
    for (let i = 0; i < 20; i++) {
      const ack = await writer.push(envelopes[i]!);
      expect(ack).toMatchObject({ type: 'ack', seq: i + 1 });
      acked.set(i, i + 1);
    }
    const inFlight = envelopes.slice(20).map((e, k) =>
      writer.push(e, 15_000).then(
        (m) => void (m.type === 'ack' && acked.set(20 + k, m.seq)),
        () => undefined, // the relay died first: not acked
      ),
    );
    await waitFor(() => acked.size >= 22, 10_000);
    relay.child.kill('SIGKILL');
    expect(await withTimeout(relay.exited, 5_000, 'kill')).toMatchObject({ signal: 'SIGKILL' });
    await Promise.all(inFlight);
    await writer.waitClosed();
    await reader.waitClosed();
    const seenLive = reader.pending().filter((m): m is Deliver => m.type === 'deliver');
    expect(seenLive.length).toBeGreaterThan(0);

    // Right after the kill the WAL still holds the newest envelopes: ciphertext, no markers.
    let holds = await backend.holder(db);
    expect(holds(envelopes[0]!.subarray(-120))).toBe(true); // the search can find stored bytes
    for (const marker of markers) expect(holds(Buffer.from(marker)), marker).toBe(false);

    relay = await spawnRelay(db);
    const after = await RelayTestClient.connectAs(relay.url, owner);
    const { delivers: backfill } = await after.subscribe(vaultId);
    const bySeq = new Map(backfill.map((d) => [d.seq, d]));
    expect(bySeq.size).toBe(backfill.length); // no duplicates
    for (const [index, seq] of acked) {
      expect(seq, `envelope ${index + 1}`).toBe(index + 1);
      expect(Buffer.from(bySeq.get(seq)!.envelope).equals(envelopes[index]!), `seq ${seq}`).toBe(true);
    }
    expect(backfill.map((d) => d.seq)).toEqual(Array.from({ length: backfill.length }, (_, i) => i + 1));
    for (const d of seenLive) expect(Buffer.from(bySeq.get(d.seq)!.envelope).equals(Buffer.from(d.envelope))).toBe(true);

    // The writer resumes its chain: re-pushes whatever was not acked (stored or not), then goes on.
    const resumed = await RelayTestClient.connectAs(relay.url, owner);
    for (let i = 20; i < 50; i++) expect(await resumed.push(envelopes[i]!), `envelope ${i + 1}`).toMatchObject({ type: 'ack', seq: i + 1 });
    expect(await resumed.push(author.next(`one more ${tag}`))).toMatchObject({ type: 'ack', seq: 51 });
    const live: Deliver[] = [];
    while (live.length < 51 - backfill.length) live.push(await after.nextDeliver());
    expect(live.map((m) => m.seq)).toEqual(Array.from({ length: live.length }, (_, i) => backfill.length + i + 1));

    // SIGTERM: sockets get 1001, the process exits 0, the database is closed cleanly.
    relay.child.kill('SIGTERM');
    expect(await after.waitClosed()).toMatchObject({ code: 1001 });
    expect(await resumed.waitClosed()).toMatchObject({ code: 1001 });
    expect(await withTimeout(relay.exited, 10_000, 'SIGTERM exit')).toEqual({ code: 0, signal: null });
    expect(relay.output()).toMatch(/SIGTERM: shutting down/);
    expect(relay.output()).not.toContain(tag);

    holds = await backend.holder(db);
    expect(holds(envelopes[49]!.subarray(-120))).toBe(true);
    for (const marker of [...markers, `one more ${tag}`]) expect(holds(Buffer.from(marker)), marker).toBe(false);
  });

  it('refuses forged, replayed, gapped, non-member and malformed input with their codes while serving the others', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-relay-abuse-'));
    try {
      const relay = await spawnRelay(await backend.database('relay'));
      const owner = newIdentity();
      const vaultId = randomId();
      const author = new Author(owner, vaultId, randomId());
      const honest = await RelayTestClient.connectAs(relay.url, owner);
      const reader = await RelayTestClient.connectAs(relay.url, owner);
      expect(await honest.register(vaultId)).toMatchObject({ type: 'registered' });
      await reader.subscribe(vaultId);
      expect(await honest.push(author.next('one'))).toMatchObject({ type: 'ack', seq: 1 });

      const attacker = await RelayTestClient.connectAs(relay.url, owner);
      const forged = author.seal(new TextEncoder().encode('forged'));
      forged[forged.length - 1]! ^= 1;
      expect(await attacker.push(forged)).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' });
      const replayed = author.seal(new TextEncoder().encode('replayed'), { counter: 1 });
      expect(await attacker.push(replayed)).toMatchObject({ type: 'error', code: 'REPLAY' });
      expect(await attacker.push(author.seal(new TextEncoder().encode('gap'), { counter: 5 }))).toMatchObject({ type: 'error', code: 'COUNTER_GAP' });
      const strangerId = newIdentity();
      const stranger = await RelayTestClient.connectAs(relay.url, strangerId);
      const strangerAuthor = new Author(strangerId, vaultId, author.scopeId, author.key);
      expect(await stranger.push(strangerAuthor.next('not a member'))).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
      attacker.sendRaw(new Uint8Array([1, 99, 1, 2, 3]));
      expect(await attacker.waitClosed()).toMatchObject({ code: 1002 });

      // Meanwhile the honest writer and reader carry on, and nothing refused was stored.
      expect(await honest.push(author.next('two'))).toMatchObject({ type: 'ack', seq: 2 });
      const live: Deliver[] = [];
      while (live.length < 2) live.push(await reader.nextDeliver());
      expect(live.map((d) => d.seq)).toEqual([1, 2]);
      const late = await RelayTestClient.connectAs(relay.url, owner);
      expect((await late.subscribe(vaultId)).delivers.map((d) => d.seq)).toEqual([1, 2]);
      relay.child.kill('SIGTERM');
      await relay.exited;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers /healthz and refuses to start on a port in use', { timeout: 30_000 }, async () => {
    const relay = await spawnRelay(await backend.database('health'));
    const port = new URL(relay.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await res.json()).toEqual({ ok: true, vaults: 0, connections: 0 });
    const clash = spawn(process.execPath, [bundle, '--port', port, '--db', join(dir, 'clash.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(clash);
    let err = '';
    clash.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await withTimeout(new Promise<number | null>((resolve) => clash.on('exit', (c) => resolve(c))), 10_000, 'clash exit');
    children.delete(clash);
    expect(code).toBe(1);
    expect(err).toMatch(/Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\) \[IO\]/);
    relay.child.kill('SIGINT');
    expect(await withTimeout(relay.exited, 10_000, 'SIGINT exit')).toEqual({ code: 0, signal: null });
  });
});
