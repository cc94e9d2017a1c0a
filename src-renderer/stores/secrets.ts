/**
 * The open vault's secrets: the list (names and metadata only), the selected secret's
 * detail, and values the user chose to reveal. A revealed value lives here only until its
 * auto-hide timer fires, the user hides it, another secret is chosen, or the app locks.
 */
import { create } from 'zustand';
import type { BuiltinRotatorRequest, GenerateSpec, SecretDetail, SecretSummary, VersionInfo } from '../../src-shared/api/types';
import { api } from '../api';
import type { SecretFilters } from '../secrets/filter';

/** How long a revealed value stays on screen. */
export const REVEAL_MS = 20_000;

export interface SecretDraft {
  name: string;
  environment: string;
  /** '' when editing leaves the value as it is. */
  value: string;
  description: string;
  tags: string[];
  note: string;
}

interface SecretsStore {
  vault: string | null;
  list: SecretSummary[];
  loading: boolean;
  error: unknown;
  /** Search, tag and status; the environment filter is the ui store's, shared with copy. */
  filters: ListFilters;
  selected: string | null;
  detail: SecretDetail | null;
  detailError: unknown;
  /** Revealed values by `${name}\0${environment}`. */
  revealed: Record<string, string>;
  revealing: string | null;
  busy: string | null;
  actionError: unknown;
  load(vault: string): Promise<void>;
  setFilters(change: Partial<ListFilters>): void;
  select(name: string | null): Promise<void>;
  refreshDetail(): Promise<void>;
  reveal(environment: string): Promise<void>;
  hide(environment: string): void;
  save(draft: SecretDraft, editing: boolean): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  setRetired(name: string, retired: boolean): Promise<boolean>;
  rotate(req: { name: string; environment: string; value?: string; generate?: GenerateSpec; rotator?: true; graceDays?: number; note?: string }): Promise<VersionInfo | null>;
  rollback(name: string, environment: string, to: number): Promise<boolean>;
  setPolicy(name: string, policy: { intervalDays: number | null; expiresAt: number | null }): Promise<boolean>;
  /** A built-in rotator (main checks it against the provider before saving), or null to remove the rotator. */
  setRotator(name: string, rotator: BuiltinRotatorRequest | null): Promise<boolean>;
  /** Forget everything (lock, vault switch): values first. */
  clear(): void;
}

const key = (name: string, environment: string): string => `${name}\u0000${environment}`;
const timers = new Map<string, ReturnType<typeof setTimeout>>();

function stopTimers(): void {
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
}

type ListFilters = Omit<SecretFilters, 'environment'>;
const initialFilters: ListFilters = { query: '', tag: '', status: 'active' };

export const useSecrets = create<SecretsStore>()((set, get) => {
  /** Runs one action on the selected secret with progress and error state, then refreshes. */
  async function act<T>(label: string, run: () => Promise<T>): Promise<T | null> {
    set({ busy: label, actionError: null });
    try {
      const result = await run();
      set({ busy: null });
      return result;
    } catch (error) {
      set({ busy: null, actionError: error });
      return null;
    }
  }

  async function reloadList(): Promise<void> {
    const vault = get().vault;
    if (!vault) return;
    try {
      const list = await api().secrets.list({ vault });
      if (get().vault === vault) set({ list, error: null });
    } catch (error) {
      set({ error });
    }
  }

  return {
    vault: null,
    list: [],
    loading: false,
    error: null,
    filters: initialFilters,
    selected: null,
    detail: null,
    detailError: null,
    revealed: {},
    revealing: null,
    busy: null,
    actionError: null,

    async load(vault) {
      if (get().vault !== vault) {
        get().clear();
        set({ vault });
      }
      set({ loading: true });
      await reloadList();
      set({ loading: false });
      if (get().selected) await get().refreshDetail();
    },

    setFilters(change) {
      set({ filters: { ...get().filters, ...change } });
    },

    async select(name) {
      if (name === get().selected) return;
      stopTimers();
      set({ selected: name, detail: null, detailError: null, revealed: {}, actionError: null });
      if (name) await get().refreshDetail();
    },

    async refreshDetail() {
      const { vault, selected } = get();
      if (!vault || !selected) return;
      try {
        const detail = await api().secrets.get({ vault, name: selected });
        if (get().selected === selected) set({ detail, detailError: null });
      } catch (error) {
        if (get().selected === selected) set({ detail: null, detailError: error });
      }
    },

    async reveal(environment) {
      const { vault, selected } = get();
      if (!vault || !selected) return;
      const k = key(selected, environment);
      set({ revealing: k, actionError: null });
      try {
        const { value } = await api().secrets.reveal({ vault, name: selected, environment });
        // The user may have moved on (or the app locked) while main answered.
        if (get().selected !== selected || get().vault !== vault) return;
        set({ revealed: { ...get().revealed, [k]: value } });
        clearTimeout(timers.get(k));
        timers.set(k, setTimeout(() => get().hide(environment), REVEAL_MS));
      } catch (error) {
        set({ actionError: error });
      } finally {
        set({ revealing: null });
      }
    },

    hide(environment) {
      const { selected } = get();
      if (!selected) return;
      const k = key(selected, environment);
      clearTimeout(timers.get(k));
      timers.delete(k);
      const { [k]: _gone, ...rest } = get().revealed;
      set({ revealed: rest });
    },

    async save(draft, editing) {
      const vault = get().vault;
      if (!vault) return false;
      const done = await act('save', async () => {
        const tags = draft.tags;
        if (draft.value !== '') {
          await api().secrets.set({
            vault,
            name: draft.name,
            environment: draft.environment,
            value: draft.value,
            description: draft.description,
            tags,
            ...(draft.note ? { note: draft.note } : {}),
          });
        } else if (editing) {
          await api().secrets.update({ vault, name: draft.name, description: draft.description, tags });
        }
        return true;
      });
      if (!done) return false;
      await reloadList();
      if (get().selected === draft.name) await get().refreshDetail();
      else await get().select(draft.name);
      return true;
    },

    async remove(name) {
      const vault = get().vault;
      if (!vault) return false;
      const done = await act('remove', () => api().secrets.remove({ vault, name }).then(() => true));
      if (!done) return false;
      if (get().selected === name) await get().select(null);
      await reloadList();
      return true;
    },

    async setRetired(name, retired) {
      const vault = get().vault;
      if (!vault) return false;
      const done = await act(retired ? 'retire' : 'restore', () => (retired ? api().secrets.retire({ vault, name }) : api().secrets.restore({ vault, name })));
      if (!done) return false;
      await reloadList();
      await get().refreshDetail();
      return true;
    },

    async rotate(req) {
      const vault = get().vault;
      if (!vault) return null;
      const version = await act('rotate', () => api().secrets.rotate({ vault, ...req }));
      if (version) {
        get().hide(req.environment);
        await reloadList();
        await get().refreshDetail();
      }
      return version;
    },

    async rollback(name, environment, to) {
      const vault = get().vault;
      if (!vault) return false;
      const done = await act('rollback', () => api().secrets.rollback({ vault, name, environment, to }));
      if (!done) return false;
      get().hide(environment);
      await get().refreshDetail();
      return true;
    },

    async setPolicy(name, policy) {
      const vault = get().vault;
      if (!vault) return false;
      const detail = await act('policy', () => api().secrets.setPolicy({ vault, name, ...policy }));
      if (!detail) return false;
      if (get().selected === name) set({ detail });
      await reloadList();
      return true;
    },

    async setRotator(name, rotator) {
      const vault = get().vault;
      if (!vault) return false;
      const detail = await act('rotator', () => api().secrets.setRotator({ vault, name, rotator }));
      if (!detail) return false;
      if (get().selected === name) set({ detail });
      return true;
    },

    clear() {
      stopTimers();
      set({ vault: null, list: [], selected: null, detail: null, detailError: null, revealed: {}, revealing: null, busy: null, actionError: null, error: null, filters: initialFilters });
    },
  };
});

export function revealedValue(revealed: Record<string, string>, name: string, environment: string): string | undefined {
  return revealed[key(name, environment)];
}

export function revealKey(name: string, environment: string): string {
  return key(name, environment);
}
