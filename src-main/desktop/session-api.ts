/**
 * The session part of the desktop API: first-run setup, unlock (keychain or passphrase),
 * lock, and the activity that keeps the idle lock away. A failed unlock is noted for the
 * audit log (in plain: there is no key yet) and moved into it at the next unlock.
 */
import type { LockReason, ProfileSummary, SessionStatus, TesseraApi } from '../../src-shared/api/types';
import { fromBase64Url } from '../../src-shared/crypto/bytes';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { noteFailedUnlock } from '../audit/pending';
import type { Keychain } from '../keychain/keychain';
import { createProfile, readProfileFile, unlockProfile, type ProfileFile, type Session } from '../profile/profile';

/** What the session domain drives in the app: the unlocked session's start and end. */
export interface SessionHost {
  readonly home: string;
  readonly suite: CryptoSuite;
  readonly keychain: Keychain;
  readonly passphraseOptions?: Parameters<typeof createProfile>[2]['passphraseOptions'];
  current(): Session | null;
  /** Takes an unlocked session in (audit log, idle lock, due notices). */
  begin(session: Session, method: string): Promise<void>;
  lock(reason: LockReason): Promise<void>;
  locksAt(): number | null;
  touch(): void;
  now(): number;
}

export function sessionApi(host: SessionHost): TesseraApi['session'] {
  const started = async (session: Session, method: string): Promise<ProfileSummary> => {
    await host.begin(session, method);
    return profileSummary(session.profile);
  };
  return {
    status: async (): Promise<SessionStatus> => {
      let profile: ProfileFile;
      try {
        profile = await readProfileFile(host.home);
      } catch (e) {
        if (isTesseraError(e, 'NO_PROFILE')) return { state: 'no-profile' };
        throw e;
      }
      if (!host.current()) return { state: 'locked', profile: profileSummary(profile) };
      return { state: 'unlocked', profile: profileSummary(profile), locksAt: host.locksAt() };
    },
    setup: async ({ name, useKeychain, passphrase }) => {
      if (host.current()) throw new TesseraError('PROFILE_EXISTS', 'A profile is already unlocked');
      const session = await createProfile(host.suite, host.home, {
        name,
        ...(useKeychain ? { keychain: host.keychain } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(host.passphraseOptions ? { passphraseOptions: host.passphraseOptions } : {}),
      });
      return started(session, 'setup');
    },
    unlock: async ({ method, passphrase }) => {
      const current = host.current();
      if (current) return profileSummary(current.profile);
      if (method === 'passphrase' && passphrase === undefined) throw new TesseraError('INVALID_INPUT', 'Type your passphrase');
      try {
        const { session, method: used } = await unlockProfile(
          host.suite,
          host.home,
          method === 'keychain' ? { keychain: host.keychain } : { passphrase: async () => passphrase!, preferPassphrase: true },
        );
        return await started(session, used);
      } catch (e) {
        // Sealed events need the key this attempt did not get: noted in plain, moved into the log at the next unlock.
        if (isTesseraError(e)) await noteFailedUnlock(host.home, method, host.now()).catch(() => {});
        throw e;
      }
    },
    lock: () => host.lock('manual'),
    touch: async () => host.touch(),
  };
}

export function profileSummary(profile: ProfileFile): ProfileSummary {
  const id = { signPublicKey: fromBase64Url(profile.identity.signPublicKey), boxPublicKey: fromBase64Url(profile.identity.boxPublicKey) };
  return {
    name: profile.name,
    memberId: profile.identity.memberId,
    fingerprint: formatFingerprint(fingerprint(id)),
    unlockMethods: { keychain: profile.unlock.keychain, passphrase: Boolean(profile.unlock.passphrase) },
  };
}
