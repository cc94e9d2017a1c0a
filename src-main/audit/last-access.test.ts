import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src-shared/audit/events';
import { lastAccessIndex } from './last-access';

const ev = (e: Partial<AuditEvent>): AuditEvent => ({ seq: 0, at: 0, by: 'm', device: 'd', action: 'reveal', ...e }) as AuditEvent;

describe('lastAccessIndex', () => {
  it('keeps the latest read of each secret per vault, from reads only', () => {
    const last = lastAccessIndex([
      ev({ action: 'reveal', vaultId: 'v1', secret: 'A', at: 10 }),
      ev({ action: 'copy', vaultId: 'v1', secret: 'A', at: 30 }),
      ev({ action: 'run', vaultId: 'v1', secrets: ['A', 'B'], at: 20 }),
      ev({ action: 'secret-edited', vaultId: 'v1', secret: 'C', at: 40 }),
      ev({ action: 'reveal', vaultId: 'v2', secret: 'A', at: 50 }),
    ]);
    expect(last('v1', 'A')).toBe(30);
    expect(last('v1', 'B')).toBe(20);
    expect(last('v1', 'C')).toBeUndefined();
    expect(last('v2', 'A')).toBe(50);
  });
});
