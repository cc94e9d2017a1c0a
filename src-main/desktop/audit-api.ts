/** The audit part of the desktop API: the timeline, alerts (in the user's words) and export. */
import type { TesseraApi } from '../../src-shared/api/types';
import type { DesktopContext } from './desktop-context';

export function auditApi(ctx: DesktopContext): TesseraApi['audit'] {
  return {
    list: async (q) => {
      ctx.session();
      return (await ctx.auditLog().query?.(q)) ?? [];
    },
    alerts: async () => {
      ctx.session();
      return ((await ctx.auditLog().alerts?.()) ?? []).map((a) => ctx.named(a));
    },
    export: async ({ format, ...q }) => {
      ctx.session();
      return { text: (await ctx.auditLog().export?.(q, format)) ?? (format === 'json' ? '[]\n' : '') };
    },
  };
}
