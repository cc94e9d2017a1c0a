/**
 * The local audit log: one per profile, append-only, hash-chained, sealed under a key
 * derived from the device key, with a signed checkpoint every so many records
 * (records.ts has the format, verify.ts the checks).
 *
 *   <profile>/audit/audit.log     the records
 *   <profile>/audit/audit.head    count and last hash under an HMAC (head.ts)
 *   <profile>/audit/pending.jsonl failed unlocks, noted while no key was at hand
 *
 * The desktop app and any number of CLI processes append at once: each append batch takes
 * the audit log's own lock (never the profile lock, which a vault edit may already hold
 * when it reports), reads what others appended since, and writes and syncs its records in
 * one write. Events recorded together in one process share that batch (group commit).
 */
import { promises as fs } from 'node:fs';
import lockfile from 'proper-lockfile';
import type { AuditEvent, AuditEventInput } from '../../src-shared/audit/events';
import type { Alert } from '../../src-shared/api/types';
import { equalBytes, fromBase64Url, wipe } from '../../src-shared/crypto/bytes';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import { ensureDir, readFileIfExists, syncDir } from '../fs/atomic-file';
import type { Session } from '../profile/profile';
import type { AuditSink } from './audit-sink';
import { AlertEngine, type AlertConfigChanges } from './alerts/engine';
import { rotationOverdueAlerts, type OverdueSource } from './alerts/rotation-overdue';
import { auditPaths } from './audit-paths';
import { readHead, writeHead, type Head } from './head';
import { drainPending } from './pending';
import { eventsToCsv, eventsToJson, selectEvents, type AuditFilter } from './query';
import {
  auditKeysFromDeviceKey,
  checkpointMessage,
  checkpointRecord,
  genesisHash,
  hashBody,
  nextRecordStart,
  openEventBody,
  recordAt,
  sealEventRecord,
  type AuditKeys,
} from './records';
import { verifyLog, type VerifyResult } from './verify';

export interface AuditLogOptions {
  /** A signed checkpoint after this many records (default 1000). */
  readonly checkpointEvery?: number;
  /** For tests: the time events are stamped with. */
  readonly clock?: () => number;
  /** Changes to the alert rules' default thresholds. */
  readonly alerts?: AlertConfigChanges;
  /** What is overdue for rotation (the rotation module provides it). */
  readonly overdue?: OverdueSource;
}

interface Tail {
  offset: number;
  seq: number;
  lastHash: Uint8Array;
}

interface Pending {
  json: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const FIELDS = ['action', 'vaultId', 'vault', 'secret', 'secrets', 'environment', 'subject', 'detail'] as const;

export class AuditLog implements AuditSink {
  private readonly paths: ReturnType<typeof auditPaths>;
  private readonly checkpointEvery: number;
  private readonly clock: () => number;
  private tail: Tail | null = null;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  // What query and alerts have read so far; appends by any process are read incrementally.
  private readonly events: AuditEvent[] = [];
  private loadedOffset = 0;
  private unreadable = 0;
  private engine: AlertEngine;
  private readonly raised: Alert[] = [];
  private alerted = 0;
  private readonly listeners = new Set<(a: Alert) => void>();

  constructor(
    private readonly suite: CryptoSuite,
    home: string,
    private readonly profileId: string,
    private readonly memberId: string,
    private readonly keys: AuditKeys,
    private readonly signing: { seed: Uint8Array; publicKey: Uint8Array },
    private readonly opts: AuditLogOptions = {},
  ) {
    this.paths = auditPaths(home);
    this.checkpointEvery = opts.checkpointEvery ?? 1000;
    this.clock = opts.clock ?? Date.now;
    this.engine = new AlertEngine(opts.alerts);
  }

  /** Appends one event; resolves once it is on disk. Never put a secret value in it. */
  record(input: AuditEventInput): Promise<void> {
    if (this.closed) return Promise.reject(new TesseraError('VAULT_LOCKED', 'The audit log is closed'));
    const json = this.stamp(input);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ json, resolve, reject });
      // Start on a microtask so that events recorded together land in one batch.
      this.flushing ??= Promise.resolve().then(() => this.flush());
    });
  }

  /** The stored form of an event: who and which device recorded it, and when. */
  private stamp(input: AuditEventInput): string {
    const stored: Record<string, unknown> = {};
    for (const f of FIELDS) if (input[f] !== undefined) stored[f] = input[f];
    stored.at = input.at ?? this.clock();
    stored.by = this.memberId;
    stored.device = this.profileId;
    return JSON.stringify(stored);
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0);
        try {
          await this.withLock(() => this.appendBatch(batch.map((b) => b.json)));
          for (const b of batch) b.resolve();
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.flushing = null;
    }
    if (this.listeners.size) await this.refresh().catch(() => {});
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await ensureDir(this.paths.dir);
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.paths.log, {
        realpath: false,
        lockfilePath: this.paths.lock,
        stale: 5_000,
        update: 1_000,
        retries: { retries: 200, factor: 1.3, minTimeout: 2, maxTimeout: 100, randomize: true },
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'ELOCKED') throw new TesseraError('STORE_BUSY', 'Another Tessera process is writing the audit log; try again');
      throw e;
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  }

  /** Under the lock: where the chain ends now, reading only what others appended since last time. */
  private async currentTail(): Promise<Tail> {
    const size = (await fs.stat(this.paths.log).catch(() => null))?.size ?? 0;
    if (this.tail && this.tail.offset === size) return this.tail;
    const from = this.tail && this.tail.offset < size ? this.tail : { offset: 0, seq: 0, lastHash: genesisHash(this.profileId) };
    const buf = size > from.offset ? await readRange(this.paths.log, from.offset, size) : new Uint8Array(0);
    let { seq, lastHash } = from;
    let pos = 0;
    let good = 0;
    while (pos < buf.length) {
      const r = recordAt(buf, pos);
      if (r.kind === 'tail') break;
      if (r.kind === 'garbage') {
        pos = nextRecordStart(buf, pos + 1);
        good = pos;
        continue;
      }
      seq = r.seq + 1;
      lastHash = hashBody(r.body);
      pos = good = r.end;
    }
    if (good < buf.length) await this.setAsideTornTail(from.offset + good, buf.subarray(good));
    this.tail = { offset: from.offset + good, seq, lastHash };
    return this.tail;
  }

  /**
   * A partial record at the end while we hold the lock is an append a crash cut short (the
   * head never counted it). It is kept beside the log, not deleted, and cut from the log
   * so the chain can go on.
   */
  private async setAsideTornTail(at: number, bytes: Uint8Array): Promise<void> {
    await fs.writeFile(`${this.paths.log}.torn-${this.clock()}`, bytes, { mode: 0o600 });
    await fs.truncate(this.paths.log, at);
  }

  private async appendBatch(jsons: string[]): Promise<void> {
    const tail = await this.currentTail();
    const head = await readHead(this.paths.head, this.keys.head);
    const cut = this.cutFound(tail, head);
    let broken = head && head !== 'damaged' ? head.broken : null;
    if (cut && !broken) {
      broken = { at: tail.seq, reason: cut.reason };
      jsons = [this.stamp({ action: 'tampering', detail: { source: 'the audit log', reason: cut.reason, seq: tail.seq, message: cut.message } }), ...jsons];
    }
    if (jsons.length === 0) return;
    let { seq, lastHash } = tail;
    const frames: Uint8Array[] = [];
    for (const json of jsons) {
      if (seq > 0 && seq % this.checkpointEvery === 0) {
        const at = this.clock();
        const signature = this.suite.ed25519.sign(checkpointMessage(this.profileId, seq, lastHash, at), this.signing.seed, this.signing.publicKey);
        const c = checkpointRecord(seq, lastHash, at, signature);
        frames.push(c.frame);
        lastHash = hashBody(c.body);
        seq++;
      }
      const r = sealEventRecord(this.suite, this.keys.seal, seq, lastHash, json);
      frames.push(r.frame);
      lastHash = hashBody(r.body);
      seq++;
    }
    const bytes = Buffer.concat(frames);
    const fh = await fs.open(this.paths.log, 'a', 0o600);
    try {
      await fh.write(bytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (tail.offset === 0) await syncDir(this.paths.dir);
    this.tail = { offset: tail.offset + bytes.length, seq, lastHash };
    await writeHead(this.paths.head, this.keys.head, { count: seq, lastHash, broken });
  }

  /**
   * Whether the log is shorter than the head says, or the head is gone or forged. (A head
   * behind the log is a crash between the two writes, not a cut.) Cheap: the chain's end
   * is already known; verify() checks everything else.
   */
  private cutFound(tail: Tail, head: Head | null | 'damaged'): { reason: 'truncated' | 'head'; message: string } | null {
    if (head === 'damaged') return { reason: 'head', message: 'the head file was changed' };
    if (head === null) return tail.seq > 0 ? { reason: 'head', message: 'the head file was removed' } : null;
    if (head.count > tail.seq) return { reason: 'truncated', message: `records #${tail.seq} to #${head.count - 1} were cut off the end of the log` };
    if (head.count === tail.seq && !equalBytes(head.lastHash, tail.lastHash)) return { reason: 'truncated', message: `the end of the log was replaced from record #${head.count - 1}` };
    return null;
  }

  /** Reads events appended (by any process) since the last read; feeds the alert rules. */
  async refresh(): Promise<void> {
    const size = (await fs.stat(this.paths.log).catch(() => null))?.size ?? 0;
    if (size < this.loadedOffset) {
      // The file shrank: someone cut it. Read it again from the start (verify names the damage).
      this.events.length = 0;
      this.raised.length = 0;
      this.alerted = 0;
      this.loadedOffset = 0;
      this.unreadable = 0;
      this.engine = new AlertEngine(this.opts.alerts);
    }
    if (size === this.loadedOffset) return;
    const buf = await readRange(this.paths.log, this.loadedOffset, size);
    let pos = 0;
    let good = 0;
    while (pos < buf.length) {
      const r = recordAt(buf, pos);
      if (r.kind === 'tail') break;
      if (r.kind === 'garbage') {
        pos = good = nextRecordStart(buf, pos + 1);
        continue;
      }
      pos = good = r.end;
      if (r.type !== 'event') continue;
      const json = openEventBody(this.suite, this.keys.seal, r.body);
      const event = json === null ? null : parseEvent(json, r.seq);
      if (!event) {
        this.unreadable++;
        continue;
      }
      this.events.push(event);
    }
    this.loadedOffset += good;
    if (this.listeners.size) this.feedAlerts();
  }

  /** Runs the alert rules over events read since they last ran (only when alerts are asked for). */
  private feedAlerts(): void {
    for (; this.alerted < this.events.length; this.alerted++) {
      for (const a of this.engine.observe(this.events[this.alerted]!)) {
        this.raised.push(a);
        for (const l of this.listeners) l(a);
      }
    }
  }

  /** Matching events, newest first. */
  async query(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    await this.refresh();
    return selectEvents(this.events, filter);
  }

  /** The events a query selects, as CSV or JSON text. */
  async export(filter: AuditFilter, format: 'csv' | 'json'): Promise<string> {
    const events = await this.query(filter);
    return format === 'csv' ? eventsToCsv(events) : eventsToJson(events);
  }

  /**
   * Checks the whole chain, every seal and checkpoint, and the head. With `record`, a break
   * is also recorded as a tampering event (once per break), so it raises an alert.
   */
  async verify(opts: { record?: boolean } = {}): Promise<VerifyResult> {
    const buf = (await readFileIfExists(this.paths.log)) ?? new Uint8Array(0);
    const head = await readHead(this.paths.head, this.keys.head);
    const result = verifyLog(buf, head, { suite: this.suite, sealKey: this.keys.seal, profileId: this.profileId, signPublicKey: this.signing.publicKey });
    if (opts.record && result.broken) {
      const b = result.broken;
      if (b.reason === 'truncated' || b.reason === 'head') {
        // An append notices these itself (and marks the head); one with nothing to add does just that.
        await this.withLock(() => this.appendBatch([]));
      } else {
        const noted = await this.query({ action: 'tampering' });
        if (!noted.some((e) => e.detail?.seq === b.seq && e.detail?.reason === b.reason)) {
          await this.record({ action: 'tampering', detail: { source: 'the audit log', reason: b.reason, seq: b.seq, message: b.message } });
        }
      }
    }
    return result;
  }

  /** Alerts raised by the events so far, and secrets overdue for rotation; newest first. */
  async alerts(): Promise<Alert[]> {
    await this.refresh();
    this.feedAlerts();
    const overdue = this.opts.overdue ? rotationOverdueAlerts(await this.opts.overdue(), this.clock()) : [];
    return [...this.raised, ...overdue].sort((a, b) => b.at - a.at);
  }

  /** Calls `listener` with each alert raised from now on (history is read first, silently). */
  async onAlert(listener: (a: Alert) => void): Promise<() => void> {
    await this.refresh();
    this.feedAlerts();
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Events that were in the log but did not open (damage; verify says where). */
  get unreadableEvents(): number {
    return this.unreadable;
  }

  /** Waits for pending appends, then forgets the keys. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushing;
    this.closed = true;
    this.listeners.clear();
    wipe(this.keys.seal, this.keys.head, this.signing.seed);
  }
}

function parseEvent(json: string, seq: number): AuditEvent | null {
  try {
    const o = JSON.parse(json);
    if (typeof o?.action !== 'string' || typeof o.at !== 'number' || typeof o.by !== 'string' || typeof o.device !== 'string') return null;
    o.seq = seq;
    return o as AuditEvent;
  } catch {
    return null;
  }
}

async function readRange(path: string, from: number, to: number): Promise<Uint8Array> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(to - from);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, from + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * The audit log of an unlocked profile, for the desktop app and the CLI. Keys are derived
 * and copied now, so the log keeps working until close() even if the session locks.
 * Failed unlocks noted while locked are moved into the log first.
 */
export async function openAuditLog(session: Session, opts: AuditLogOptions = {}): Promise<AuditLog> {
  const keys = auditKeysFromDeviceKey(session.deviceKeyForRecords);
  const signing = { seed: new Uint8Array(session.signingKey.seed), publicKey: fromBase64Url(session.profile.identity.signPublicKey) };
  const log = new AuditLog(session.suite, session.home, session.profile.profileId, session.memberId, keys, signing, opts);
  const noted = await drainPending(auditPaths(session.home).pending);
  await Promise.all(noted.events.map((e) => log.record(e)));
  await noted.done();
  return log;
}
