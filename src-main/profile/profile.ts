/**
 * A profile: one install's identity, device key and vaults, in one folder.
 *
 *   profile.json     public: profile id, public keys, how to unlock (never a secret)
 *   keyring.sealed   secretbox(device key, identity secret keys + scope keys)
 *   vaults/<id>/…    envelopes and snapshots (see store/)
 *
 * The device key is 32 random bytes kept in the OS keychain and/or wrapped by a passphrase.
 */
import { fromBase64Url, toBase64Url, wipe } from '../../src-shared/crypto/bytes';
import { memberId, type PublicIdentity } from '../../src-shared/crypto/identity';
import { KEY_BYTES, SEED_BYTES, type CryptoSuite } from '../../src-shared/crypto/suite';
import type { SigningKey } from '../../src-shared/envelope/envelope';
import { TesseraError } from '../../src-shared/errors';
import { ensureDir, readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import type { Keychain } from '../keychain/keychain';
import { unwrapDeviceKey, wrapDeviceKey, type PassphraseWrap } from '../keychain/passphrase';
import { readKeyring, wipeKeyring, writeKeyring, type KeyringData } from './keyring';
import { profilePaths } from './paths';

export interface ProfileFile {
  format: 1;
  profileId: string;
  name: string;
  createdAt: number;
  identity: { signPublicKey: string; boxPublicKey: string; memberId: string };
  unlock: { keychain: boolean; passphrase?: PassphraseWrap };
}

export async function readProfileFile(home: string): Promise<ProfileFile> {
  const raw = await readFileIfExists(profilePaths(home).profile);
  if (!raw) throw new TesseraError('NO_PROFILE', 'No Tessera profile here yet: run `tessera init --name "Your Name"`');
  let p: ProfileFile;
  try {
    p = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TesseraError('MALFORMED', 'profile.json is damaged');
  }
  if (p?.format !== 1 || typeof p.profileId !== 'string' || typeof p.identity?.signPublicKey !== 'string') {
    throw new TesseraError('MALFORMED', 'profile.json is damaged or from a newer Tessera');
  }
  return p;
}

export interface CreateProfileOptions {
  name: string;
  /** Store the device key here (the OS keychain, normally). */
  keychain?: Keychain;
  /** Also (or instead) wrap the device key with this passphrase. */
  passphrase?: string;
  /** For tests only: weaker scrypt parameters. */
  passphraseOptions?: Parameters<typeof wrapDeviceKey>[3];
}

/** An unlocked profile: holds the keys until lock() wipes them. */
export class Session {
  private locked = false;

  constructor(
    readonly suite: CryptoSuite,
    readonly home: string,
    readonly profile: ProfileFile,
    private deviceKey: Uint8Array,
    private keyring: KeyringData,
  ) {}

  get memberId(): string {
    return this.profile.identity.memberId;
  }

  get signingKey(): SigningKey {
    this.assertUnlocked();
    return { seed: this.keyring.signSeed, publicKey: fromBase64Url(this.profile.identity.signPublicKey) };
  }

  get keys(): KeyringData {
    this.assertUnlocked();
    return this.keyring;
  }

  /** Re-reads the keyring (another process may have added a vault), then saves `change`. */
  async updateKeyring(change: (k: KeyringData) => void): Promise<void> {
    this.assertUnlocked();
    const path = profilePaths(this.home).keyring;
    const fresh = await readKeyring(this.suite, path, this.deviceKey);
    change(fresh);
    await writeKeyring(this.suite, path, this.deviceKey, fresh);
    wipeKeyring(this.keyring);
    this.keyring = fresh;
  }

  async reloadKeyring(): Promise<void> {
    this.assertUnlocked();
    const fresh = await readKeyring(this.suite, profilePaths(this.home).keyring, this.deviceKey);
    wipeKeyring(this.keyring);
    this.keyring = fresh;
  }

  /**
   * The device key, for deriving purpose-specific local keys from it (verified-record MACs,
   * the audit log's seal and head keys, the scan-findings seal, reuse tags): each caller
   * derives its own with a label of its own and never uses this key directly, so no two
   * purposes share a key.
   */
  get deviceKeyForRecords(): Uint8Array {
    this.assertUnlocked();
    return this.deviceKey;
  }

  lock(): void {
    if (this.locked) return;
    this.locked = true;
    wipeKeyring(this.keyring);
    wipe(this.deviceKey);
  }

  get isLocked(): boolean {
    return this.locked;
  }

  private assertUnlocked(): void {
    if (this.locked) throw new TesseraError('VAULT_LOCKED', 'Tessera is locked');
  }
}

export async function createProfile(suite: CryptoSuite, home: string, opts: CreateProfileOptions): Promise<Session> {
  const paths = profilePaths(home);
  await ensureDir(home);
  if (await readFileIfExists(paths.profile)) throw new TesseraError('PROFILE_EXISTS', `A profile already exists in this folder`);
  if (!opts.keychain && opts.passphrase === undefined) {
    throw new TesseraError('NO_UNLOCK_METHOD', 'A profile needs the OS keychain or a passphrase');
  }
  const signSeed = suite.randomBytes(SEED_BYTES);
  const boxSecret = suite.randomBytes(KEY_BYTES);
  const identity: PublicIdentity = {
    signPublicKey: suite.ed25519.publicKeyFromSeed(signSeed),
    boxPublicKey: suite.box.publicKeyFromSecret(boxSecret),
  };
  const deviceKey = suite.randomBytes(KEY_BYTES);
  const profileId = Buffer.from(suite.randomBytes(16)).toString('hex');
  const profile: ProfileFile = {
    format: 1,
    profileId,
    name: opts.name,
    createdAt: Date.now(),
    identity: {
      signPublicKey: toBase64Url(identity.signPublicKey),
      boxPublicKey: toBase64Url(identity.boxPublicKey),
      memberId: memberId(identity),
    },
    unlock: { keychain: Boolean(opts.keychain) },
  };
  if (opts.passphrase !== undefined) {
    profile.unlock.passphrase = await wrapDeviceKey(deviceKey, opts.passphrase, undefined, opts.passphraseOptions);
  }
  // Keychain first: if it fails nothing is written and init can be retried.
  if (opts.keychain) await opts.keychain.setDeviceKey(profileId, deviceKey);
  const keyring: KeyringData = { signSeed, boxSecret, vaults: new Map(), joins: new Map() };
  await writeKeyring(suite, paths.keyring, deviceKey, keyring);
  await writeFileAtomic(paths.profile, JSON.stringify(profile, null, 2) + '\n');
  await ensureDir(paths.vaults);
  return new Session(suite, home, profile, deviceKey, keyring);
}

export interface UnlockOptions {
  keychain?: Keychain;
  /** Asked only when the keychain cannot be used and the profile has a passphrase. */
  passphrase?: () => Promise<string>;
  /** Prefer the passphrase even when the keychain works (TESSERA_PASSPHRASE_FILE). */
  preferPassphrase?: boolean;
}

export type UnlockMethod = 'keychain' | 'passphrase';

export async function unlockProfile(
  suite: CryptoSuite,
  home: string,
  opts: UnlockOptions,
): Promise<{ session: Session; method: UnlockMethod }> {
  const profile = await readProfileFile(home);
  const wrap = profile.unlock.passphrase;
  let deviceKey: Uint8Array | null = null;
  let method: UnlockMethod = 'keychain';
  let keychainError: TesseraError | undefined;

  if (profile.unlock.keychain && opts.keychain && !(opts.preferPassphrase && wrap && opts.passphrase)) {
    try {
      deviceKey = await opts.keychain.getDeviceKey(profile.profileId);
      if (!deviceKey) {
        keychainError = new TesseraError(
          'KEYCHAIN_ENTRY_MISSING',
          // libsecret answers "no entry" for a locked collection too, so say both.
          `The ${opts.keychain.name} has no Tessera device key for this profile, or the keyring is locked: unlock it and retry` +
            (wrap ? ', or unlock with your passphrase' : ''),
        );
      }
    } catch (e) {
      if (!(e instanceof TesseraError)) throw e;
      keychainError = e;
    }
  }
  if (!deviceKey) {
    if (wrap && opts.passphrase) {
      method = 'passphrase';
      deviceKey = await unwrapDeviceKey(wrap, await opts.passphrase());
    } else if (keychainError) {
      throw keychainError;
    } else if (wrap) {
      throw new TesseraError('NO_UNLOCK_METHOD', 'This profile unlocks with a passphrase: run in a terminal or set TESSERA_PASSPHRASE_FILE');
    } else {
      throw new TesseraError('NO_UNLOCK_METHOD', 'This profile unlocks with the OS keychain, which is not available here');
    }
  }
  const keyring = await readKeyring(suite, profilePaths(home).keyring, deviceKey);
  return { session: new Session(suite, home, profile, deviceKey, keyring), method };
}
