/**
 * The audit log's writing side: one batch at a time under the audit log's own lock (never
 * the profile lock, which a vault edit may hold while it reports), reading only what other
 * processes appended since its last look, then appending the batch in one write and sync,
 * then the head (head.ts). It also notices a log cut shorter than the head says.
 */
import { promises as fs } from 'node:fs';
import { withFileLock } from '../fs/file-lock';
import { equalBytes } from '../../src-shared/crypto/bytes';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import { ensureDir, syncDir } from '../fs/atomic-file';
import type { auditPaths } from './audit-paths';
import { readHead, writeHead, type Head } from './head';
import { checkpointMessage, checkpointRecord, genesisHash, hashBody, sealEventRecord, wholeRecords, type AuditKeys } from './records';

interface Tail {
  offset: number;
  seq: number;
  lastHash: Uint8Array;
}

export interface AuditWriterOptions {
  readonly suite: CryptoSuite;
  readonly paths: ReturnType<typeof auditPaths>;
  readonly profileId: string;
  readonly keys: AuditKeys;
  readonly signing: { readonly seed: Uint8Array; readonly publicKey: Uint8Array };
  readonly checkpointEvery: number;
  readonly clock: () => number;
  /** The stored JSON of a tampering event with this detail (the writer records a cut it finds). */
  readonly tampering: (detail: Record<string, string | number>) => string;
}

export class AuditWriter {
  private tail: Tail | null = null;
  private readonly suite: CryptoSuite;
  private readonly paths: AuditWriterOptions['paths'];
  private readonly profileId: string;
  private readonly keys: AuditKeys;
  private readonly signing: AuditWriterOptions['signing'];
  private readonly checkpointEvery: number;
  private readonly clock: () => number;
  private readonly tampering: AuditWriterOptions['tampering'];

  constructor(o: AuditWriterOptions) {
    ({ suite: this.suite, paths: this.paths, profileId: this.profileId, keys: this.keys, signing: this.signing } = o);
    ({ checkpointEvery: this.checkpointEvery, clock: this.clock, tampering: this.tampering } = o);
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await ensureDir(this.paths.dir);
    const busy = () => new TesseraError('STORE_BUSY', 'Another Tessera process is writing the audit log; try again');
    return withFileLock(this.paths.log, { realpath: false, lockfilePath: this.paths.lock, stale: 5_000, update: 1_000 }, busy, fn);
  }

  /** Under the lock: where the chain ends now, reading only what others appended since last time. */
  private async currentTail(): Promise<Tail> {
    const size = (await fs.stat(this.paths.log).catch(() => null))?.size ?? 0;
    if (this.tail && this.tail.offset === size) return this.tail;
    const from = this.tail && this.tail.offset < size ? this.tail : { offset: 0, seq: 0, lastHash: genesisHash(this.profileId) };
    const buf = size > from.offset ? await readRange(this.paths.log, from.offset, size) : new Uint8Array(0);
    let { seq, lastHash } = from;
    const { records, end: good } = wholeRecords(buf);
    const last = records.at(-1);
    if (last) {
      seq = last.seq + 1;
      lastHash = hashBody(last.body);
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

  /**
   * Appends the events (their stored JSON) under the lock, in one write and sync, then the
   * head. With none, only looks for a cut (and records it).
   */
  append(jsons: string[]): Promise<void> {
    return this.withLock(() => this.appendBatch(jsons));
  }

  private async appendBatch(jsons: string[]): Promise<void> {
    const tail = await this.currentTail();
    const head = await readHead(this.paths.head, this.keys.head);
    const cut = this.cutFound(tail, head);
    let broken = head && head !== 'damaged' ? head.broken : null;
    if (cut && !broken) {
      broken = { at: tail.seq, reason: cut.reason };
      jsons = [this.tampering({ source: 'the audit log', reason: cut.reason, seq: tail.seq, message: cut.message }), ...jsons];
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
}

export async function readRange(path: string, from: number, to: number): Promise<Uint8Array> {
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
