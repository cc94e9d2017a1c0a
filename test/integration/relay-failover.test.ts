/**
 * Relay processes on one PostgreSQL, as a deployment runs them: a writer's `tessera sync
 * --watch` through relay A, a reader's through relay B. A is killed with SIGKILL mid-stream
 * and the writer fails over to B from its relay list; PostgreSQL itself is restarted
 * mid-stream and the relays reconnect while the clients retry. Either way the reader ends
 * with every value, and the database holds each change once: per scope, the envelopes kept
 * plus those a snapshot covers are exactly the scope's sequence numbers, none repeated.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, fingerprintIn, type CliProfile } from '../helpers/cli';
import { cliProfile, onCleanup, pgDatabase, relayOn } from '../helpers/cleanup';
import { requireKeychain } from '../helpers/keychain';
import { startPgCluster } from '../helpers/pg-cluster';
import type { RelayProcess } from '../helpers/relay';
import { PG_URL } from '../helpers/storage-backends';

const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');
const VAULT = 'payments';
const N = 14;

function watch(p: CliProfile): { stop(): Promise<number | null>; log(): string } {
  const child = spawn(process.execPath, [CLI_PATH, 'sync', '--vault', VAULT, '--watch'], { env: cliEnv(p.home), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (x: Buffer) => (log += x.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  onCleanup(() => (child.kill('SIGKILL'), exited));
  return { stop: () => (child.kill('SIGINT'), exited), log: () => log };
}

/** Olive writes through `writerRelays`; Jay, a viewer of production, reads through `readerRelays`. */
async function team(writerRelays: string, readerRelays: string): Promise<{ olive: CliProfile; jay: CliProfile }> {
  const [olive, jay] = [await cliProfile('Olive'), await cliProfile('Jay')];
  await olive.ok(['vault', 'create', VAULT, '--envs', 'production', '--relay', writerRelays]);
  await olive.ok(['sync']);
  const code = (await olive.ok(['invite', '--vault', VAULT, '--role', 'viewer', '--env', 'production'])).stdout.trim();
  const fp = fingerprintIn((await jay.ok(['join', code])).stdout)!;
  await olive.ok(['approve', fp.slice(0, 11), '--vault', VAULT]);
  await jay.ok(['sync']);
  expect((await jay.ok(['vault', 'relay', VAULT, readerRelays])).stderr).toContain('now syncs through');
  return { olive, jay };
}

/** Waits (bounded) until Jay's device holds all N keys, then compares every value. */
async function readerHasAll(jay: CliProfile, logs: () => string): Promise<void> {
  let values: Record<string, string> = {};
  for (let t = 0; t < 90 && Object.keys(values).length < N; t++) {
    await new Promise((r) => setTimeout(r, 500));
    values = JSON.parse((await jay.ok(['export', '--vault', VAULT, '--env', 'production', '--format', 'json'])).stdout);
  }
  expect(values, logs()).toEqual(Object.fromEntries(Array.from({ length: N }, (_, i) => [`KEY_${i}`, `value-${i}`])));
}

/** Each change once: per scope, kept envelopes + what the snapshot covers = last seq, no seq or chain link twice. */
async function storedOnce(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ last_seq: string; kept: string; seqs: string; links: string; covers: string | null }>(`
      SELECT s.last_seq, count(e.seq) AS kept, count(DISTINCT e.seq) AS seqs, count(DISTINCT (e.author, e.counter)) AS links,
             (SELECT covers FROM snapshots n WHERE n.vault_id = s.vault_id AND n.scope_id = s.scope_id) AS covers
      FROM scopes s LEFT JOIN envelopes e ON e.vault_id = s.vault_id AND e.scope_id = s.scope_id
      GROUP BY s.vault_id, s.scope_id, s.last_seq`);
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) {
      expect(Number(r.kept) + Number(r.covers ?? 0)).toBe(Number(r.last_seq));
      expect([Number(r.seqs), Number(r.links)]).toEqual([Number(r.kept), Number(r.kept)]);
    }
    // The production scope took every set once (a snapshot may hold the earliest).
    expect(Math.max(...rows.map((r) => Number(r.last_seq)))).toBeGreaterThanOrEqual(N);
  } finally {
    await c.end();
  }
}

async function metric(relay: RelayProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

describe('relay processes on one PostgreSQL, failing over', () => {
  it('loses nothing acked and doubles nothing when relay A is killed mid-stream and its clients move to B', { timeout: 240_000 }, async (ctx) => {
    if (!PG_URL) return ctx.skip();
    await requireKeychain(ctx);
    const db = await pgDatabase();
    const a = await relayOn(db);
    const b = await relayOn(db, { dbFromEnv: true }); // TESSERA_RELAY_DB, as a URL with a password should be given
    const { olive, jay } = await team(`${a.url},${b.url}`, `${b.url},${a.url}`);
    const writer = watch(olive);
    const reader = watch(jay);
    const logs = () => `writer:\n${writer.log()}\nreader:\n${reader.log()}`;
    for (let i = 0; i < N; i++) {
      await olive.ok(['set', `KEY_${i}`, '--vault', VAULT, '--env', 'production'], { input: `value-${i}` });
      if (i === N / 2) await a.kill('SIGKILL');
    }
    await readerHasAll(jay, logs);
    // Before A died, Jay on B got Olive's changes through A's notices.
    expect(await metric(b, 'tessera_relay_deliveries_total{source="remote"}')).toBeGreaterThan(0);
    expect(writer.log(), logs()).toMatch(new RegExp(`connected to ${b.url.replace(/[.:/]/g, '\\$&')}`));
    expect([await writer.stop(), await reader.stop()]).toEqual([0, 0]);
    // Once more through B alone: Olive has nothing left to push, Jay nothing left to pull.
    expect((await olive.ok(['sync'])).stdout).toMatch(/pushed 0, pulled 0/);
    await storedOnce(db);
  });

  it('loses nothing acked when PostgreSQL restarts mid-stream: relays reconnect, clients retry', { timeout: 240_000 }, async (ctx) => {
    if (!PG_URL) return ctx.skip(); // CI, which has the server binaries too
    await requireKeychain(ctx);
    const pg = await startPgCluster({ logStatement: 'none' });
    onCleanup(pg.destroy);
    // Its URL carries a password: given in the environment, as it should be.
    const a = await relayOn(pg.adminUrl, { dbFromEnv: true });
    const b = await relayOn(pg.adminUrl, { dbFromEnv: true });
    const { olive, jay } = await team(a.url, b.url);
    const writer = watch(olive);
    const reader = watch(jay);
    const logs = () => `writer:\n${writer.log()}\nreader:\n${reader.log()}`;
    for (let i = 0; i < N; i++) {
      await olive.ok(['set', `KEY_${i}`, '--vault', VAULT, '--env', 'production'], { input: `value-${i}` });
      if (i === N / 2) {
        await pg.stop();
        await pg.start();
      }
    }
    await readerHasAll(jay, logs);
    expect([await writer.stop(), await reader.stop()]).toEqual([0, 0]);
    const health = await fetch(`http://127.0.0.1:${b.port}/healthz`);
    expect(health.status).toBe(200);
    // Both relays heard the restart: each listened again and read what it may have missed.
    for (const r of [a, b]) expect(await metric(r, 'tessera_relay_notice_resumes_total')).toBeGreaterThanOrEqual(1);
    await storedOnce(pg.adminUrl);
  });
});
