/**
 * Errors are values with a code the UI and the CLI can show. A message never contains
 * a secret value or name the user did not type on that same command line.
 */
export type ErrorCode =
  | 'TAMPERED' // a MAC, signature or hash chain did not check out
  | 'MALFORMED' // bytes that do not parse as what they claim to be
  | 'UNSUPPORTED_VERSION'
  | 'VAULT_LOCKED'
  | 'BAD_PASSPHRASE'
  | 'WEAK_PASSPHRASE' // a new passphrase below the strength floor
  | 'KEYCHAIN_UNAVAILABLE' // no OS keychain / Secret Service to talk to
  | 'KEYCHAIN_ENTRY_MISSING' // the keychain answers but holds no device key for this profile
  | 'NO_UNLOCK_METHOD'
  | 'NO_PROFILE'
  | 'PROFILE_EXISTS'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_NAME'
  | 'INVALID_INPUT'
  | 'VALUE_TOO_LARGE' // a value on stdin past its limit (256 KiB)
  | 'INPUT_TOO_LARGE' // a .env file or template past its limit (16 MiB)
  | 'NO_ACCESS'
  | 'MEMBERSHIP_REFUSED' // a signed membership entry breaks the log's rules (details.reason)
  | 'LOG_FORKED' // the relay showed two different membership histories
  | 'TOKEN_INVALID' // a machine token that is damaged, incomplete or not one
  | 'TOKEN_EXPIRED' // a machine token past the expiry its vault's log gives it
  | 'MEMBERSHIP_BEHIND' // a change names a membership entry this device lacks (the relay may be holding entries back)
  | 'DOTENV_SYNTAX'
  | 'EXPORT_UNREPRESENTABLE'
  | 'IMPORT_MALFORMED' // a file that is not what --from says, or is damaged or truncated: nothing imported
  | 'IMPORT_WRONG_PASSWORD' // a KeePass database or Bitwarden export that did not open with the password given
  | 'IMPORT_WRONG_KEY' // a dotenvx value that did not decrypt with the private key given
  | 'IMPORT_KEY_MISSING' // a dotenvx file with encrypted values and no DOTENV_PRIVATE_KEY* to open them
  | 'STORE_BUSY'
  | 'SYNC_BUSY' // another process is already syncing this vault
  | 'NO_RELAY' // the vault has no relay configured
  | 'RELAY_UNREACHABLE'
  | 'RELAY_REJECTED' // the relay answered with an error code (in details.relayCode)
  | 'IO'
  | 'ROTATOR_FAILED' // a rotator could not start, exited non-zero or printed no usable value (details.stderr)
  | 'ROTATOR_TIMEOUT' // a rotator ran past its timeout and was killed (details.stderr)
  | 'ROTATOR_NOT_TRUSTED' // this device has not been told to run that rotator command
  | 'PROVIDER_UNREACHABLE' // a built-in rotator or lease could not reach the provider (the database server is down or unreachable)
  | 'ADMIN_CREDENTIAL_REFUSED' // the provider refused the admin credential (wrong password, no such user)
  | 'ROLE_MISSING' // the provider has no such role/account, or it is not set up as the rotator expects (details.role)
  | 'PROVIDER_REFUSED' // the provider refused a change (the admin credential lacks a right; details.providerCode)
  | 'NEW_CREDENTIAL_FAILED' // the new credential did not log in: the provider was put back as it was
  | 'ROTATION_FAILED' // `tessera rotate --due`: at least one rotation failed (exit status 1)
  | 'GRACE_NOT_OVER' // rotating now would cut off clients still on the previous credential
  | 'LEASE_NOT_FOUND' // no such short-lived credential
  | 'SECRET_RETIRED' // the secret is retired: restore it first
  | 'CONFIRMATION_REQUIRED' // a destructive action needs the user's explicit confirmation
  | 'FINGERPRINT_REQUIRED' // approving by name needs digits of the request's fingerprint (details.fingerprints)
  | 'FINGERPRINT_MISMATCH' // the fingerprint digits given are not the join request's
  | 'HEALTH_FINDINGS' // `tessera health` found something (exit 1 for scripts and CI)
  | 'REFERENCE_MISSING' // a ${...} reference names a secret, environment or vault that is not there
  | 'REFERENCE_CYCLE' // references that lead back to themselves
  | 'REFERENCE_NOT_ALLOWED' // a reference into a scope its author could not read, or into another vault not allowed
  | 'COMMAND_FAILED' // `tessera run` could not start the command
  | 'PROJECT_CONFIG' // a .tessera.json that does not parse or says something invalid
  | 'NOT_A_REPOSITORY' // scan --staged / --git-history / hook outside a git repository
  | 'HOOK_EXISTS' // a pre-commit hook that is not Tessera's is already installed
  | 'SECRETS_FOUND'; // `tessera scan` found secrets (exit status 1)

export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** Extra, non-secret facts a caller may show (line numbers, counts, hints). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    this.details = details;
  }
}

export function isTesseraError(e: unknown, code?: ErrorCode): e is TesseraError {
  return e instanceof TesseraError && (code === undefined || e.code === code);
}
