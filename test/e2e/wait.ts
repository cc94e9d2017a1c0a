/**
 * Waiting for the page the way a user does, with playwright-core alone (the auto-retrying
 * `expect` ships with @playwright/test, which is not used): each helper polls with a bounded
 * deadline and fails with what it last saw.
 */
import type { Locator } from 'playwright-core';

const DEFAULT_MS = 10_000;

export async function visible(locator: Locator, timeout = DEFAULT_MS): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

export async function hidden(locator: Locator, timeout = DEFAULT_MS): Promise<void> {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** Polls `read` until `ok` holds for what it returns; throws with the last value otherwise. */
export async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeout = DEFAULT_MS): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last saw ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const count = (locator: Locator, n: number, timeout?: number) => until(() => locator.count(), (c) => c === n, `${n} of ${locator}`, timeout);
export const texts = (locator: Locator, expected: string[], timeout?: number) =>
  until(() => locator.allInnerTexts().then((t) => t.map((s) => s.trim())), (t) => JSON.stringify(t) === JSON.stringify(expected), `texts ${JSON.stringify(expected)} in ${locator}`, timeout);
export const enabled = (locator: Locator, timeout?: number) => until(() => locator.isEnabled(), (e) => e, `${locator} to be enabled`, timeout);
