import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectingAuditSink } from '../audit/audit-sink';
import { ClipboardService, MemoryClipboard } from './clipboard-service';

const item = { vaultId: 'v1', vault: 'acme', secret: 'STRIPE_KEY', environment: 'production' };
const VALUE = 'sk_live_not-a-real-key-1234';

describe('ClipboardService', () => {
  let clipboard: MemoryClipboard;
  let audit: ReturnType<typeof collectingAuditSink>;
  let changes: unknown[];
  let service: ClipboardService;

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    clipboard = new MemoryClipboard();
    audit = collectingAuditSink();
    changes = [];
    service = new ClipboardService(clipboard, audit, (s) => changes.push(s));
  });
  afterEach(() => vi.useRealTimers());

  it('writes the value concealed and clears it when the timeout passes', async () => {
    const status = await service.copy(VALUE, item, 30);
    expect(clipboard.text).toBe(VALUE);
    expect(clipboard.concealed).toBe(true);
    expect(status).toEqual({ active: true, clearsAt: 1_700_000_030_000, secret: 'STRIPE_KEY' });

    await vi.advanceTimersByTimeAsync(29_999);
    expect(clipboard.text).toBe(VALUE);
    await vi.advanceTimersByTimeAsync(1);
    expect(clipboard.text).toBe('');
    expect(service.status()).toEqual({ active: false, clearsAt: null });
    expect(audit.events.map((e) => e.action)).toEqual(['copy', 'clipboard-cleared']);
    expect(audit.events[1]!.detail).toEqual({ reason: 'timeout', cleared: true });
  });

  it('leaves alone what the user copied since', async () => {
    await service.copy(VALUE, item, 30);
    clipboard.userCopies('some code the user copied');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(clipboard.text).toBe('some code the user copied');
    expect(audit.events[1]!.detail).toEqual({ reason: 'timeout', cleared: false });
  });

  it('clears on lock at once, and the timer then does nothing', async () => {
    await service.copy(VALUE, item, 300);
    expect(await service.clear('lock')).toBe(true);
    expect(clipboard.text).toBe('');
    clipboard.userCopies('later');
    await vi.advanceTimersByTimeAsync(300_000);
    expect(clipboard.text).toBe('later');
    expect(audit.events.filter((e) => e.action === 'clipboard-cleared')).toHaveLength(1);
  });

  it('with "never", keeps the value until lock or quit', async () => {
    const status = await service.copy(VALUE, item, null);
    expect(status.clearsAt).toBeNull();
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(clipboard.text).toBe(VALUE);
    await service.clear('quit');
    expect(clipboard.text).toBe('');
  });

  it('a second copy replaces the first and restarts the countdown', async () => {
    await service.copy(VALUE, item, 10);
    await vi.advanceTimersByTimeAsync(8_000);
    await service.copy('second-value-xyz', { ...item, secret: 'OTHER' }, 10);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(clipboard.text).toBe('second-value-xyz');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(clipboard.text).toBe('');
  });

  it('tells listeners of each change, and never puts the value in an event or status', async () => {
    await service.copy(VALUE, item, 30);
    await service.clear('manual');
    expect(changes).toHaveLength(2);
    expect(JSON.stringify([changes, audit.events])).not.toContain(VALUE);
  });

  it('clearing with nothing copied does nothing', async () => {
    clipboard.userCopies('theirs');
    expect(await service.clear('lock')).toBe(false);
    expect(clipboard.text).toBe('theirs');
    expect(audit.events).toHaveLength(0);
  });
});
