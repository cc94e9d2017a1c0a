/**
 * Locks the vault after N minutes without the user touching the app (KeePassXC's model:
 * app inactivity, not system idle, so a vault left open behind other windows still locks).
 * Suspend, screen lock and Ctrl/Cmd+L lock through the same `lock` callback, from the
 * Electron shell.
 */
import type { LockReason } from '../../src-shared/api/types';
import { systemClock, type Clock } from './clock';

export class AutoLock {
  private timer: unknown = null;
  private deadline: number | null = null;
  private minutes = 10;

  constructor(
    private readonly lock: (reason: LockReason) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts (or restarts) counting; 0 minutes turns it off. */
  start(minutes: number): void {
    this.minutes = minutes;
    this.touch();
  }

  /** The user did something. */
  touch(): void {
    this.stop();
    if (this.minutes <= 0) return;
    const ms = this.minutes * 60_000;
    this.deadline = this.clock.now() + ms;
    this.timer = this.clock.setTimeout(() => this.fire(), ms);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.deadline = null;
  }

  /** When it will lock (ms since epoch), or null when not counting. */
  locksAt(): number | null {
    return this.deadline;
  }

  private fire(): void {
    // A timer can fire late (the machine slept): lock anyway, the time has passed.
    this.timer = null;
    this.deadline = null;
    this.lock('idle');
  }
}
