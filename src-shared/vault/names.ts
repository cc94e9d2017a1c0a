/**
 * What a secret or environment may be called. Secret names become environment variables
 * (`tessera run`), so they follow the portable POSIX rule: a letter or underscore, then
 * letters, digits and underscores.
 */
import { TesseraError } from '../errors';

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const MAX_NAME_LENGTH = 128;

export function isValidSecretName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && SECRET_NAME.test(name);
}

/** Throws INVALID_NAME with a message that says what a valid name looks like. */
export function assertSecretName(name: string): void {
  if (!isValidSecretName(name)) {
    throw new TesseraError(
      'INVALID_NAME',
      `Invalid secret name ${JSON.stringify(name.slice(0, MAX_NAME_LENGTH))}: use letters, digits and _, not starting with a digit (e.g. STRIPE_SECRET_KEY)`,
    );
  }
}

export function assertEnvironmentName(name: string): void {
  if (name.length > 64 || !ENV_NAME.test(name)) {
    throw new TesseraError(
      'INVALID_NAME',
      `Invalid environment name ${JSON.stringify(name.slice(0, 64))}: use lowercase letters, digits, - and _ (e.g. production)`,
    );
  }
}

export function assertVaultName(name: string): void {
  if (name.trim() === '' || name.length > 128 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new TesseraError('INVALID_NAME', 'Invalid vault name: 1 to 128 printable characters');
  }
}
