/** Who is signed in and whether the vault is open: drives setup → unlock → app. */
import { create } from 'zustand';
import type { LockReason, ProfileSummary } from '../../src-shared/api/types';
import { api } from '../api';

export type SessionState = 'loading' | 'unavailable' | 'no-profile' | 'locked' | 'unlocked';

interface SessionStore {
  state: SessionState;
  profile: ProfileSummary | null;
  /** Why the last lock happened, to say so on the unlock screen. */
  lockReason: LockReason | null;
  busy: boolean;
  error: unknown;
  load(): Promise<void>;
  setup(req: { name: string; useKeychain: boolean; passphrase?: string }): Promise<boolean>;
  unlock(method: 'keychain' | 'passphrase', passphrase?: string): Promise<boolean>;
  /** Main said it locked (idle, suspend, Ctrl+L, another window). */
  locked(reason: LockReason): void;
}

export const useSession = create<SessionStore>()((set) => ({
  state: 'loading',
  profile: null,
  lockReason: null,
  busy: false,
  error: null,

  async load() {
    try {
      const status = await api().session.status();
      set({ state: status.state, profile: status.profile ?? null, error: null });
    } catch (error) {
      set({ state: 'unavailable', error });
    }
  },

  async setup(req) {
    set({ busy: true, error: null });
    try {
      const profile = await api().session.setup(req);
      set({ state: 'unlocked', profile, busy: false, lockReason: null });
      return true;
    } catch (error) {
      set({ busy: false, error });
      return false;
    }
  },

  async unlock(method, passphrase) {
    set({ busy: true, error: null });
    try {
      const profile = await api().session.unlock(method === 'passphrase' ? { method, passphrase: passphrase ?? '' } : { method });
      set({ state: 'unlocked', profile, busy: false, lockReason: null });
      return true;
    } catch (error) {
      set({ busy: false, error });
      return false;
    }
  },

  locked(reason) {
    set({ state: 'locked', lockReason: reason, busy: false, error: null });
  },
}));
