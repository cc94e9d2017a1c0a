import { describe, expect, it } from 'vitest';
import { MIN_BITS } from '../health/strength';
import { assertNewPassphraseStrong, MIN_PASSPHRASE_BITS } from './passphrase-strength';

describe('assertNewPassphraseStrong', () => {
  it('holds a new passphrase to the bar the health check sets for passwords', () => {
    expect(MIN_PASSPHRASE_BITS).toBe(MIN_BITS.password);
  });

  it.each(['a', 'x', 'password', 'Passw0rd', 'hunter2', '12345678', 'qwertyuiop', 'aaaaaaaaaaaaaaaaaaaa'])('refuses %j with WEAK_PASSPHRASE', (weak) => {
    expect(() => assertNewPassphraseStrong(weak)).toThrow(expect.objectContaining({ code: 'WEAK_PASSPHRASE' }));
  });

  it.each(['correct horse battery staple', 'agent chant great rotor', 'Tr0ub4dor&3', 'xk3#pQ9z-mule-orbit'])('accepts %j', (strong) => {
    expect(() => assertNewPassphraseStrong(strong)).not.toThrow();
  });

  it('says how to do better without quoting the passphrase', () => {
    try {
      assertNewPassphraseStrong('hunter2');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
      expect((e as Error).message).toMatch(/random words/);
    }
  });
});
