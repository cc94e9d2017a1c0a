/**
 * Where the device key lives. The OS keychain (keytar: macOS Keychain, Windows Credential
 * Vault, Secret Service on Linux) is the default; tests and benchmarks use the in-memory one.
 * Service name `Tessera`, account = the profile id.
 */
export const KEYCHAIN_SERVICE = 'Tessera';

export interface Keychain {
  /** A short name for messages: "Secret Service", "memory"… */
  readonly name: string;
  /** The stored device key, or null when this profile has no entry. Throws KEYCHAIN_UNAVAILABLE. */
  getDeviceKey(profileId: string): Promise<Uint8Array | null>;
  /** Stores (or replaces) the device key. Throws KEYCHAIN_UNAVAILABLE. */
  setDeviceKey(profileId: string, key: Uint8Array): Promise<void>;
  /** Removes the entry; false when there was none. */
  deleteDeviceKey(profileId: string): Promise<boolean>;
}
