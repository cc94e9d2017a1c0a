/**
 * bench:audit — the local audit log with 100,000 events (reveals, copies, exports, runs over
 * 20 vaults × 500 secrets × 3 environments, spread over 90 days):
 *   append: recorded in batches of 1,000 (events recorded together share one write and
 *           sync), plus the latency of one event recorded alone;
 *   verify: the whole chain: every link, every signed checkpoint, and the head;
 *   query:  one secret in one vault over the last 30 days, newest first: cold (a fresh
 *           process reading and opening the log) and warm (the log already read, as in
 *           the desktop app).
 * Baseline, same run: the same events as plain JSON lines, no seal and no chain, written in
 * the same batches with the same sync, read back and parsed (verify's counterpart), and
 * filtered (cold: read and parse, then filter; warm: filter parsed events).
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, AuditEventInput } from '../../src-shared/audit/events';
import { openAuditLog } from '../../src-main/audit/audit-log';
import { selectEvents, type AuditFilter } from '../../src-main/audit/query';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { createProfile } from '../../src-main/profile/profile';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 1000;
const RUNS = 5;
const DAY = 86_400_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

function makeEvents(now: number): AuditEventInput[] {
  const actions = ['reveal', 'copy', 'reveal', 'export', 'run', 'secret-edited'] as const;
  const envs = ['development', 'staging', 'production'];
  return Array.from({ length: EVENTS }, (_, i) => {
    const v = i % 20;
    const action = actions[i % actions.length]!;
    const base = { action, vaultId: `${v.toString(16).padStart(32, '0')}`, vault: `vault-${v}`, environment: envs[i % 3], at: now - 90 * DAY + Math.floor((i / EVENTS) * 90 * DAY) };
    if (action === 'export' || action === 'run') {
      const detail: AuditEventInput['detail'] = action === 'run' ? { command: 'npm start' } : { count: 2, destination: 'dotenv' };
      return { ...base, secrets: [`SECRET_${(i * 7) % 500}`, `SECRET_${(i * 13) % 500}`], detail };
    }
    return { ...base, secret: `SECRET_${(i * 31) % 500}`, ...(action === 'secret-edited' ? { detail: { field: 'description' } } : {}) };
  });
}

async function appendLines(path: string, lines: string[]): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(lines.join(''));
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-bench-audit-'));
  try {
    const keychain = createMemoryKeychain();
    const session = await createProfile(nodeSuite, home, { name: 'Bench', keychain });
    const now = Date.now();
    const events = makeEvents(now);
    // A secret that some recent events are about.
    const target = events[EVENTS - 7]!;
    const filter: AuditFilter = { vault: target.vault, secret: target.secret, since: now - 30 * DAY };
    console.log(`bench:audit — ${EVENTS} events in batches of ${BATCH}; crypto: ${nodeSuite.name}`);

    // Append.
    const log = await openAuditLog(session);
    let t = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) await Promise.all(events.slice(i, i + BATCH).map((e) => log.record(e)));
    const append = performance.now() - t;

    const plainPath = join(home, 'plain.jsonl');
    const plainLines = events.map((e, i) => JSON.stringify({ ...e, seq: i, by: session.memberId, device: session.profile.profileId }) + '\n');
    t = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) await appendLines(plainPath, plainLines.slice(i, i + BATCH));
    const appendPlain = performance.now() - t;
    console.log(`append ${EVENTS}: ${ms(append)} (${((append / EVENTS) * 1000).toFixed(1)} µs/event)`);
    console.log(`  baseline, plain JSON lines: ${ms(appendPlain)}   ratio ${(append / appendPlain).toFixed(2)}×`);

    const single: number[] = [];
    const singlePlain: number[] = [];
    for (let i = 0; i < 50; i++) {
      t = performance.now();
      await log.record({ action: 'lock', detail: { reason: 'idle' } });
      single.push(performance.now() - t);
      t = performance.now();
      await appendLines(plainPath, [JSON.stringify({ action: 'lock', detail: { reason: 'idle' } }) + '\n']);
      singlePlain.push(performance.now() - t);
    }
    console.log(`one event recorded alone, median of 50: ${ms(median(single))}`);
    console.log(`  baseline, one plain JSON line with its sync: ${ms(median(singlePlain))}   ratio ${(median(single) / median(singlePlain)).toFixed(2)}×`);

    // Verify.
    const verify: number[] = [];
    const readPlain: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      const result = await log.verify();
      verify.push(performance.now() - t);
      if (!result.ok) throw new Error(`verify failed: ${result.broken?.message}`);
      t = performance.now();
      const parsed = (await readFile(plainPath, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      readPlain.push(performance.now() - t);
      if (parsed.length < EVENTS) throw new Error('baseline lost lines');
    }
    const v = median(verify);
    console.log(`verify the whole chain (${EVENTS + 50} events: every link, signed checkpoint and the head), median of ${RUNS}: ${ms(v)}   (target ≤ 1000 ms)`);
    console.log(`  baseline, read and parse the plain JSON lines: ${ms(median(readPlain))}   ratio ${(v / median(readPlain)).toFixed(2)}×`);

    // Query.
    const cold: number[] = [];
    const coldPlain: number[] = [];
    let found = 0;
    for (let r = 0; r < RUNS; r++) {
      const fresh = await openAuditLog(session);
      t = performance.now();
      found = (await fresh.query(filter)).length;
      cold.push(performance.now() - t);
      await fresh.close();
      t = performance.now();
      const parsed = (await readFile(plainPath, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
      const plainFound = selectEvents(parsed, filter).length;
      coldPlain.push(performance.now() - t);
      if (plainFound !== found) throw new Error(`the query found ${found}, the baseline ${plainFound}`);
    }
    const warm: number[] = [];
    const warmPlain: number[] = [];
    const parsed = (await readFile(plainPath, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
    await log.query({ limit: 1 });
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      await log.query(filter);
      warm.push(performance.now() - t);
      t = performance.now();
      selectEvents(parsed, filter);
      warmPlain.push(performance.now() - t);
    }
    console.log(`query (one secret, one vault, last 30 days: ${found} events), median of ${RUNS}:`);
    console.log(`  warm (log already read, as in the app): ${ms(median(warm))}   (target ≤ 100 ms)`);
    console.log(`    baseline, filter parsed plain events: ${ms(median(warmPlain))}   ratio ${(median(warm) / median(warmPlain)).toFixed(2)}×`);
    console.log(`  cold (a new process: read, open and parse the log, then filter): ${ms(median(cold))}`);
    console.log(`    baseline, read and parse plain JSON lines, then filter: ${ms(median(coldPlain))}   ratio ${(median(cold) / median(coldPlain)).toFixed(2)}×`);
    await log.close();
    session.lock();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
