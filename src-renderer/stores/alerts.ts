/** Alerts on unusual use: loaded from the audit log and pushed live by main. */
import { create } from 'zustand';
import type { Alert } from '../../src-shared/api/types';
import { api } from '../api';

interface AlertsStore {
  alerts: Alert[];
  /** Alerts that arrived since the user last looked at the Activity screen. */
  unseen: number;
  error: unknown;
  load(): Promise<void>;
  add(alert: Alert): void;
  seen(): void;
  reset(): void;
}

export const useAlerts = create<AlertsStore>()((set, get) => ({
  alerts: [],
  unseen: 0,
  error: null,
  async load() {
    try {
      const alerts = await api().audit.alerts();
      set({ alerts: [...alerts].sort((a, b) => b.at - a.at), error: null });
    } catch (error) {
      set({ error });
    }
  },
  add(alert) {
    if (get().alerts.some((a) => a.id === alert.id)) return;
    set({ alerts: [alert, ...get().alerts], unseen: get().unseen + 1 });
  },
  seen: () => set({ unseen: 0 }),
  reset: () => set({ alerts: [], unseen: 0, error: null }),
}));
