// The desktop app as a user drives it: the built renderer in real Chromium, the real
// services behind it (profile, store, OS keychain, relay), one flow per test. Each main
// screen is saved under test-results/e2e/.
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { readProfileFile } from '../../src-main/profile/profile';
import { nullAuditSink } from '../../src-main/audit/audit-sink';
import { setPolicy } from '../../src-main/rotation/lifecycle';
import { forgetDeviceKey, requireKeychain } from '../helpers/keychain';
import { startRelay, type RelayProcess } from '../helpers/relay';
import { tempHome } from '../helpers/temp-home';
import { launchChromium, openApp, screenshot } from './browser';
import { startHost, type TestHost } from './host';
import { count, hidden, texts, until, visible } from './wait';

const STRIPE = 'sk_live_e2e-0123456789abcdef';
let browser: Browser;
const hosts: TestHost[] = [];
const homes: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => browser?.close());
const pages: Page[] = [];
afterEach(async (ctx) => {
  // A failed flow leaves a picture of each page it had open.
  if (ctx.task.result?.state === 'fail') {
    for (const [i, p] of pages.entries()) await screenshot(p, `failed-${ctx.task.name.slice(0, 24).replace(/\W+/g, '-')}-${i}`).catch(() => {});
  }
  pages.length = 0;
  for (const h of hosts.splice(0)) await h.close().catch(() => {});
  for (const home of homes.splice(0)) {
    const profile = await readProfileFile(home).catch(() => null);
    if (profile) await forgetDeviceKey(profile.profileId);
  }
});

async function newApp(): Promise<{ host: TestHost; page: Page; home: string }> {
  const home = await tempHome('tessera-e2e-');
  homes.push(home);
  const host = await startHost({ home, keychain: createOsKeychain() });
  hosts.push(host);
  const page = await openApp(browser, host);
  pages.push(page);
  return { host, page, home };
}

async function setUp(page: Page, name: string, passphrase?: string): Promise<void> {
  await visible(page.getByRole('heading', { name: 'Welcome to Tessera' }));
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (passphrase) {
    await page.getByRole('checkbox', { name: /^Passphrase/ }).check();
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Confirm passphrase').fill(passphrase);
  }
  await page.getByRole('button', { name: 'Create profile' }).click();
  await visible(page.getByRole('heading', { name: 'Secrets', level: 1 }));
}

async function createVault(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Create vault' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create vault' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByRole('button', { name: 'Create vault' }).click();
  await hidden(dialog);
  await visible(page.getByRole('navigation', { name: 'Vaults and screens' }).getByRole('button', { name: new RegExp(`^${name}`) }));
}

async function addSecret(page: Page, name: string, environment: string, value: string): Promise<void> {
  await page.getByRole('button', { name: 'Add secret' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add secret' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Environment').selectOption(environment);
  await dialog.getByLabel('Value', { exact: true }).fill(value);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await hidden(dialog);
}

describe('the desktop app in Chromium', () => {
  it('first run, a vault, a secret: search, reveal, copy (cleared after the timeout), lock, unlock', async (ctx) => {
    await requireKeychain(ctx);
    const { host, page } = await newApp();
    await screenshot(page, 'setup');
    await setUp(page, 'Ada Lovelace', 'correct horse battery staple');
    await createVault(page, 'acme');
    await addSecret(page, 'STRIPE_KEY', 'production', STRIPE);
    await addSecret(page, 'GITHUB_TOKEN', 'development', 'ghp_e2e-not-a-real-token-000000000000');

    // Instant search narrows the list as you type.
    const list = page.getByRole('listbox', { name: 'Secrets' });
    await count(list.getByRole('option'), 2);
    await page.getByLabel('Search secrets').fill('stri');
    await count(list.getByRole('option'), 1);
    await list.getByRole('option', { name: /STRIPE_KEY/ }).click();
    await visible(page.getByRole('heading', { name: 'STRIPE_KEY', level: 2 }));
    await screenshot(page, 'secrets');

    // Reveal shows the value in the production group, and only there.
    const production = page.getByRole('group', { name: 'production' });
    await count(production.getByText(STRIPE), 0);
    await production.getByRole('button', { name: 'Reveal' }).click();
    await visible(production.getByText(STRIPE));
    await screenshot(page, 'secret-detail');
    await production.getByRole('button', { name: 'Hide' }).click();

    // Copy goes through main; the clipboard service clears it after the timeout.
    await host.desktop.api.settings.set({ clipboardSeconds: 5 });
    await production.getByRole('button', { name: 'Copy' }).click();
    await visible(page.getByText(/Copied STRIPE_KEY to the clipboard — clears in \d+ s/));
    expect(host.clipboard.text).toBe(STRIPE);
    expect(host.clipboard.concealed).toBe(true);
    await until(() => host.clipboard.text, (t) => t === '', 'the clipboard to be cleared', 15_000);
    await hidden(page.getByText(/Copied STRIPE_KEY to the clipboard/));

    // The timeline has today's reveal and copy, from the sealed audit log.
    await page.getByRole('button', { name: /^Activity/ }).click();
    await visible(page.getByRole('heading', { name: 'Activity', level: 1 }));
    const today = page.getByRole('region', { name: 'Today' });
    await visible(today);
    const timeline = await host.desktop.api.audit.list({ secret: 'STRIPE_KEY' });
    expect(timeline.map((e) => e.action)).toEqual(expect.arrayContaining(['reveal', 'copy', 'clipboard-cleared', 'secret-created']));
    expect(JSON.stringify(timeline)).not.toContain(STRIPE);
    await screenshot(page, 'activity');

    // Lock drops everything; the keychain unlocks again.
    await page.getByRole('button', { name: 'Lock' }).click();
    await visible(page.getByRole('heading', { name: 'Unlock Tessera' }));
    await count(page.getByText(STRIPE), 0);
    expect(host.desktop.isUnlocked).toBe(false);
    await screenshot(page, 'unlock');
    await page.getByLabel('Passphrase', { exact: true }).fill('wrong passphrase');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await visible(page.getByText('That passphrase is not the one for this profile.'));
    await page.getByRole('button', { name: 'Unlock with system keychain' }).click();
    await visible(page.getByRole('heading', { name: 'Secrets', level: 1 }));
    await count(page.getByRole('listbox', { name: 'Secrets' }).getByRole('option'), 2);
  });

  it('imports a .env file after showing which keys are new and which already set, then says what changed', async (ctx) => {
    await requireKeychain(ctx);
    const { page, host } = await newApp();
    await setUp(page, 'Ada');
    await createVault(page, 'acme');
    await addSecret(page, 'DATABASE_URL', 'development', 'postgres://old');
    await page.getByRole('button', { name: 'Import' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import secrets' });
    await dialog.getByLabel('Environment').selectOption('development');
    await dialog.getByLabel('Choose file').setInputFiles({
      name: '.env',
      mimeType: 'text/plain',
      buffer: Buffer.from('# local settings\nDATABASE_URL=postgres://new\nREDIS_URL="redis://localhost:6379"\nexport SENTRY_DSN=https://key@sentry.example/1\n'),
    });
    const preview = dialog.getByRole('region', { name: 'Import preview' });
    await texts(preview.getByRole('list', { name: 'Will be added' }).getByRole('listitem'), ['REDIS_URL', 'SENTRY_DSN']);
    await texts(preview.getByRole('list', { name: 'Already set' }).getByRole('listitem'), ['DATABASE_URL']);
    await screenshot(page, 'import-preview');
    // Nothing is written before the user confirms.
    expect((await host.desktop.api.secrets.list({ vault: 'acme' })).map((s) => s.name)).toEqual(['DATABASE_URL']);
    await dialog.getByRole('button', { name: 'Import 3 secrets' }).click();
    await visible(dialog.getByText('Imported into development: 2 added, 1 updated, 0 unchanged.'));
    await dialog.getByRole('button', { name: 'Done' }).click();
    await hidden(dialog);
    await count(page.getByRole('listbox', { name: 'Secrets' }).getByRole('option'), 3);
    expect(await host.desktop.api.secrets.reveal({ vault: 'acme', name: 'DATABASE_URL', environment: 'development' })).toEqual({ value: 'postgres://new' });
  });

  it('a secret due for rotation shows in Health with buttons that fix it, is rotated from there, leaves Health, and its history shows both versions', { timeout: 60_000 }, async (ctx) => {
    await requireKeychain(ctx);
    const { page, host } = await newApp();
    await setUp(page, 'Ada');
    await createVault(page, 'acme');
    await addSecret(page, 'API_KEY', 'production', 'Zq8v3LwK2pN7rT5yX1cB9mD4hF6jG0sQaEuWiOoP');
    // Seed its age as an imported key's would be: rotated 40 days ago, every 30 days.
    await setPolicy(await host.desktop.vault('acme'), 'API_KEY', { intervalDays: 30, lastRotatedAt: Date.now() - 40 * 86_400_000 }, nullAuditSink);

    await page.getByRole('button', { name: 'Health', exact: true }).click();
    const findings = page.getByRole('list', { name: 'Findings' });
    const finding = findings.getByRole('listitem').filter({ hasText: 'API_KEY' }).filter({ hasText: /overdue/i });
    await visible(finding);
    // The fix is buttons, not a command to type.
    await texts(finding.getByRole('button'), ['Rotate…', 'Change policy…', 'Open API_KEY']);
    expect(await finding.innerText()).not.toMatch(/tessera /);
    await screenshot(page, 'health');

    await finding.getByRole('button', { name: 'Rotate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate API_KEY (production)' });
    await dialog.getByRole('radio', { name: 'Generate' }).check();
    await dialog.getByLabel('Format').selectOption('base62');
    await dialog.getByLabel('Length').fill('48');
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await hidden(dialog);
    const { value } = await host.desktop.api.secrets.reveal({ vault: 'acme', name: 'API_KEY', environment: 'production' });
    expect(value).toMatch(/^[0-9A-Za-z]{48}$/);
    // Still on Health, which checked again by itself: the finding is gone.
    await visible(page.getByRole('heading', { name: 'Health', level: 1 }));
    await count(findings.getByRole('listitem').filter({ hasText: 'API_KEY' }).filter({ hasText: /overdue/i }), 0);

    await page.getByRole('button', { name: 'Secrets', exact: true }).click();
    await page.getByRole('listbox', { name: 'Secrets' }).getByRole('option', { name: /API_KEY/ }).click();
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('tabpanel').getByLabel('Environment').selectOption('production');
    const versions = page.getByRole('list', { name: 'production versions' }).getByRole('listitem');
    await count(versions, 2);
    expect(await versions.nth(0).innerText()).toMatch(/v2[\s\S]*Current/);
    expect(await versions.nth(1).innerText()).toMatch(/v1[\s\S]*Revoked/);
    await screenshot(page, 'history');
  });

  describe('sharing through a relay', () => {
    let relay: RelayProcess | undefined;
    let relayDir: string | undefined;
    afterEach(async () => {
      await relay?.kill('SIGTERM');
      if (relayDir) await rm(relayDir, { recursive: true, force: true });
    });

    it('invites a teammate, who joins from a second profile, is approved after comparing fingerprints, and sees the secret', { timeout: 120_000 }, async (ctx) => {
      await requireKeychain(ctx);
      relayDir = await tempHome('tessera-e2e-relay-');
      relay = await startRelay(`${relayDir}/relay.db`);
      const ada = await newApp();
      await setUp(ada.page, 'Ada');
      await createVault(ada.page, 'acme');
      await addSecret(ada.page, 'STRIPE_KEY', 'production', STRIPE);

      // Point the vault at the relay and sync, from Settings.
      await ada.page.getByRole('button', { name: 'Settings' }).click();
      const sync = ada.page.getByRole('form', { name: 'acme sync' });
      await sync.getByLabel('Relay URL').fill(relay.url);
      await sync.getByRole('button', { name: 'Save relay' }).click();
      await sync.getByRole('button', { name: 'Sync now' }).click();
      await visible(sync.getByRole('status').filter({ hasText: /Synced .*: sent \d+, received \d+/ }), 20_000);
      await screenshot(ada.page, 'settings');

      // Invite: an editor who reads production.
      await ada.page.getByRole('button', { name: 'Members' }).click();
      const invite = ada.page.getByRole('form', { name: 'Invite a teammate' });
      await invite.getByLabel('Role').selectOption('editor');
      await invite.getByRole('checkbox', { name: 'production' }).check();
      await invite.getByRole('button', { name: 'Invite' }).click();
      const code = await ada.page.getByLabel('Invite code').inputValue({ timeout: 20_000 });
      expect(code.length).toBeGreaterThan(40);

      // Bob joins from his own profile.
      const bob = await newApp();
      await setUp(bob.page, 'Bob');
      await bob.page.getByRole('button', { name: 'Join vault' }).click();
      const join = bob.page.getByRole('dialog', { name: 'Join vault' });
      await join.getByLabel('Invite code').fill(code);
      await join.getByRole('button', { name: 'Join' }).click();
      await visible(join.getByRole('button', { name: 'Check for approval' }), 20_000);
      const bobFingerprint = (await bob.host.desktop.api.session.status()).profile!.fingerprint;

      // Ada sees the request with Bob's fingerprint, types the last group he reads, approves.
      await ada.page.getByRole('button', { name: 'Refresh' }).click();
      const request = ada.page.getByRole('listitem', { name: 'Request from Bob' });
      await visible(request, 20_000);
      await visible(request.getByText(bobFingerprint.split(/\s+/)[0]!));
      await screenshot(ada.page, 'members');
      const approveButton = request.getByRole('button', { name: 'Approve' });
      expect(await approveButton.isDisabled()).toBe(true);
      await request.getByLabel('Last group Bob read').fill(bobFingerprint.split(/\s+/).at(-1)!);
      await approveButton.click();
      // Exact: 'Bob' alone would also match the request's own item ("Request from Bob"),
      // which is there before the approval is done, and Bob would check too early.
      await visible(ada.page.getByRole('listitem', { name: 'Bob', exact: true }), 20_000);

      // Bob checks, the vault arrives, the secret is there and he can read it.
      await join.getByRole('button', { name: 'Check for approval' }).click();
      await visible(join.getByText('Joined acme.'), 20_000);
      await join.getByRole('button', { name: 'Close', exact: true }).last().click();
      await hidden(join);
      const bobVault = bob.page.getByRole('navigation', { name: 'Vaults and screens' }).getByRole('button', { name: /^acme/ });
      await visible(bobVault, 20_000);
      await bobVault.click();
      const list = bob.page.getByRole('listbox', { name: 'Secrets' });
      await visible(list.getByRole('option', { name: /STRIPE_KEY/ }), 20_000);
      await list.getByRole('option', { name: /STRIPE_KEY/ }).click();
      const production = bob.page.getByRole('group', { name: 'production' });
      await production.getByRole('button', { name: 'Reveal' }).click();
      await visible(production.getByText(STRIPE));
    });
  });
});
