/**
 * Real Chromium for the end-to-end tests: Debian's package, driven by playwright-core (no
 * browser download). Each page gets the test host's bridge before any of its scripts run.
 */
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestHost } from './host';

export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = new URL('../../test-results/e2e/', import.meta.url).pathname;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function openApp(browser: Browser, host: TestHost, opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  // Anything the page logs as an error, or throws, fails loudly in the test output.
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.addInitScript({ content: host.bridgeScript });
  await page.goto(host.url);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
