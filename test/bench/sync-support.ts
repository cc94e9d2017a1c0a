/**
 * What both sides of bench:sync share: the server child processes, the change workload, the
 * ledger of change and arrival times, and the statistics printed from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type * as Y from 'yjs';
import { versionHead } from '../../src-shared/vault/records';
import type { ValuesScope } from '../../src-shared/vault/values-scope';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How the phases of one side are laid out: changes are numbered 0…total-1 in this order. */
export interface Plan {
  readonly readers: number;
  readonly warmup: number;
  /** Phase 1: paced changes. */
  readonly latency: number;
  readonly intervalMs: number;
  /** Phase 2: changes as fast as the writer may make them. */
  readonly throughput: number;
  /** How long to wait for every reader to have every change of a phase. */
  readonly waitMs: number;
}

export const phaseRange = (plan: Plan, phase: 'warmup' | 'latency' | 'throughput'): [number, number] =>
  phase === 'warmup' ? [0, plan.warmup]
  : phase === 'latency' ? [plan.warmup, plan.warmup + plan.latency]
  : [plan.warmup + plan.latency, plan.warmup + plan.latency + plan.throughput];

/** When each change was made, and when each reader had it applied (NaN until then). */
export class Ledger {
  readonly changedAt: Float64Array;
  private readonly arrivedAt: Float64Array;
  private readonly perChange: Uint16Array;
  duplicates = 0;

  constructor(
    readonly changes: number,
    readonly readers: number,
  ) {
    this.changedAt = new Float64Array(changes).fill(NaN);
    this.arrivedAt = new Float64Array(changes * readers).fill(NaN);
    this.perChange = new Uint16Array(changes);
  }

  arrive(reader: number, change: number, at: number): void {
    if (!(change >= 0 && change < this.changes)) throw new Error(`reader ${reader} got an unknown change ${change}`);
    const i = change * this.readers + reader;
    if (!Number.isNaN(this.arrivedAt[i]!)) {
      this.duplicates++;
      return;
    }
    this.arrivedAt[i] = at;
    this.perChange[change]!++;
  }

  /** (change, reader) pairs in [from, to) that have not arrived. */
  missing(from: number, to: number): number {
    let n = 0;
    for (let c = from; c < to; c++) n += this.readers - this.perChange[c]!;
    return n;
  }

  /**
   * Waits until every reader has every change in [from, to), at most `ms`, or until `stop()`
   * says something went wrong. Resolves with how many are still missing. Polls: when the
   * last one arrived is not measured here (arrivals carry their own times).
   */
  async waitAll(from: number, to: number, ms: number, stop: () => boolean): Promise<number> {
    const deadline = performance.now() + ms;
    while (this.missing(from, to) > 0 && !stop() && performance.now() < deadline) await sleep(20);
    return this.missing(from, to);
  }

  /** Every arrival − change time over [from, to) × all readers, in ms. */
  latencies(from: number, to: number): Float64Array {
    const out = new Float64Array((to - from) * this.readers);
    let k = 0;
    for (let c = from; c < to; c++) {
      for (let r = 0; r < this.readers; r++) out[k++] = this.arrivedAt[c * this.readers + r]! - this.changedAt[c]!;
    }
    return out;
  }

  /** The latest arrival over [from, to), and the earliest time one reader had all of them. */
  completion(from: number, to: number): { last: number; firstReaderDone: number } {
    let last = -Infinity;
    let firstReaderDone = Infinity;
    for (let r = 0; r < this.readers; r++) {
      let readerLast = -Infinity;
      for (let c = from; c < to; c++) readerLast = Math.max(readerLast, this.arrivedAt[c * this.readers + r]!);
      last = Math.max(last, readerLast);
      firstReaderDone = Math.min(firstReaderDone, readerLast);
    }
    return { last, firstReaderDone };
  }
}

/** What one side hands back: its ledger and what only it can tell. */
export interface SideRun {
  readonly ledger: Ledger;
  /** When the writer's last throughput change was acknowledged; undefined without acks. */
  readonly lastAcceptedAt?: number;
  readonly notes: readonly string[];
}

/**
 * Drives the writer through the phases: warm-up and latency paced one change every
 * `intervalMs`, throughput as fast as `gate` lets through (no gate: a tight loop). After each
 * phase waits for every reader to have every change; throws if some never arrive or if
 * `failures()` reports anything.
 */
export async function runPhases(
  plan: Plan,
  ledger: Ledger,
  change: (g: number) => void,
  gate: (() => Promise<void>) | undefined,
  failures: () => readonly string[],
): Promise<void> {
  const settle = async (phase: 'warmup' | 'latency' | 'throughput') => {
    const [from, to] = phaseRange(plan, phase);
    const missing = await ledger.waitAll(from, to, plan.waitMs, () => failures().length > 0);
    if (failures().length) throw new Error(`${phase}: ${failures().join('; ')}`);
    if (missing) throw new Error(`${phase}: ${missing} of ${(to - from) * plan.readers} (change, reader) deliveries missing after ${plan.waitMs} ms`);
  };
  for (const phase of ['warmup', 'latency'] as const) {
    const [from, to] = phaseRange(plan, phase);
    const start = performance.now();
    for (let g = from; g < to; g++) {
      const wait = start + (g - from) * plan.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      change(g);
    }
    await settle(phase);
  }
  const [from, to] = phaseRange(plan, 'throughput');
  for (let g = from; g < to; g++) {
    if (gate) await gate();
    change(g);
  }
  await settle('throughput');
}

/** Nearest-rank percentile; p in (0, 1]. */
export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** The change every writer makes: one new version of one of SECRETS secrets. */
export class Workload {
  static readonly SECRETS = 100;
  private readonly values: string[];

  constructor(total: number, random: (n: number) => Uint8Array) {
    // Made up front so that the timed change is only the vault code and Yjs.
    this.values = Array.from({ length: total }, () => `sk_live_${Buffer.from(random(24)).toString('base64url')}`);
  }

  /** Change number `change`: what `readChanges` gives back on a reader. */
  apply(values: ValuesScope, change: number, by: string): void {
    values.addVersion(`bench-${change}`, `secret-${change % Workload.SECRETS}`, this.values[change]!, { by, at: Date.now() });
  }
}

/**
 * Calls `onChanges` with the change numbers that each transaction on `doc` brought, read back
 * from the version records themselves (the values scope observes the same array).
 */
export function watchChanges(doc: Y.Doc, onChanges: (changes: number[]) => void): void {
  doc.getArray<string>('versions').observe((event) => {
    const changes: number[] = [];
    for (const item of event.changes.added) {
      for (const record of item.content.getContent()) {
        const head = versionHead(record);
        if (head?.versionId.startsWith('bench-')) changes.push(Number(head.versionId.slice(6)));
      }
    }
    if (changes.length) onChanges(changes);
  });
}

/** A server in a child process, with the tail of what it printed for error reports. */
export class ServerProcess {
  private readonly output: string[] = [];
  private exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 40) this.output.splice(0, this.output.length - 40);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Spawns `node args…` and waits (at most `ms`) for a stdout line matching `ready`. */
  static async start(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, ms = 10_000): Promise<{ server: ServerProcess; match: RegExpMatchArray }> {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(name, child);
    live.add(server);
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const m = buffered.match(ready);
        if (m) finish(() => resolve(m));
      };
      const onExit = (code: number | null) => finish(() => reject(new Error(`${name} exited (${code}) before it was ready:\n${server.tail()}`)));
      const timer = setTimeout(() => finish(() => reject(new Error(`${name} was not ready after ${ms} ms:\n${server.tail()}`))), ms);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        then();
      };
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
    }).catch(async (e: unknown) => {
      await server.stop();
      throw e;
    });
    return { server, match };
  }

  tail(): string {
    return this.output.map((l) => `  ${this.name}: ${l}`).join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `ms`. */
  async stop(ms = 5_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
      await this.exited;
      clearTimeout(timer);
    }
    live.delete(this);
  }
}

const live = new Set<ServerProcess>();

/** Last resort on an abnormal exit: no server outlives the bench. */
export function killServersNow(): void {
  for (const s of live) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}

/** A free loopback port, for a server that cannot be told to pick one itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
