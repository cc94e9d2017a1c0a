/**
 * A floor for a new passphrase. It is the one secret that opens the device key of a stolen
 * laptop's profile, offline, as fast as the attacker's hardware runs scrypt: a serious vault
 * refuses one that is guessable instead of warning and going ahead. The bar is the one the
 * health check sets for passwords (MIN_BITS.password, by the same estimate), so Tessera
 * never accepts a passphrase it would itself report as weak. Only new passphrases are
 * judged: an existing profile keeps unlocking with the one it has.
 */
import { TesseraError } from '../../src-shared/errors';
import { MIN_BITS, estimateBits } from '../health/strength';

export const MIN_PASSPHRASE_BITS = MIN_BITS.password;

export function assertNewPassphraseStrong(passphrase: string): void {
  const bits = estimateBits(passphrase.normalize('NFKC'));
  if (bits >= MIN_PASSPHRASE_BITS) return;
  throw new TesseraError(
    'WEAK_PASSPHRASE',
    `That passphrase is too easy to guess (about ${Math.floor(bits)} bits; at least ${MIN_PASSPHRASE_BITS} are needed): ` +
      'use four or more random words with spaces between them, or a long sentence only you would write',
    { bits: Math.floor(bits), min: MIN_PASSPHRASE_BITS },
  );
}
