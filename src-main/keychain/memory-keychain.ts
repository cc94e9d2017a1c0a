/**
 * A keychain that lives only as long as the process, for tests and benchmarks. It copies
 * bytes in and out so that a caller wiping its own buffer cannot corrupt the stored key,
 * and checks inputs the way the OS keychain does so that tests see the same errors.
 */
import { assertBytes, wipe } from '../../src-shared/crypto/bytes';
import { KEY_BYTES } from '../../src-shared/crypto/suite';
import { TesseraError } from '../../src-shared/errors';
import type { Keychain } from './keychain';

function checkProfileId(profileId: string): void {
  if (typeof profileId !== 'string' || profileId.length === 0) {
    throw new TesseraError('INVALID_INPUT', 'A profile id is required to find its device key');
  }
}

/** An empty in-memory keychain; never throws KEYCHAIN_UNAVAILABLE. */
export function createMemoryKeychain(): Keychain {
  const keys = new Map<string, Uint8Array>();
  return {
    name: 'memory',

    async getDeviceKey(profileId) {
      checkProfileId(profileId);
      const key = keys.get(profileId);
      return key ? new Uint8Array(key) : null; // a copy even for a Buffer (whose slice() is a view)
    },

    async setDeviceKey(profileId, key) {
      checkProfileId(profileId);
      assertBytes(key, KEY_BYTES, 'device key');
      wipe(keys.get(profileId));
      keys.set(profileId, new Uint8Array(key));
    },

    async deleteDeviceKey(profileId) {
      checkProfileId(profileId);
      const key = keys.get(profileId);
      if (!key) return false;
      wipe(key);
      keys.delete(profileId);
      return true;
    },
  };
}
