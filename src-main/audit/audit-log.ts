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
 * one write (audit-writer.ts). Events recorded together in one process share that batch
 * (group commit).
 */
import { promises as fs } from 'node:fs';
import type { AuditEvent, AuditEventInput } from '../../src-shared/audit/events';
import type { Alert } from '../../src-shared/api/types';
import { fromBase64Url, wipe } from '../../src-shared/crypto/bytes';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import { readFileIfExists } from '../fs/atomic-file';
import type { Session } from '../profile/profile';
import type { AuditSink } from './audit-sink';
import { AlertEngine, type AlertConfigChanges } from './alerts/engine';
import { rotationOverdueAlerts, type OverdueSource } from './alerts/rotation-overdue';
import { auditPaths } from './audit-paths';
import { AuditWriter, readRange } from './audit-writer';
import { readHead } from './head';
import { drainPending } from './pending';
import { eventsToCsv, eventsToJson, selectEvents, type AuditFilter } from './query';
import { auditKeysFromDeviceKey, openEventBody, wholeRecords, type AuditKeys } from './records';
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
  private readonly writer: AuditWriter;
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
    this.writer = new AuditWriter({
      suite, paths: this.paths, profileId, keys, signing, checkpointEvery: this.checkpointEvery, clock: this.clock,
      tampering: (detail) => this.stamp({ action: 'tampering', detail }),
    });
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
          await this.writer.append(batch.map((b) => b.json));
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
    const { records, end: good } = wholeRecords(buf);
    for (const r of records) {
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
        await this.writer.append([]);
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
