/** The settings part of the desktop API: saved in the profile folder; a change is audited. */
import type { Settings, TesseraApi } from '../../src-shared/api/types';
import type { DesktopContext } from './desktop-context';
import { writeSettings } from './settings';

export function settingsApi(ctx: DesktopContext): TesseraApi['settings'] {
  return {
    get: async () => ctx.settings(),
    set: async (change) => {
      const before = ctx.settings();
      const next: Settings = { ...before, ...change } as Settings;
      await writeSettings(ctx.home, next);
      const changed = Object.keys(change).filter((k) => change[k as keyof Settings] !== before[k as keyof Settings]);
      ctx.applySettings(next);
      // Locked, there is no log to record it in.
      if (changed.length && ctx.isUnlocked) await ctx.audit.record({ action: 'settings-changed', detail: { fields: changed } });
      return next;
    },
  };
}
