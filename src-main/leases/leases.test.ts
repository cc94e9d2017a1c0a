import { describe, expect, it } from 'vitest';
import { parseLeaseSpec } from './leases';

describe('parseLeaseSpec', () => {
  it('reads VARIABLE=postgres:TEMPLATE', () => {
    expect(parseLeaseSpec('DATABASE_URL=postgres:readonly')).toEqual({ variable: 'DATABASE_URL', provider: 'postgres', template: 'readonly' });
    expect(parseLeaseSpec('DB=postgres:app:ro')).toEqual({ variable: 'DB', provider: 'postgres', template: 'app:ro' });
  });

  it('refuses other providers, a bad variable name and a malformed spec with their codes', () => {
    expect(() => parseLeaseSpec('DATABASE_URL=mysql:readonly')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseLeaseSpec('1DB=postgres:readonly')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => parseLeaseSpec('postgres:readonly')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseLeaseSpec(`DB=postgres:${'r'.repeat(64)}`)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
