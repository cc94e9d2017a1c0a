/**
 * The one door from the UI to the main process: `window.tessera`, the typed bridge the
 * preload exposes (or the end-to-end test host injects). Nothing else in the renderer
 * touches it, so component tests swap it for a fake in one place.
 */
import type { TesseraBridge } from '../src-shared/api/transport';

let override: TesseraBridge | null = null;

export function api(): TesseraBridge {
  return override ?? window.tessera;
}

/** Component tests: serve the UI from a fake bridge (null restores window.tessera). */
export function useBridge(bridge: TesseraBridge | null): void {
  override = bridge;
}
