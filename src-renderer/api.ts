/**
 * The one door from the UI to the main process: `window.tessera`, the typed bridge the
 * preload exposes (or the end-to-end test host injects). Nothing else in the renderer
 * touches it, so component tests swap it for a fake in one place.
 */
import { toApiError, type TesseraBridge } from '../src-shared/api/transport';

let override: TesseraBridge | null = null;
let wrapped: { from: TesseraBridge; to: TesseraBridge } | null = null;

/**
 * The bridge with its errors' codes restored: Electron's context bridge keeps only an
 * error's message, so the preload folds the code into it (transport.ts) and this unfolds it.
 */
function withCodes(bridge: TesseraBridge): TesseraBridge {
  const out: Record<string, unknown> = {};
  for (const [domain, calls] of Object.entries(bridge)) {
    if (domain === 'events') {
      out[domain] = calls;
      continue;
    }
    const d: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(calls as Record<string, (p?: unknown) => Promise<unknown>>)) {
      d[name] = (payload?: unknown) =>
        fn(payload).catch((e: unknown) => {
          throw toApiError(e);
        });
    }
    out[domain] = d;
  }
  return out as unknown as TesseraBridge;
}

export function api(): TesseraBridge {
  if (override) return override;
  if (wrapped?.from !== window.tessera) wrapped = { from: window.tessera, to: withCodes(window.tessera) };
  return wrapped.to;
}

/** Component tests: serve the UI from a fake bridge (null restores window.tessera). */
export function useBridge(bridge: TesseraBridge | null): void {
  override = bridge;
}
