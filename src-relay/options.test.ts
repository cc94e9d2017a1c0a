// The relay's flags: each limit reaches the relay as a number, and a bad value is refused
// naming its flag before anything starts.
import { describe, expect, it } from 'vitest';
import { relayOptionsFromFlags } from './options';

describe('relay flags', () => {
  it('carry the quotas, registration limits and cache size', () => {
    const options = relayOptionsFromFlags({ maxVaultBytes: '200000', maxKeyBytes: '300000', maxVaultsPerKey: '3', registrationsPerHour: '5', cachedVaults: '50' });
    expect(options.limits).toEqual({ maxVaultBytes: 200_000, maxKeyBytes: 300_000, maxVaultsPerKey: 3, registrationsPerHour: 5 });
    expect(options.cachedVaults).toBe(50);
    expect(relayOptionsFromFlags({}).cachedVaults).toBeUndefined();
  });

  it.each([
    ['maxVaultBytes', '--max-vault-bytes', '1023'],
    ['maxKeyBytes', '--max-key-bytes', '1e9'],
    ['maxVaultsPerKey', '--max-vaults-per-key', '0'],
    ['registrationsPerHour', '--registrations-per-hour', '-1'],
    ['cachedVaults', '--cached-vaults', 'lots'],
  ])('refuse a bad %s (INVALID_INPUT naming %s)', (flag, name, value) => {
    expect(() => relayOptionsFromFlags({ [flag]: value })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining(name) }));
  });
});
