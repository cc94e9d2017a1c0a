/**
 * The device key in the OS keychain through keytar: macOS Keychain, Windows Credential
 * Manager, Secret Service (libsecret) on Linux. This is the only module that imports keytar.
 *
 * keytar is an optional native dependency: it may be missing, unbuilt, or built for another
 * Node/Electron ABI. It is loaded on first use so that importing this module never fails and
 * a passphrase-only install still runs.
 *
 * Linux quirk, measured with keytar 7.9 and gnome-keyring: when the collection is locked and
 * no unlock prompt can be shown (or the user dismisses it), libsecret's lookup reports "no such
 * item" rather than an error, so getDeviceKey() returns null. Only writes report the lock.
 * keytar's findCredentials() segfaults on a locked collection, so it is never used here.
 */
import { createRequire } from 'node:module';
import { assertBytes, wipe } from '../../src-shared/crypto/bytes';
import { KEY_BYTES } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import { KEYCHAIN_SERVICE, type Keychain } from './keychain';

/** The part of keytar we use; declared here so type-checking does not need the optional package. */
interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

// `--passphrase` alone asks for the keychain too; `--no-keychain` is the command that works
// where there is none (init --passphrase also falls back to it by itself).
const PASSPHRASE_FALLBACK = 'use a passphrase instead (`tessera init --passphrase --no-keychain`)';

const SECRET_SERVICE_FIX =
  'Start and unlock a Secret Service (gnome-keyring, or KeePassXC with its Secret Service ' +
  `integration enabled), or ${PASSPHRASE_FALLBACK}.`;

// A standard base64 encoding of exactly 32 bytes: 43 characters and one '=' of padding.
const DEVICE_KEY_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

function loadKeytar(): Keytar {
  try {
    return createRequire(import.meta.url)('keytar') as Keytar;
  } catch (e) {
    throw new TesseraError(
      'KEYCHAIN_UNAVAILABLE',
      'The OS keychain is unavailable: keytar is not installed or not built. On Linux install ' +
        `libsecret-1-dev and reinstall Tessera, or ${PASSPHRASE_FALLBACK}.`,
      { reason: e instanceof Error ? e.message : String(e) },
    );
  }
}

function keychainName(): string {
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

/**
 * Turns an error thrown by keytar into KEYCHAIN_UNAVAILABLE with a cause and a fix a user can
 * act on. `secret`, when given, is scrubbed from the text as a last line of defence: keytar's
 * messages come from D-Bus and the OS and have never been seen to echo the stored value.
 */
export function mapKeytarError(error: unknown, secret?: string): TesseraError {
  let reason = error instanceof Error ? error.message : String(error);
  if (secret) reason = reason.split(secret).join('[redacted]');
  const details = { reason };
  const fail = (message: string) => new TesseraError('KEYCHAIN_UNAVAILABLE', message, details);

  if (/Cannot autolaunch D-Bus|Cannot spawn a message bus|Could not connect/i.test(reason)) {
    return fail(`No D-Bus session bus to reach the Secret Service (${reason}). ${SECRET_SERVICE_FIX}`);
  }
  if (/was not provided by any \.service files|ServiceUnknown|No such interface/i.test(reason)) {
    return fail(`No Secret Service is running on the D-Bus session bus (${reason}). ${SECRET_SERVICE_FIX}`);
  }
  if (/No such secret collection|Object does not exist at path/i.test(reason)) {
    return fail(
      `The Secret Service has no default keyring to store the device key in (${reason}). ` +
        `Create and unlock a default keyring, or ${PASSPHRASE_FALLBACK}.`,
    );
  }
  if (/locked|dismiss|cancel/i.test(reason)) {
    return fail(`The keyring is locked or the unlock prompt was dismissed (${reason}). ${SECRET_SERVICE_FIX}`);
  }
  const fix = process.platform === 'linux' ? SECRET_SERVICE_FIX : `Unlock the ${keychainName()}, or ${PASSPHRASE_FALLBACK}.`;
  return fail(`The ${keychainName()} refused the request (${reason}). ${fix}`);
}

function checkProfileId(profileId: string): void {
  if (typeof profileId !== 'string' || profileId.length === 0) {
    throw new TesseraError('INVALID_INPUT', 'A profile id is required to find its device key');
  }
}

function decodeDeviceKey(stored: string): Uint8Array {
  // Never quote `stored` in the message: it may be a real key under a damaged encoding.
  if (!DEVICE_KEY_BASE64.test(stored)) {
    throw new TesseraError('MALFORMED', `The keychain entry for this profile is not a ${KEY_BYTES}-byte device key`);
  }
  const buf = Buffer.from(stored, 'base64');
  const key = new Uint8Array(buf);
  wipe(buf);
  return key;
}

/** The keychain of the OS this process runs on. Each method throws KEYCHAIN_UNAVAILABLE when it cannot be reached. */
export function createOsKeychain(): Keychain {
  return {
    name: keychainName(),

    async getDeviceKey(profileId) {
      checkProfileId(profileId);
      const keytar = loadKeytar();
      let stored: string | null;
      try {
        stored = await keytar.getPassword(KEYCHAIN_SERVICE, profileId);
      } catch (e) {
        throw mapKeytarError(e);
      }
      return stored === null ? null : decodeDeviceKey(stored);
    },

    async setDeviceKey(profileId, key) {
      checkProfileId(profileId);
      assertBytes(key, KEY_BYTES, 'device key');
      const keytar = loadKeytar();
      const encoded = Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
      try {
        await keytar.setPassword(KEYCHAIN_SERVICE, profileId, encoded);
      } catch (e) {
        throw mapKeytarError(e, encoded);
      }
    },

    async deleteDeviceKey(profileId) {
      checkProfileId(profileId);
      const keytar = loadKeytar();
      try {
        return await keytar.deletePassword(KEYCHAIN_SERVICE, profileId);
      } catch (e) {
        throw mapKeytarError(e);
      }
    },
  };
}
