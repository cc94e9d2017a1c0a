/**
 * One scope on disk: sealed snapshots plus append-only logs of envelopes, applied to a
 * Y.Doc. The folder holds
 *
 *   snap-<S>.tse   a snapshot envelope covering every log segment before S
 *   log-<S>.tse    frames of update envelopes, appended and fsynced one by one
 *   verified.json  which log prefixes this device already verified (authenticated by the device key)
 *
 * (named in scope-files.ts). Compaction writes snap-<S+1> and starts log-<S+1>; the previous
 * snapshot and the logs after it are kept, so a damaged newest snapshot falls back to it.
 * Writers hold the profile lock (see profile-lock.ts); readers never need it.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { toBase64Url } from '../../src-shared/crypto/bytes';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import {
  ZERO_HASH, decodeEnvelope, envelopeHash, openVerifiedEnvelope, sealEnvelope, verifyEnvelopeAsync, type Envelope, type SigningKey,
} from '../../src-shared/envelope/envelope';
import { decodeSnapshot, encodeSnapshot, type ChainHeads } from '../../src-shared/envelope/snapshot';
import { TesseraError } from '../../src-shared/errors';
import { ensureDir, syncDir, writeFileAtomic } from '../fs/atomic-file';
import { encodeFrame, scanFrames, type FrameOrigin } from './frames';
import { listSegments, logFile, logSegmentOf, snapFile } from './scope-files';
import { createHash } from 'node:crypto';
import { VerifiedRecords } from './verified-records';
import { messageOf, problemCode, type LoggedFrame, type ScopeIdentity, type ScopeKeys, type StoreProblem } from './scope-types';

/** Compact after this many updates since the last snapshot. */
export const COMPACT_AFTER = 256;

export type { LoggedFrame, ScopeIdentity, ScopeKeys, StoreProblem } from './scope-types';

const REMOTE = Symbol('tessera-store');

export class ScopeStore {
  readonly doc = new Y.Doc();
  readonly problems: StoreProblem[] = [];
  /** Author → head of the chain of changes made on this device (local frames only). */
  readonly heads: ChainHeads = new Map();
  /** Every frame applied since the snapshot, in order: what sync pushes and compaction keeps. */
  frames: LoggedFrame[] = [];
  private frameDigests = new Map<string, FrameOrigin>();
  /** Frames to carry into the next log when compacting (say, changes not yet pushed). */
  retainOnCompaction: (f: LoggedFrame) => boolean = () => false;
  /**
   * Checks a received envelope (verified and opened) before it is stored or applied: throws to
   * refuse it. The vault sets it to the membership rules: who may write here, at which head.
   */
  admit: (envelope: Envelope, plaintext: Uint8Array) => void = () => undefined;
  private base = 0; // the snapshot's segment number (0: none)
  private readOffsets = new Map<number, number>(); // segment → bytes applied
  private updatesSinceSnapshot = 0;
  private pending: Uint8Array[] = [];

  private constructor(
    private readonly suite: CryptoSuite,
    readonly dir: string,
    private readonly id: ScopeIdentity,
    private readonly keys: ScopeKeys,
    private readonly records: VerifiedRecords,
  ) {
    // Capture local changes as updates. Not with an 'update' listener: while one is attached
    // Yjs re-encodes every transaction, including the multi-megabyte snapshot applied on open.
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.origin === REMOTE || (tr.changed.size === 0 && tr.deleteSet.clients.size === 0)) return;
      this.pending.push(Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(tr.beforeState)));
    });
  }

  static async open(suite: CryptoSuite, dir: string, id: ScopeIdentity, keys: ScopeKeys, recordKey: Uint8Array): Promise<ScopeStore> {
    await ensureDir(dir);
    const make = () => new ScopeStore(suite, dir, id, keys, new VerifiedRecords(join(dir, 'verified.json'), recordKey, toBase64Url(id.scopeId)));
    const s = make();
    const forged = await s.load(new Set());
    if (forged === null) return s;
    // A snapshot's signature, checked in parallel with applying it, failed: its content is
    // in s.doc already, so start over in a fresh store that skips that snapshot.
    const again = make();
    again.problems.push(...s.problems);
    await again.load(new Set([forged]));
    return again;
  }

  private listing(): Promise<{ snaps: number[]; logs: number[] }> {
    return listSegments(this.dir);
  }

  /**
   * Reads the newest good snapshot and the logs after it. The snapshot's signature is
   * checked on another thread while it is decrypted and applied (it is most of the bytes);
   * returns the segment of a snapshot whose signature then failed, else null.
   */
  private async load(skip: ReadonlySet<number>): Promise<number | null> {
    await this.records.load();
    const { snaps, logs } = await this.listing();
    for (const seg of snaps) {
      if (skip.has(seg)) continue;
      const applied = await this.applySnapshot(seg, { deferSignature: true });
      if (applied === 'forged') return seg;
      if (applied) break;
    }
    for (const seg of logs) if (seg >= this.base) await this.applySegment(seg);
    this.noteMissingDependencies();
    await this.records.save();
    return null;
  }

  /**
   * A Yjs update that builds on a damaged or missing one cannot apply yet: Yjs holds it
   * until the missing change arrives (from sync). Say so, rather than look complete.
   */
  private noteMissingDependencies(): void {
    const pending = this.doc.store.pendingStructs;
    if (!pending && !this.doc.store.pendingDs) return;
    if (this.problems.some((p) => p.code === 'INCOMPLETE')) return;
    this.problems.push({
      file: '*',
      code: 'INCOMPLETE',
      detail: 'later changes build on a damaged one; they stay on disk and apply once sync brings the missing change back',
    });
  }

  /**
   * Applies snap-<seg>; false (and a problem noted) when it is damaged. With deferSignature,
   * the signature is checked while the snapshot is applied, and 'forged' means the doc now
   * holds content that must be thrown away.
   */
  private async applySnapshot(seg: number, opts: { deferSignature?: boolean } = {}): Promise<boolean | 'forged'> {
    const file = snapFile(seg);
    try {
      const bytes = await fs.readFile(join(this.dir, file));
      const { envelope, plaintext } = openVerifiedEnvelope(this.suite, bytes, (e) => this.keyFor(e), { skipSignature: opts.deferSignature ?? false });
      // Started before the synchronous work below, so the two run side by side.
      const signature = opts.deferSignature ? verifyEnvelopeAsync(this.suite, envelope) : null;
      this.checkScope(envelope);
      if (envelope.kind !== 'snapshot') throw new TesseraError('TAMPERED', 'not a snapshot');
      const snap = decodeSnapshot(plaintext);
      Y.applyUpdate(this.doc, snap.state, REMOTE);
      if (signature && !(await signature)) {
        this.problems.push({ file, code: 'TAMPERED', detail: 'An envelope has an invalid signature' });
        return 'forged';
      }
      for (const [a, h] of snap.heads) {
        const mine = this.heads.get(a);
        if (!mine || h.counter > mine.counter) this.heads.set(a, h);
      }
      this.base = seg;
      this.updatesSinceSnapshot = 0;
      return true;
    } catch (e) {
      this.problems.push({ file, code: problemCode(e), detail: messageOf(e) });
      return false;
    }
  }

  /** Applies what other processes wrote since we last looked, including their compactions. */
  async refresh(): Promise<void> {
    const { snaps, logs } = await this.listing();
    const newest = snaps[0] ?? 0;
    if (newest > this.base) {
      // Another process compacted. Its snapshot may hold updates it appended just before,
      // which we never read: apply it (Yjs updates are idempotent), then the logs after it.
      if (await this.applySnapshot(newest)) {
        this.readOffsets = new Map([...this.readOffsets].filter(([seg]) => seg >= newest));
        // The new logs hold what that process kept (unpushed changes): read them afresh.
        this.frames = [];
        this.frameDigests = new Map();
      }
    }
    for (const seg of logs) if (seg >= this.base) await this.applySegment(seg);
  }

  /** Applies the frames of log-<seg> from where we stopped (see scanFrames for damage). */
  private async applySegment(seg: number): Promise<void> {
    const file = logFile(seg);
    const buf = await fs.readFile(join(this.dir, file)).catch(() => null);
    if (!buf) return;
    const from = this.readOffsets.get(seg) ?? 0;
    if (from >= buf.length) return;
    const trusted = from === 0 ? this.records.trustedPrefix(file, buf) : 0;
    let verifiedAny = false;
    const { good, damage } = scanFrames(buf, from, (f) => {
      const skip = f.end <= trusted;
      const { envelope, plaintext } = openVerifiedEnvelope(this.suite, f.body, (e) => this.keyFor(e), { skipSignature: skip });
      this.checkScope(envelope);
      if (envelope.kind !== 'update') throw new TesseraError('TAMPERED', 'snapshot inside a log');
      Y.applyUpdate(this.doc, plaintext, REMOTE);
      this.noteFrame(f.origin, envelope, f.body);
      verifiedAny ||= !skip;
    });
    for (const d of damage) {
      const [code, detail] = d.error === null ? ['MALFORMED' as const, 'unreadable bytes'] : [problemCode(d.error), messageOf(d.error)];
      this.problems.push({ file, code, detail: `change at offset ${d.start}: ${detail}`, bytes: d.end - d.start });
    }
    this.readOffsets.set(seg, good);
    if (verifiedAny && damage.length === 0) this.records.record(file, buf.subarray(0, good));
  }

  /** Records an applied frame; a local one also advances this device's chain. */
  private noteFrame(origin: FrameOrigin, env: Envelope, bytes: Uint8Array): void {
    const author = toBase64Url(env.author);
    this.frames.push({ origin, author, counter: env.counter, bytes });
    this.frameDigests.set(digest(bytes), origin);
    this.updatesSinceSnapshot++;
    if (origin !== 'local') return;
    const h = this.heads.get(author);
    if (!h || env.counter > h.counter) this.heads.set(author, { counter: env.counter, hash: envelopeHash(bytes) });
  }

  private keyFor(env: Envelope): Uint8Array {
    const k = this.keys.key(env.epoch);
    if (!k) throw new TesseraError('NO_ACCESS', `No key for epoch ${env.epoch} of this scope`);
    return k;
  }

  private checkScope(env: Envelope): void {
    if (toBase64Url(env.vaultId) !== toBase64Url(this.id.vaultId) || toBase64Url(env.scopeId) !== toBase64Url(this.id.scopeId)) {
      throw new TesseraError('TAMPERED', 'An envelope of another vault or scope was found here');
    }
  }

  /**
   * Seals the changes made to `doc` since the last flush into one update envelope and
   * appends it durably. Call with the profile lock held, after refresh().
   */
  async flush(signer: SigningKey): Promise<Uint8Array | null> {
    if (this.pending.length === 0) return null;
    const update = this.pending.length === 1 ? this.pending[0]! : Y.mergeUpdates(this.pending);
    this.pending = [];
    const { epoch, key } = this.keys.current();
    const me = this.heads.get(toBase64Url(signer.publicKey));
    const bytes = sealEnvelope(
      this.suite,
      {
        kind: 'update', vaultId: this.id.vaultId, scopeId: this.id.scopeId, epoch, counter: (me?.counter ?? 0) + 1, prevHash: me?.hash ?? ZERO_HASH, covers: 0,
        logHead: this.keys.membershipHead(),
      },
      update,
      key,
      signer,
    );
    await this.append(bytes, 'local');
    this.noteFrame('local', decodeEnvelope(bytes), bytes);
    if (this.updatesSinceSnapshot >= COMPACT_AFTER) await this.compact(signer);
    return bytes;
  }

  /**
   * Stores an update received from the relay after checking it, and applies it. Returns
   * 'stored', or where this exact envelope already was: 'local' (made here, or on a copy of
   * this profile, and so already on the relay) or 'relay'. Call with the profile lock held.
   */
  async appendReceived(bytes: Uint8Array): Promise<'stored' | FrameOrigin> {
    const { envelope, plaintext } = openVerifiedEnvelope(this.suite, bytes, (e) => this.keyFor(e));
    this.checkScope(envelope);
    if (envelope.kind !== 'update') throw new TesseraError('TAMPERED', 'Expected an update');
    const seen = this.frameDigests.get(digest(bytes));
    if (seen) return seen;
    this.admit(envelope, plaintext);
    await this.append(bytes, 'relay');
    Y.applyUpdate(this.doc, plaintext, REMOTE);
    this.noteFrame('relay', envelope, bytes);
    return 'stored';
  }

  /**
   * Applies a snapshot received from the relay (it covers changes pruned there) and returns
   * the chain heads it carries. Persisting it is the caller's next compact().
   */
  applyReceivedSnapshot(bytes: Uint8Array): ChainHeads {
    const { envelope, plaintext } = openVerifiedEnvelope(this.suite, bytes, (e) => this.keyFor(e));
    this.checkScope(envelope);
    if (envelope.kind !== 'snapshot') throw new TesseraError('TAMPERED', 'Expected a snapshot');
    this.admit(envelope, plaintext);
    const snap = decodeSnapshot(plaintext);
    Y.applyUpdate(this.doc, snap.state, REMOTE);
    return snap.heads;
  }

  /** The epoch new changes are sealed under (the newest key this profile holds). */
  get currentEpoch(): number {
    return this.keys.current().epoch;
  }

  /**
   * The same change, sealed again as the next link of `author`'s chain on the relay (another
   * device with this identity may have pushed first). The content is unchanged.
   */
  resealUpdate(bytes: Uint8Array, signer: SigningKey, counter: number, prevHash: Uint8Array): Uint8Array {
    const { envelope, plaintext } = openVerifiedEnvelope(this.suite, bytes, (e) => this.keyFor(e), { skipSignature: true });
    const { epoch, key } = this.keys.current();
    return sealEnvelope(
      this.suite,
      { kind: 'update', vaultId: envelope.vaultId, scopeId: envelope.scopeId, epoch, counter, prevHash, covers: 0, logHead: this.keys.membershipHead() },
      plaintext,
      key,
      signer,
    );
  }

  /** Seals the whole current state as a snapshot envelope (for the relay), without storing it. */
  sealSnapshot(signer: SigningKey, heads: ChainHeads, covers: number): Uint8Array {
    const { epoch, key } = this.keys.current();
    return sealEnvelope(
      this.suite,
      { kind: 'snapshot', vaultId: this.id.vaultId, scopeId: this.id.scopeId, epoch, counter: 0, prevHash: ZERO_HASH, covers, logHead: this.keys.membershipHead() },
      encodeSnapshot(heads, Y.encodeStateAsUpdate(this.doc)),
      key,
      signer,
    );
  }

  private currentSegment(): number {
    const logs = [...this.readOffsets.keys()];
    return Math.max(this.base, ...logs, 0) || 1;
  }

  private async append(envelope: Uint8Array, origin: FrameOrigin): Promise<void> {
    const seg = this.currentSegment();
    const path = join(this.dir, logFile(seg));
    await this.repairTail(seg);
    const frame = encodeFrame(envelope, origin);
    const fh = await fs.open(path, 'a', 0o600);
    let size: number;
    try {
      await fh.write(frame);
      await fh.datasync();
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    if (!this.readOffsets.has(seg)) await syncDir(this.dir);
    this.readOffsets.set(seg, size);
  }

  /**
   * A crash mid-append leaves a partial frame at the end of the log. Before appending after
   * it, move those bytes aside (kept for inspection, never silently dropped) and truncate.
   */
  private async repairTail(seg: number): Promise<void> {
    const file = logFile(seg);
    const path = join(this.dir, file);
    const st = await fs.stat(path).catch(() => null);
    const applied = this.readOffsets.get(seg) ?? 0;
    if (!st || st.size <= applied) return;
    await this.applySegment(seg); // maybe it is a complete frame another writer just finished
    const good = this.readOffsets.get(seg) ?? 0;
    if (st.size <= good) return;
    const fh = await fs.open(path, 'r+');
    try {
      const torn = Buffer.alloc(st.size - good);
      await fh.read(torn, 0, torn.length, good);
      await writeFileAtomic(join(this.dir, `${file}.torn-${Date.now()}`), torn);
      await fh.truncate(good);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.problems.push({ file, code: 'TORN_WRITE', detail: 'an incomplete write at the end of the log was set aside', bytes: st.size - good });
  }

  /**
   * Writes a snapshot of the whole doc and drops what the previous snapshot already covered.
   * Frames that retainOnCompaction() keeps (changes sync has not pushed yet) are appended
   * to the new log: the snapshot already holds their content, but sync still needs them.
   */
  async compact(signer: SigningKey): Promise<void> {
    const { snaps, logs } = await this.listing();
    const next = Math.max(this.currentSegment(), ...snaps, ...logs) + 1;
    const retained = this.frames.filter((f) => this.retainOnCompaction(f));
    const bytes = this.sealSnapshot(signer, this.heads, 0);
    await writeFileAtomic(join(this.dir, snapFile(next)), bytes);
    const previous = this.base;
    this.base = next;
    this.updatesSinceSnapshot = 0;
    this.readOffsets = new Map([[next, 0]]);
    this.frames = [];
    this.frameDigests = new Map();
    for (const f of retained) {
      await this.append(f.bytes, f.origin);
      this.frames.push(f);
      this.frameDigests.set(digest(f.bytes), f.origin);
    }
    // Keep the previous snapshot and every log after it: the fallback if this one is damaged.
    for (const s of snaps) if (s < previous) await fs.rm(join(this.dir, snapFile(s)), { force: true });
    for (const l of logs) if (l < previous) await fs.rm(join(this.dir, logFile(l)), { force: true });
    this.records.forget((f) => { const seg = logSegmentOf(f); return seg === null || seg < previous; });
    await this.records.save();
    await this.listing();
  }
}

/** Identifies an envelope's exact bytes (to skip one received twice). */
function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}
