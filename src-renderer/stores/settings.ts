/** App settings (auto-lock, clipboard timeout, theme), kept by main. */
import { create } from 'zustand';
import type { Settings } from '../../src-shared/api/types';
import { api } from '../api';

interface SettingsStore {
  settings: Settings | null;
  saving: boolean;
  error: unknown;
  load(): Promise<void>;
  save(change: Partial<Settings>): Promise<boolean>;
}

export const useSettings = create<SettingsStore>()((set) => ({
  settings: null,
  saving: false,
  error: null,
  async load() {
    try {
      set({ settings: await api().settings.get(), error: null });
    } catch (error) {
      set({ error });
    }
  },
  async save(change) {
    set({ saving: true, error: null });
    try {
      set({ settings: await api().settings.set(change), saving: false });
      return true;
    } catch (error) {
      set({ saving: false, error });
      return false;
    }
  },
}));
