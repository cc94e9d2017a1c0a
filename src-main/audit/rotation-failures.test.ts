import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src-shared/audit/events';
import { rotationFailureIndex } from './rotation-failures';

const event = (action: AuditEvent['action'], at: number, environment = 'production', detail?: AuditEvent['detail']): AuditEvent => ({
  action, at, seq: at, by: 'me', device: 'laptop', vaultId: 'v1', vault: 'Db', secret: 'DATABASE_URL', environment, ...(detail ? { detail } : {}),
});

describe('rotationFailureIndex', () => {
  it('keeps the last failure of each secret and environment until a rotation succeeds after it', () => {
    const failures = rotationFailureIndex([
      event('secret-rotated', 1),
      event('secret-rotation-failed', 2, 'production', { code: 'PROVIDER_UNREACHABLE', message: 'The database server did not answer' }),
      event('secret-rotation-failed', 3, 'staging', { code: 'ROLE_MISSING', message: 'no role' }),
      event('secret-rotated', 4, 'staging'),
    ]);
    expect(failures('v1', 'DATABASE_URL', 'production')).toEqual({ at: 2, code: 'PROVIDER_UNREACHABLE', message: 'The database server did not answer' });
    expect(failures('v1', 'DATABASE_URL', 'staging')).toBeUndefined();
    expect(failures('v2', 'DATABASE_URL', 'production')).toBeUndefined();
  });

  it('reads events in any order (by time) and ignores other actions', () => {
    const failures = rotationFailureIndex([
      event('secret-rotated', 9),
      event('secret-rotation-failed', 5, 'production', { code: 'ROTATOR_FAILED', message: 'exit 3' }),
      event('reveal', 10),
    ]);
    expect(failures('v1', 'DATABASE_URL', 'production')).toBeUndefined();
  });
});
