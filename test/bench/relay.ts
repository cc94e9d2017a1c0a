/**
 * bench:relay — the relay's own capacity on each storage backend, in one run: one writer
 * pushing as fast as the relay acks, 50 readers counting arrivals (sync-capacity.ts), on
 * SQLite (a file) and on PostgreSQL (TESSERA_TEST_PG or BENCH_PG: a server the bench may
 * create a database on). The baseline is SQLite, measured in the same run. Target:
 * PostgreSQL at least 0.5× SQLite. Several relay processes on one database are not measured:
 * the relay does not fan out across processes yet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { freshPgDatabase } from '../helpers/storage-backends';
import { tesseraCapacity } from './sync-capacity';
import { killServersNow, Workload } from './sync-support';
import { relayArgs } from './sync-tessera';

const READERS = Number(process.env.BENCH_READERS ?? 50);
const CHANGES = Number(process.env.BENCH_THROUGHPUT_CHANGES ?? 2000);
const num = (x: number) => Math.round(x).toLocaleString('en-US');

/** The relay's arguments with its --db replaced. */
const withDb = (args: string[], db: string): string[] => args.map((a, i) => (args[i - 1] === '--db' ? db : a));

async function main(): Promise<void> {
  if (!process.env.TESSERA_TEST_PG && process.env.BENCH_PG) process.env.TESSERA_TEST_PG = process.env.BENCH_PG;
  if (!process.env.TESSERA_TEST_PG) throw new Error('bench:relay needs a PostgreSQL server: set BENCH_PG (or TESSERA_TEST_PG) to postgres://USER@HOST/DB');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-relay-'));
  const pg = await freshPgDatabase();
  process.once('exit', killServersNow);
  try {
    const workload = new Workload(2 * CHANGES, nodeSuite.randomBytes);
    console.log(`bench:relay — 1 writer → ${READERS} readers, ${CHANGES} changes, loopback, one relay process per backend`);
    const sqlite = await tesseraCapacity(relayArgs(dir, 'bench.db'), READERS, workload, 0, CHANGES);
    const postgres = await tesseraCapacity(withDb(relayArgs(dir), pg.url), READERS, workload, CHANGES, CHANGES);
    console.log(`${'backend'.padEnd(26)}${'accepted/s'.padStart(12)}${'delivered/s'.padStart(14)}`);
    console.log(`${'SQLite (baseline)'.padEnd(26)}${num(sqlite.accepted).padStart(12)}${num(sqlite.delivered).padStart(14)}`);
    console.log(`${'PostgreSQL'.padEnd(26)}${num(postgres.accepted).padStart(12)}${num(postgres.delivered).padStart(14)}`);
    const ratio = postgres.accepted / sqlite.accepted;
    console.log(`PostgreSQL / SQLite accepted: ${ratio.toFixed(2)}× (target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'not met'}); delivered ${(postgres.delivered / sqlite.delivered).toFixed(2)}×`);
  } finally {
    killServersNow();
    await pg.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:relay failed: ${(e as Error)?.stack ?? String(e)}`);
  process.exitCode = 1;
});
