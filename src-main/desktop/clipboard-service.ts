/**
 * Copying a secret: the value goes to the clipboard marked as concealed (so clipboard
 * managers and history skip it), and is cleared after a timeout, on lock and on quit —
 * but only if the clipboard still holds it: if the user has copied something else since,
 * that is theirs and stays.
 *
 * The service never keeps the value: it remembers a keyed hash of it (a per-process random
 * key), enough to recognise it on the clipboard and useless to anyone reading memory for
 * the value itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClipboardStatus } from '../../src-shared/api/types';
import type { AuditSink } from '../audit/audit-sink';
import { systemClock, type Clock } from './clock';

/** What a platform clipboard must do. The Electron adapter is electron-clipboard.ts. */
export interface ClipboardAdapter {
  /** Writes text together with the platform's "this is a password" markers. */
  writeConcealed(text: string): Promise<void>;
  readText(): Promise<string>;
  clear(): Promise<void>;
}

export type ClearReason = 'timeout' | 'lock' | 'quit' | 'manual';

export interface CopiedItem {
  readonly vaultId: string;
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
}

interface Held {
  readonly item: CopiedItem;
  readonly digest: Buffer;
  readonly clearsAt: number | null;
  readonly timer: unknown;
}

export class ClipboardService {
  private readonly hashKey = randomBytes(32);
  private held: Held | null = null;

  constructor(
    private readonly adapter: ClipboardAdapter,
    private readonly audit: AuditSink,
    private readonly onChange: (status: ClipboardStatus) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  /** Puts `value` on the clipboard; clears it after `seconds` (null: only on lock/quit). */
  async copy(value: string, item: CopiedItem, seconds: number | null): Promise<ClipboardStatus> {
    if (this.held) this.clock.clearTimeout(this.held.timer);
    await this.adapter.writeConcealed(value);
    const clearsAt = seconds === null ? null : this.clock.now() + seconds * 1000;
    const timer = seconds === null ? null : this.clock.setTimeout(() => void this.clear('timeout').catch(() => {}), seconds * 1000);
    this.held = { item, digest: this.digest(value), clearsAt, timer };
    await this.audit.record({ action: 'copy', vaultId: item.vaultId, vault: item.vault, secret: item.secret, environment: item.environment, detail: { clearAfterSeconds: seconds ?? 'never' } });
    const status = this.status();
    this.onChange(status);
    return status;
  }

  /**
   * Clears the clipboard if it still holds what we copied. Returns whether it cleared.
   * Either way the service forgets the copy: a value the user replaced is no longer ours.
   */
  async clear(reason: ClearReason): Promise<boolean> {
    const held = this.held;
    if (!held) return false;
    this.held = null;
    this.clock.clearTimeout(held.timer);
    const current = await this.adapter.readText().catch(() => '');
    const stillOurs = timingSafeEqual(this.digest(current), held.digest);
    if (stillOurs) await this.adapter.clear();
    const { item } = held;
    await this.audit.record({
      action: 'clipboard-cleared',
      vaultId: item.vaultId,
      vault: item.vault,
      secret: item.secret,
      environment: item.environment,
      detail: { reason, cleared: stillOurs },
    });
    this.onChange(this.status());
    return stillOurs;
  }

  status(): ClipboardStatus {
    const h = this.held;
    return h ? { active: true, clearsAt: h.clearsAt, secret: h.item.secret } : { active: false, clearsAt: null };
  }

  private digest(text: string): Buffer {
    return createHmac('sha256', this.hashKey).update(text, 'utf8').digest();
  }
}

/** A clipboard in memory: for tests and the end-to-end test host. */
export class MemoryClipboard implements ClipboardAdapter {
  text = '';
  concealed = false;
  async writeConcealed(text: string): Promise<void> {
    this.text = text;
    this.concealed = true;
  }
  async readText(): Promise<string> {
    return this.text;
  }
  async clear(): Promise<void> {
    this.text = '';
    this.concealed = false;
  }
  /** What another app copying something does. */
  userCopies(text: string): void {
    this.text = text;
    this.concealed = false;
  }
}
