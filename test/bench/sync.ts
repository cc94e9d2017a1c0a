/**
 * bench:sync — how fast a change reaches 50 subscribed readers through the relay, against the
 * plain (unencrypted) y-websocket server, on loopback, in the same run.
 *
 * Each side runs its server as a separate process and, in this one, one writer and N readers
 * of one vault (one room), each reader with its own connection and Y.Doc. Tessera readers
 * decode, verify, open and apply every envelope before the arrival counts; plain readers
 * count it when their doc's 'update' event brings the change. Two phases per side:
 *   1. latency: K changes paced one every 20 ms; p50 and p99 over all (change, reader) pairs;
 *   2. throughput: M changes as fast as the writer may make them; accepted/s (acks at the
 *      writer) and delivered/s (changes applied on all readers, first change to last arrival);
 *   3. relay throughput: the same M changes made up front, sent as fast as each server takes
 *      them, readers only counting arrivals: the servers' own capacity (sync-capacity.ts).
 *      Phases 1 and 2 put every reader's verification on this one process's core.
 * The numbers are the result: a missed target still exits 0; missing changes or errors exit 1.
 *
 * BENCH_READERS, BENCH_LATENCY_CHANGES and BENCH_THROUGHPUT_CHANGES override 50, 300 and 2000.
 * To profile: `node --cpu-prof out/node/bench-sync.mjs` for this process, and
 * BENCH_SYNC_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" for the relay's.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { runPlain } from './sync-plain';
import { killServersNow, percentile, phaseRange, Workload, type Plan, type SideRun } from './sync-support';
import { relayArgs, runTessera } from './sync-tessera';
import { plainCapacity, tesseraCapacity, type Capacity } from './sync-capacity';

const PLAN: Plan = {
  readers: Number(process.env.BENCH_READERS ?? 50),
  warmup: 20,
  latency: Number(process.env.BENCH_LATENCY_CHANGES ?? 300),
  intervalMs: 20,
  throughput: Number(process.env.BENCH_THROUGHPUT_CHANGES ?? 2000),
  waitMs: 60_000,
};
/** The whole run, both sides, normally takes well under a minute. */
const GUARD_MS = 180_000;
const TARGET_P99_MS = 50;
const TARGET_DELIVERED_RATIO = 0.5;

interface Row {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly loadedP50: number;
  readonly loadedP99: number;
  readonly accepted: number | undefined;
  /** Plain only: changes per second relayed to the first reader that had them all. */
  readonly relayed: number | undefined;
  readonly delivered: number;
  readonly seconds: number;
  readonly duplicates: number;
}

function summarize(name: string, run: SideRun): Row {
  const lat = (phase: 'latency' | 'throughput') => {
    const sorted = run.ledger.latencies(...phaseRange(PLAN, phase)).sort();
    return [percentile(sorted, 0.5), percentile(sorted, 0.99)] as const;
  };
  const [p50, p99] = lat('latency');
  const [loadedP50, loadedP99] = lat('throughput');
  const [from, to] = phaseRange(PLAN, 'throughput');
  const start = run.ledger.changedAt[from]!;
  const { last, firstReaderDone } = run.ledger.completion(from, to);
  const perSecond = (n: number, end: number) => n / ((end - start) / 1000);
  return {
    name,
    p50,
    p99,
    loadedP50,
    loadedP99,
    accepted: run.lastAcceptedAt === undefined ? undefined : perSecond(PLAN.throughput, run.lastAcceptedAt),
    relayed: run.lastAcceptedAt === undefined ? perSecond(PLAN.throughput, firstReaderDone) : undefined,
    delivered: perSecond(PLAN.throughput * PLAN.readers, last),
    seconds: (last - start) / 1000,
    duplicates: run.ledger.duplicates,
  };
}

const num = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pad = (cells: string[]) => cells[0]!.padEnd(20) + cells.slice(1).map((c, i) => c.padStart(i === 2 ? 22 : i === 3 ? 14 : 12)).join('');

function report(tessera: Row, plain: Row, capacity: { tessera: Capacity; plain: Capacity }): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const accepted = (r: Row) => (r.accepted !== undefined ? num(r.accepted) : `n/a (relayed ~${num(r.relayed!)})`);
  console.log('');
  console.log(pad(['', 'p50 ms', 'p99 ms', 'accepted/s', 'delivered/s']));
  for (const r of [tessera, plain]) console.log(pad([r.name, num(r.p50, 2), num(r.p99, 2), accepted(r), num(r.delivered)]));
  console.log(pad(['Tessera / plain', ratio(tessera.p50, plain.p50), ratio(tessera.p99, plain.p99), '', ratio(tessera.delivered, plain.delivered)]));
  console.log('');
  console.log(`latency: ${PLAN.latency} changes × ${PLAN.readers} readers = ${PLAN.latency * PLAN.readers} samples per side (after ${PLAN.warmup} warm-up changes)`);
  for (const r of [tessera, plain]) {
    console.log(`throughput, ${r.name}: ${PLAN.throughput} changes on ${PLAN.readers} readers in ${r.seconds.toFixed(2)} s; latency under that load p50 ${num(r.loadedP50, 1)} ms, p99 ${num(r.loadedP99, 1)} ms`);
  }
  console.log(`plain "relayed/s": changes per second until the first reader had all of them (the server sends no acks)`);
  console.log(`all ${PLAN.readers} readers of a side share this process (one core): delivered/s is bounded by their per-delivery CPU cost too`);
  const dup = tessera.duplicates + plain.duplicates;
  if (dup) console.log(`duplicate arrivals ignored: Tessera ${tessera.duplicates}, plain ${plain.duplicates}`);
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log('');
  console.log(`relay throughput (${PLAN.throughput} changes made up front, ${PLAN.readers} readers counting arrivals):`);
  console.log(pad(['', '', '', 'accepted/s', 'delivered/s']));
  console.log(pad(['Tessera relay', '', '', num(capacity.tessera.accepted), num(capacity.tessera.delivered)]));
  console.log(pad(['y-websocket server', '', '', `${num(capacity.plain.accepted)} (sent)`, num(capacity.plain.delivered)]));
  const capRatio = capacity.tessera.delivered / capacity.plain.delivered;
  console.log(pad(['Tessera / plain', '', '', '', `${capRatio.toFixed(2)}×`]));
  const e2e = tessera.delivered / plain.delivered;
  console.log('');
  console.log(`target p99 ≤ ${TARGET_P99_MS} ms: Tessera ${num(tessera.p99, 2)} ms — ${mark(tessera.p99 <= TARGET_P99_MS)} (plain ${num(plain.p99, 2)} ms)`);
  console.log(`target relay throughput ≥ ${TARGET_DELIVERED_RATIO} × plain: ${capRatio.toFixed(2)}× — ${mark(capRatio >= TARGET_DELIVERED_RATIO)}`);
  console.log(`(end to end, with every reader verifying and applying in this one process: ${e2e.toFixed(2)}× plain)`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-sync-'));
  const guard = setTimeout(() => {
    console.error(`bench:sync: still running after ${GUARD_MS / 1000} s: giving up`);
    killServersNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, GUARD_MS);
  guard.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killServersNow();
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  process.once('exit', killServersNow);
  try {
    const total = PLAN.warmup + PLAN.latency + PLAN.throughput;
    const workload = new Workload(total + PLAN.throughput, nodeSuite.randomBytes);
    console.log(`bench:sync — 1 writer, ${PLAN.readers} readers, loopback; latency: ${PLAN.latency} changes, one every ${PLAN.intervalMs} ms; throughput: ${PLAN.throughput} changes`);
    console.log(`cores: ${availableParallelism()} (${cpus()[0]?.model.trim() ?? 'unknown'}); node ${process.version}; crypto: ${nodeSuite.name}`);
    let t = performance.now();
    const tesseraRun = await runTessera(PLAN, workload, dir);
    console.log(`Tessera side done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const plainRun = await runPlain(PLAN, workload);
    console.log(`plain side done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const note of [...tesseraRun.notes, ...plainRun.notes]) console.log(note);
    t = performance.now();
    const first = total; // fresh change numbers, not yet applied anywhere
    const capacity = {
      tessera: await tesseraCapacity(relayArgs(dir, 'capacity.db'), PLAN.readers, workload, first, PLAN.throughput),
      plain: await plainCapacity(PLAN.readers, workload, first, PLAN.throughput),
    };
    console.log(`relay throughput phase done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    report(summarize('Tessera (relay)', tesseraRun), summarize('plain y-websocket', plainRun), capacity);
  } finally {
    clearTimeout(guard);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:sync failed: ${(e as Error)?.stack ?? String(e)}`);
  process.exitCode = 1;
});
