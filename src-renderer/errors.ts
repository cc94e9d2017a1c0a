/**
 * Every error the UI shows says what happened and what to do, from the code main answers
 * with. Messages from main are shown only for codes without a sentence here: they never
 * carry secret values (the contract promises it), but ours read better.
 */
// The code is read by shape, not by `instanceof ApiError`: the bridge's errors are built on
// the other side of the context bridge (or in the test host's script), from another copy of
// the class, and importing the class would also pull zod into the page bundle.

/** The code an API error carries, if it is one. */
export function errorCode(error: unknown): string | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z][A-Z_]*$/.test(code) ? code : null;
}

export interface Explained {
  readonly code: string;
  readonly what: string;
  readonly todo: string;
  /** Main's own words, for codes where they add a fact (a line number, a field). */
  readonly detail?: string;
}

const withDetail = new Set(['ROLE_MISSING', 'GRACE_NOT_OVER', 'PROVIDER_REFUSED', 'NEW_CREDENTIAL_FAILED', 'DOTENV_SYNTAX', 'INVALID_INPUT', 'INVALID_NAME', 'RELAY_REJECTED', 'MEMBERSHIP_REFUSED', 'MALFORMED']);

const sentences: Record<string, readonly [what: string, todo: string]> = {
  BAD_PASSPHRASE: ['That passphrase is not the one for this profile.', 'Check Caps Lock and your keyboard layout, then type it again.'],
  KEYCHAIN_UNAVAILABLE: ['The system keychain is not available.', 'Unlock with your passphrase, or start your desktop keyring (Secret Service, Keychain, Credential Manager) and try again.'],
  KEYCHAIN_ENTRY_MISSING: ['The system keychain holds no key for this profile.', 'Unlock with your passphrase; the keychain entry may have been deleted or belong to another user.'],
  NO_UNLOCK_METHOD: ['No way to unlock was chosen.', 'Use the system keychain, a passphrase, or both.'],
  NO_PROFILE: ['There is no profile on this device yet.', 'Set one up first.'],
  PROFILE_EXISTS: ['A profile already exists on this device.', 'Unlock it instead of creating a new one.'],
  VAULT_LOCKED: ['Tessera is locked.', 'Unlock it to continue.'],
  NOT_FOUND: ['That item no longer exists.', 'It may have been deleted or renamed on another device; refresh and try again.'],
  ALREADY_EXISTS: ['Something with that name already exists.', 'Pick another name.'],
  INVALID_NAME: ['That name is not allowed.', 'Use letters, digits, dots, dashes and underscores.'],
  INVALID_INPUT: ['Some of what was entered is not valid.', 'Check the highlighted fields and try again.'],
  NO_ACCESS: ['You do not have access to do that.', 'Ask an owner or admin of this vault for the role or environment you need.'],
  TAMPERED: ['Some vault data failed its integrity check and was not opened.', 'Do not trust this copy; sync from your relay or ask a teammate, and report it.'],
  MALFORMED: ['Some data could not be read.', 'Check that the file or code is complete and try again.'],
  UNSUPPORTED_VERSION: ['This data was made by a newer version of Tessera.', 'Update Tessera on this device.'],
  MEMBERSHIP_REFUSED: ['The vault refused that membership change.', 'Check your role; only owners and admins manage members.'],
  FINGERPRINT_MISMATCH: ['No join request with that name has the fingerprint you confirmed; nothing was approved.', 'Refresh, and approve only once the digits they read to you match.'],
  LOG_FORKED: ['The relay showed two different membership histories for this vault.', 'Do not approve anything; contact your teammates and your relay operator.'],
  DOTENV_SYNTAX: ['The .env file has a line Tessera cannot read; nothing was imported.', 'Fix the line named in the message and try again.'],
  EXPORT_UNREPRESENTABLE: ['A value cannot be written in that format.', 'Choose another export format.'],
  STORE_BUSY: ['Another Tessera process is writing this vault.', 'Wait a moment and try again.'],
  SYNC_BUSY: ['This vault is already syncing elsewhere (another window or the command line).', 'Wait for it to finish, then try again.'],
  NO_RELAY: ['This vault has no relay configured.', 'Set a relay URL in Settings, then sync.'],
  RELAY_UNREACHABLE: ['The relay could not be reached.', 'Check the relay URL and your network; your changes are kept and will sync later.'],
  RELAY_REJECTED: ['The relay refused the request.', 'Check that you are still a member of this vault and the relay URL is right.'],
  PROVIDER_UNREACHABLE: ['The database server did not answer; nothing was changed.', 'Check that it is running and reachable from this computer, then try again.'],
  ADMIN_CREDENTIAL_REFUSED: ['The database refused the admin credential; nothing was changed.', 'Save the right admin URL in the admin secret, then try again.'],
  ROLE_MISSING: ['The database roles are not set up as the rotator expects; nothing was changed.', 'Create the group role and its two login roles (ROLE_1, ROLE_2) as the message says.'],
  PROVIDER_REFUSED: ['The database refused the change; nothing was changed.', 'Give the admin role the right it lacks (CREATEROLE), then try again.'],
  NEW_CREDENTIAL_FAILED: ['The new credential did not log in, so it was not saved and the database was put back.', 'Check that the login roles may connect to the database (CONNECT, pg_hba.conf).'],
  GRACE_NOT_OVER: ['The previous credential is still in its grace period; rotating now would cut off whoever still uses it.', 'Rotate after the date in the message.'],
  IO: ['Tessera could not read or write its files.', 'Check free disk space and permissions, then try again.'],
  FORBIDDEN: ['The app refused a request from this window.', 'Restart Tessera.'],
  INTERNAL: ['Something went wrong inside Tessera.', 'Try again; if it keeps happening, restart the app.'],
};

export function explain(error: unknown): Explained {
  const code = errorCode(error) ?? 'INTERNAL';
  const known = sentences[code];
  if (known) {
    const message = error instanceof Error ? error.message : '';
    const detail = withDetail.has(code) && message ? message : undefined;
    return detail ? { code, what: known[0], todo: known[1], detail } : { code, what: known[0], todo: known[1] };
  }
  const message = error instanceof Error && error.message ? error.message : 'Something went wrong.';
  return { code, what: message, todo: 'Try again.' };
}
