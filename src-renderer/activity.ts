/**
 * Tells main the user is active so its idle timer (auto-lock) counts what happens in the
 * app, at most once per interval: main only needs to know the user is still here.
 */
import { api } from './api';

export const TOUCH_EVERY_MS = 30_000;

export function watchActivity(target: Window = window, now: () => number = Date.now): () => void {
  let last = -Infinity;
  const touch = (): void => {
    const t = now();
    if (t - last < TOUCH_EVERY_MS) return;
    last = t;
    // A refusal (locked meanwhile) needs no handling: the locked event does that.
    api().session.touch().catch(() => undefined);
  };
  const kinds = ['keydown', 'pointerdown', 'wheel'] as const;
  for (const k of kinds) target.addEventListener(k, touch, { passive: true, capture: true });
  return () => {
    for (const k of kinds) target.removeEventListener(k, touch, { capture: true });
  };
}
