// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REVEAL_MS } from '../stores/secrets';
import { fake, renderApp } from '../testing/setup';

function seeded() {
  const f = fake();
  const v = f.addVault('payments');
  f.addSecret(v, 'STRIPE_SECRET_KEY', { production: 'sk_live_abc', development: 'sk_test_abc' }, { description: 'Stripe API', tags: ['billing'] });
  f.addSecret(v, 'STRIPE_WEBHOOK_SECRET', { production: 'whsec_1' }, { tags: ['billing'] });
  f.addSecret(v, 'GITHUB_TOKEN', { development: 'ghp_dev' }, { tags: ['ci'] });
  f.addSecret(v, 'OLD_API_KEY', { production: 'old' }, { status: 'retired' });
  f.addSecret(v, 'DATABASE_URL', { production: 'postgres://x' }, { policy: { intervalDays: 30, lastRotatedAt: Date.now() - 40 * 86_400_000 } });
  return { f, v };
}

const list = () => screen.getByRole('listbox', { name: 'Secrets' });
const names = (): string[] => within(list()).queryAllByRole('option').map((o) => o.querySelector('.secret-row__name')?.textContent ?? '');
const selectedRow = () => within(list()).getByRole('option', { selected: true });

describe('secrets list', () => {
  afterEach(() => vi.useRealTimers());

  it('filters as you type, by tag, environment and status', async () => {
    seeded();
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('option', { name: /GITHUB_TOKEN/ });
    expect(names()).toEqual(['DATABASE_URL', 'GITHUB_TOKEN', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']);

    await user.type(screen.getByLabelText('Search secrets'), 'stripe api');
    expect(names()).toEqual(['STRIPE_SECRET_KEY']);
    await user.clear(screen.getByLabelText('Search secrets'));

    await user.selectOptions(screen.getByLabelText('Tag'), 'billing');
    expect(names()).toEqual(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']);
    await user.selectOptions(screen.getByLabelText('Tag'), '');

    await user.selectOptions(screen.getByLabelText('Environment'), 'development');
    expect(names()).toEqual(['GITHUB_TOKEN', 'STRIPE_SECRET_KEY']);
    await user.selectOptions(screen.getByLabelText('Environment'), '');

    await user.selectOptions(screen.getByLabelText('Status'), 'retired');
    expect(names()).toEqual(['OLD_API_KEY']);
    expect(screen.getByRole('option', { name: /OLD_API_KEY/ }).textContent).toMatch(/Retired/);
  });

  it('shows the rotation state in the list', async () => {
    seeded();
    renderApp();
    const row = await screen.findByRole('option', { name: /DATABASE_URL/ });
    expect(row.textContent).toMatch(/Rotation overdue/);
    expect(screen.getByRole('option', { name: /GITHUB_TOKEN/ }).textContent).not.toMatch(/Rotation/);
  });

  it('moves through the list with the arrow keys and opens the detail with Enter', async () => {
    seeded();
    const user = userEvent.setup();
    renderApp();
    const search = await screen.findByLabelText('Search secrets');
    await screen.findByRole('option', { name: /GITHUB_TOKEN/ });
    search.focus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(selectedRow().textContent).toMatch(/GITHUB_TOKEN/);
    await user.keyboard('{ArrowUp}');
    expect(selectedRow().textContent).toMatch(/DATABASE_URL/);
    expect(await screen.findByRole('heading', { name: 'DATABASE_URL' })).toBeTruthy();
    await user.keyboard('{Enter}');
    expect(document.activeElement?.closest('#secret-detail')).not.toBeNull();

    list().focus();
    await user.keyboard('{End}');
    expect(selectedRow().textContent).toMatch(/STRIPE_WEBHOOK_SECRET/);
    expect(list().getAttribute('aria-activedescendant')).toBe(selectedRow().id);
  });

  it('renders a window of rows, not all 10,000, and still finds any of them', async () => {
    const f = fake();
    const v = f.addVault('big');
    for (let i = 0; i < 10_000; i++) f.addSecret(v, `KEY_${String(i).padStart(5, '0')}`, { production: 'x' });
    const user = userEvent.setup();
    renderApp();
    await screen.findByText('10000 secrets');
    expect(within(list()).getAllByRole('option').length).toBeLessThan(60);
    await user.type(screen.getByLabelText('Search secrets'), 'key_09876');
    expect(names()).toEqual(['KEY_09876']);
    expect(screen.getByText('1 of 10000 secrets')).toBeTruthy();
  });
});

describe('secret detail', () => {
  afterEach(() => vi.useRealTimers());

  it('masks values, reveals one on request, and hides it again after the delay', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { f } = seeded();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_SECRET_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    expect(production.textContent).not.toContain('sk_live_abc');
    await user.click(within(production).getByRole('button', { name: 'Reveal' }));
    expect(await within(production).findByText('sk_live_abc')).toBeTruthy();
    // Only the value asked for crossed the bridge.
    expect(f.callsOf('secrets.reveal')).toEqual([{ vault: 'v1', name: 'STRIPE_SECRET_KEY', environment: 'production' }]);
    expect(screen.getByRole('group', { name: 'development' }).textContent).not.toContain('sk_test_abc');

    act(() => vi.advanceTimersByTime(REVEAL_MS - 1000));
    expect(within(production).queryByText('sk_live_abc')).not.toBeNull();
    act(() => vi.advanceTimersByTime(1000));
    expect(within(production).queryByText('sk_live_abc')).toBeNull();
    expect(within(production).getByRole('button', { name: 'Reveal' })).toBeTruthy();
  });

  it('copies through main and counts down from its clipboard events', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { f } = seeded();
    f.settings = { ...f.settings, clipboardSeconds: 30 };
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_SECRET_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    await user.click(within(production).getByRole('button', { name: 'Copy' }));
    expect(await screen.findByText(/clears in 30 s/)).toBeTruthy();
    act(() => vi.advanceTimersByTime(5000));
    expect(screen.getByText(/clears in 25 s/)).toBeTruthy();
    // The value never came to the renderer: copy answers with a status only.
    expect(document.body.textContent).not.toContain('sk_live_abc');
    act(() => f.emit({ type: 'clipboard', status: { active: false, clearsAt: null } }));
    expect(screen.queryByText(/clears in/)).toBeNull();
  });

  it('copies the selected secret for the chosen environment with Ctrl+C', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('option', { name: /GITHUB_TOKEN/ });
    await user.selectOptions(screen.getByLabelText('Environment'), 'development');
    screen.getByRole('listbox', { name: 'Secrets' }).focus();
    await user.keyboard('{ArrowDown}');
    await screen.findByRole('heading', { name: 'GITHUB_TOKEN' });
    await user.keyboard('{Control>}c{/Control}');
    expect(f.callsOf('clipboard.copy')).toEqual([{ vault: 'v1', name: 'GITHUB_TOKEN', environment: 'development' }]);
    expect(await screen.findByText(/Copied GITHUB_TOKEN/)).toBeTruthy();
  });

  it('drops revealed values and returns to unlock when main locks', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_SECRET_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    await user.click(within(production).getByRole('button', { name: 'Reveal' }));
    await within(production).findByText('sk_live_abc');
    act(() => f.lockFromMain('idle'));
    expect(await screen.findByRole('heading', { name: 'Unlock Tessera' })).toBeTruthy();
    expect(screen.getByText(/without activity/)).toBeTruthy();
    expect(document.body.textContent).not.toContain('sk_live_abc');
    expect(document.body.textContent).not.toContain('STRIPE_SECRET_KEY');
  });

  it('explains a failed reveal with its code', async () => {
    const { f } = seeded();
    f.failNext('secrets.reveal', 'NO_ACCESS');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_SECRET_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    await user.click(within(production).getByRole('button', { name: 'Reveal' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('NO_ACCESS');
    expect(alert.textContent).toMatch(/Ask an owner or admin/);
  });
});

describe('secret activity and progress', () => {
  it("lists the secret's own audit events in its Activity tab", async () => {
    const { f } = seeded();
    f.record({ action: 'copy', vaultId: 'v1', vault: 'payments', secret: 'GITHUB_TOKEN', environment: 'development' });
    f.record({ action: 'reveal', vaultId: 'v1', vault: 'payments', secret: 'STRIPE_SECRET_KEY', environment: 'production' });
    const user = userEvent.setup();
    renderApp();
    await user.type(await screen.findByLabelText('Search secrets'), 'github{Enter}');
    await screen.findByRole('heading', { name: 'GITHUB_TOKEN' });
    await user.click(screen.getByRole('tab', { name: 'Activity' }));
    const events = await screen.findByRole('list', { name: 'Secret activity' });
    expect(within(events).getAllByRole('listitem').map((li) => li.firstChild?.textContent)).toEqual(['Copied GITHUB_TOKEN (development)']);
  });

  it("shows main's progress reports until the task is done", async () => {
    const { f } = seeded();
    renderApp();
    await screen.findByRole('heading', { name: 'Secrets' });
    act(() => f.emit({ type: 'progress', task: 'Syncing payments', done: 3, total: 10 }));
    const bar = screen.getByRole('progressbar', { name: 'Syncing payments' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([3, 10]);
    act(() => f.emit({ type: 'progress', task: 'Syncing payments', done: 10, total: 10 }));
    expect(screen.queryByRole('progressbar')).toBeNull();
  });
});

describe('a vault that cannot be opened', () => {
  it('says why instead of showing an empty list', async () => {
    const f = fake();
    f.addVault('broken');
    const list = f.bridge.vaults.list;
    (f.bridge.vaults as { list: typeof list }).list = async () => (await list()).map((v) => ({ ...v, error: 'TAMPERED' }));
    renderApp();
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('TAMPERED');
    expect(screen.getByText('broken could not be opened.')).toBeTruthy();
  });
});

describe('lock', () => {
  it('drops what the page holds even when the lock call fails', async () => {
    const { f } = seeded();
    f.failNext('session.lock', 'INTERNAL');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_SECRET_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    await user.click(within(production).getByRole('button', { name: 'Reveal' }));
    await within(production).findByText('sk_live_abc');
    await user.keyboard('{Control>}l{/Control}');
    expect(await screen.findByRole('heading', { name: 'Unlock Tessera' })).toBeTruthy();
    expect(document.body.textContent).not.toContain('sk_live_abc');
    expect(f.callsOf('session.lock')).toHaveLength(1);
  });
});

describe('switching vaults', () => {
  it('does not filter a vault by an environment it does not have', async () => {
    const f = fake();
    const a = f.addVault('payments', ['development', 'production']);
    const b = f.addVault('infra', ['ops']);
    f.addSecret(a, 'STRIPE', { production: 'x' });
    f.addSecret(b, 'PAGER_KEY', { ops: 'y' });
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('option', { name: /STRIPE/ });
    await user.selectOptions(screen.getByLabelText('Environment'), 'production');
    await user.click(screen.getByRole('button', { name: /infra/ }));
    expect(await screen.findByRole('option', { name: /PAGER_KEY/ })).toBeTruthy();
    expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('');
    await user.click(screen.getByRole('button', { name: /payments/ }));
    expect(await screen.findByRole('option', { name: /STRIPE/ })).toBeTruthy();
    expect((screen.getByLabelText('Environment') as HTMLSelectElement).value).toBe('production');
  });
});
