import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LockReason } from '../../src-shared/api/types';
import { AutoLock } from './auto-lock';

describe('AutoLock', () => {
  let locks: LockReason[];
  let autoLock: AutoLock;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    locks = [];
    autoLock = new AutoLock((r) => locks.push(r));
  });
  afterEach(() => vi.useRealTimers());

  it('locks after the idle minutes, once', async () => {
    autoLock.start(10);
    expect(autoLock.locksAt()).toBe(600_000);
    await vi.advanceTimersByTimeAsync(599_999);
    expect(locks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(locks).toEqual(['idle']);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(locks).toEqual(['idle']);
    expect(autoLock.locksAt()).toBeNull();
  });

  it('activity pushes the deadline back', async () => {
    autoLock.start(1);
    await vi.advanceTimersByTimeAsync(50_000);
    autoLock.touch();
    await vi.advanceTimersByTimeAsync(50_000);
    expect(locks).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(locks).toEqual(['idle']);
  });

  it('0 minutes never locks; stop cancels', async () => {
    autoLock.start(0);
    await vi.advanceTimersByTimeAsync(10 * 3_600_000);
    expect(autoLock.locksAt()).toBeNull();
    autoLock.start(1);
    autoLock.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(locks).toEqual([]);
  });
});
