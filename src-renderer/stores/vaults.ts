/** The vaults in the sidebar, which one is open, and their relay and sync state. */
import { create } from 'zustand';
import type { VaultSummary } from '../../src-shared/api/types';
import { api } from '../api';
import { useSecrets } from './secrets';

interface VaultsStore {
  vaults: VaultSummary[];
  selectedId: string | null;
  loading: boolean;
  /** Loading the list failed (the sidebar shows it). */
  error: unknown;
  /** The last create, sync or relay change failed (shown where it was asked for). */
  actionError: unknown;
  creating: boolean;
  /** Vault ids with a sync in flight. */
  syncing: Record<string, boolean>;
  /** Last sync outcome per vault, for the settings screen. */
  synced: Record<string, { sent: number; received: number; at: number }>;
  load(): Promise<void>;
  select(id: string): void;
  create(name: string, environments?: string[]): Promise<VaultSummary | null>;
  sync(id: string): Promise<boolean>;
  setRelay(id: string, url: string): Promise<boolean>;
  reset(): void;
}

export const useVaults = create<VaultsStore>()((set, get) => ({
  vaults: [],
  selectedId: null,
  loading: false,
  error: null,
  actionError: null,
  creating: false,
  syncing: {},
  synced: {},

  async load() {
    set({ loading: true });
    try {
      const vaults = await api().vaults.list();
      const selected = get().selectedId;
      set({
        vaults,
        loading: false,
        error: null,
        selectedId: vaults.some((v) => v.id === selected) ? selected : (vaults[0]?.id ?? null),
      });
    } catch (error) {
      set({ loading: false, error });
    }
  },

  select(id) {
    set({ selectedId: id });
  },

  async create(name, environments) {
    set({ creating: true, actionError: null });
    try {
      const vault = await api().vaults.create(environments ? { name, environments } : { name });
      set({ vaults: [...get().vaults.filter((v) => v.id !== vault.id), vault], selectedId: vault.id, creating: false });
      return vault;
    } catch (error) {
      set({ creating: false, actionError: error });
      return null;
    }
  },

  async sync(id) {
    set({ syncing: { ...get().syncing, [id]: true }, actionError: null });
    try {
      const result = await api().vaults.sync({ vault: id });
      set({ synced: { ...get().synced, [id]: { ...result, at: Date.now() } } });
      // What arrived shows at once, whether or not main also reports the change.
      if (result.received > 0) {
        await get().load();
        if (useSecrets.getState().vault === id) await useSecrets.getState().load(id);
      }
      return true;
    } catch (error) {
      set({ actionError: error });
      return false;
    } finally {
      set({ syncing: { ...get().syncing, [id]: false } });
    }
  },

  async setRelay(id, url) {
    set({ actionError: null });
    try {
      await api().vaults.setRelay({ vault: id, url });
      set({ vaults: get().vaults.map((v) => (v.id === id ? { ...v, relay: url } : v)) });
      return true;
    } catch (error) {
      set({ actionError: error });
      return false;
    }
  },

  reset() {
    set({ vaults: [], selectedId: null, error: null, actionError: null, syncing: {}, synced: {} });
  },
}));

export function selectedVault(state: { vaults: VaultSummary[]; selectedId: string | null }): VaultSummary | null {
  return state.vaults.find((v) => v.id === state.selectedId) ?? null;
}
