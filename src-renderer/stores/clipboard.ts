/**
 * What Tessera put on the clipboard and when main will clear it. The value itself never
 * reaches the renderer: main copies it, and reports status through `clipboard` events.
 */
import { create } from 'zustand';
import type { ClipboardStatus } from '../../src-shared/api/types';
import { api } from '../api';

interface ClipboardStore {
  status: ClipboardStatus;
  /** Secret name + environment being copied right now (for the button's progress). */
  copying: string | null;
  error: unknown;
  copy(vault: string, name: string, environment: string): Promise<boolean>;
  clear(): Promise<void>;
  update(status: ClipboardStatus): void;
  reset(): void;
}

const idle: ClipboardStatus = { active: false, clearsAt: null };

export const useClipboard = create<ClipboardStore>()((set) => ({
  status: idle,
  copying: null,
  error: null,
  async copy(vault, name, environment) {
    set({ copying: `${name}\u0000${environment}`, error: null });
    try {
      const status = await api().clipboard.copy({ vault, name, environment });
      set({ status, copying: null });
      return true;
    } catch (error) {
      set({ copying: null, error });
      return false;
    }
  },
  async clear() {
    try {
      await api().clipboard.clear();
      set({ status: idle });
    } catch (error) {
      set({ error });
    }
  },
  update(status) {
    set({ status });
  },
  reset() {
    set({ status: idle, copying: null, error: null });
  },
}));

/** Whole seconds until main clears the clipboard, or null when it will not. */
export function secondsLeft(status: ClipboardStatus, now: number): number | null {
  if (!status.active || status.clearsAt === null) return null;
  return Math.max(0, Math.ceil((status.clearsAt - now) / 1000));
}
