/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 with SHA-256, RFC
 * 7677), computed here so that `ALTER ROLE … PASSWORD` carries the verifier and never the
 * password: the statement may reach the server log (log_statement = 'all') and
 * pg_stat_activity, and a verifier there does not log anyone in. This is what psql's
 * `\password` does.
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations, 32)
 *   StoredKey      = SHA-256(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *   verifier       = SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>
 *
 * SASLprep (RFC 4013) maps some non-ASCII characters; PostgreSQL applies it too. Tessera's
 * generated passwords are printable ASCII, where SASLprep changes nothing, so anything else
 * is refused rather than half-implemented.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { TesseraError } from '../../../src-shared/errors';

/** PostgreSQL's own default (scram_iterations). */
export const SCRAM_ITERATIONS = 4096;

export interface ScramKeys {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly saltedPassword: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** The keys of a password; throws INVALID_INPUT for a password that is not printable ASCII. */
export function scramKeys(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): ScramKeys {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new TesseraError('INVALID_INPUT', 'A database password for SCRAM must be printable ASCII without spaces');
  if (!Number.isInteger(iterations) || iterations < 4096) throw new TesseraError('INVALID_INPUT', 'SCRAM needs 4096 iterations or more');
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = hmac(saltedPassword, 'Client Key');
  return {
    salt,
    iterations,
    saltedPassword,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(saltedPassword, 'Server Key'),
  };
}

/** The verifier for `ALTER ROLE … PASSWORD '…'`, with a fresh 16-byte salt (PostgreSQL's length). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const k = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${k.iterations}:${k.salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`;
}
