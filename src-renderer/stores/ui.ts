/** Where the user is: the screen, open dialogs, the palette, and long-running tasks. */
import { create } from 'zustand';
import type { GenerateSpec } from '../../src-shared/api/types';

export type Screen = 'secrets' | 'members' | 'activity' | 'health' | 'settings';
export type Dialog =
  | { kind: 'add' }
  | { kind: 'edit'; name: string; environment?: string }
  | { kind: 'import' }
  /** `generate`: the generator to start from (what a Health finding proposes). */
  | { kind: 'rotate'; name: string; environment: string; generate?: GenerateSpec }
  /** The selected secret's rotation policy, outside its detail (from Health). */
  | { kind: 'policy'; name: string }
  | { kind: 'create-vault' }
  | { kind: 'join' };

interface UiStore {
  screen: Screen;
  dialog: Dialog | null;
  paletteOpen: boolean;
  /** The environment the list filters on and Ctrl/Cmd+C copies from ('' = all; copy uses the first). */
  environment: string;
  /** Main's progress reports, by task name. */
  progress: Record<string, { done: number; total: number }>;
  go(screen: Screen): void;
  open(dialog: Dialog): void;
  close(): void;
  setPalette(open: boolean): void;
  setEnvironment(environment: string): void;
  report(task: string, done: number, total: number): void;
  reset(): void;
}

export const useUi = create<UiStore>()((set, get) => ({
  screen: 'secrets',
  dialog: null,
  paletteOpen: false,
  environment: '',
  progress: {},
  go: (screen) => set({ screen, paletteOpen: false }),
  open: (dialog) => set({ dialog, paletteOpen: false }),
  close: () => set({ dialog: null }),
  setPalette: (paletteOpen) => set({ paletteOpen }),
  setEnvironment: (environment) => set({ environment }),
  report(task, done, total) {
    const progress = { ...get().progress };
    if (done >= total) delete progress[task];
    else progress[task] = { done, total };
    set({ progress });
  },
  reset: () => set({ screen: 'secrets', dialog: null, paletteOpen: false, progress: {} }),
}));
