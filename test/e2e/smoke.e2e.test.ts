// The built renderer in real Chromium, talking to the real desktop services through the
// test host: the wiring every other end-to-end test relies on.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeychain } from '../../src-main/keychain/memory-keychain';
import { tempHome } from '../helpers/temp-home';
import { launchChromium, openApp } from './browser';
import { startHost, type TestHost } from './host';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => browser?.close());

describe('test host', () => {
  let host: TestHost;
  afterAll(async () => host?.close());

  it('serves the page and answers its API calls over the guarded socket', async () => {
    host = await startHost({ home: await tempHome(), keychain: createMemoryKeychain() });
    const page = await openApp(browser, host);
    expect(await page.evaluate(() => (globalThis as unknown as { tessera: { app: { version(): Promise<string> } } }).tessera.app.version())).toBe('e2e');
    const status = await page.evaluate(() => (globalThis as unknown as { tessera: { session: { status(): Promise<unknown> } } }).tessera.session.status());
    expect(status).toEqual({ state: 'no-profile' });
    // A socket without the token (any other page or process on the machine) is refused.
    const refused = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      return new Promise<string>((r) => {
        ws.onopen = () => r('open');
        ws.onerror = () => r('refused');
      });
    }, host.url.replace('http', 'ws') + 'api?token=wrong');
    expect(refused).toBe('refused');
    await page.context().close();
  });
});
