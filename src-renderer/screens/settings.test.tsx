// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fake, renderApp } from '../testing/setup';

describe('settings', () => {
  it('validates the clipboard timeout, saves, and applies the theme', async () => {
    const f = fake();
    f.addVault('payments');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Settings' }));
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
    const seconds = await screen.findByLabelText(/Clear copied values after/);
    await user.clear(seconds);
    await user.type(seconds, '3');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('alert').textContent).toMatch(/5 to 300 seconds/);
    expect(f.callsOf('settings.set')).toEqual([]);

    await user.clear(screen.getByLabelText(/Clear copied values after/));
    await user.type(screen.getByLabelText(/Clear copied values after/), '45');
    await user.click(screen.getByLabelText('Dark'));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(f.callsOf('settings.set')).toEqual([{ autoLockMinutes: 10, clipboardSeconds: 45, theme: 'dark', lockOnSuspend: true }]);
    expect(document.documentElement.dataset.theme).toBe('dark');

    await user.click(screen.getByLabelText('Never clear the clipboard automatically'));
    await user.click(screen.getByLabelText('Follow the system'));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Settings saved.');
    expect(f.callsOf('settings.set').at(-1)).toEqual({ autoLockMinutes: 10, clipboardSeconds: null, theme: 'system', lockOnSuspend: true });
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('sets a vault relay and shows progress while syncing', async () => {
    const f = fake();
    f.addVault('payments');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Settings' }));
    const row = await screen.findByRole('form', { name: 'payments sync' });
    expect((within(row).getByRole('button', { name: 'Sync now' }) as HTMLButtonElement).disabled).toBe(true);
    await user.type(within(row).getByLabelText('Relay URL'), 'http://nope');
    await user.click(within(row).getByRole('button', { name: 'Save relay' }));
    expect((await within(row).findByRole('alert')).dataset.code).toBe('INVALID_INPUT');
    await user.clear(within(row).getByLabelText('Relay URL'));
    // Several relays of one database, tried in turn: a list the form takes as it is.
    await user.type(within(row).getByLabelText('Relay URL'), 'ws://127.0.0.1:8787, ws://127.0.0.1:8788');
    await user.click(within(row).getByRole('button', { name: 'Save relay' }));
    expect(f.callsOf('vaults.setRelay').at(-1)).toEqual({ vault: 'v1', url: 'ws://127.0.0.1:8787, ws://127.0.0.1:8788' });
    await user.clear(within(row).getByLabelText('Relay URL'));
    await user.type(within(row).getByLabelText('Relay URL'), 'ws://127.0.0.1:8787');
    await user.click(within(row).getByRole('button', { name: 'Save relay' }));
    const release = f.hold('vaults.sync');
    await user.click(await within(row).findByRole('button', { name: 'Sync now' }));
    const busy = within(row).getByRole('button', { name: 'Syncing…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(true);
    await act(async () => release());
    expect(await within(row).findByText(/sent 0, received 0/)).toBeTruthy();
    expect(f.callsOf('vaults.setRelay').at(-1)).toEqual({ vault: 'v1', url: 'ws://127.0.0.1:8787' });
  });
});

describe('command palette', () => {
  it('opens on Ctrl+K, finds a secret by typing, and opens it with Enter', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'SENTRY_DSN', { production: 'x' });
    f.addSecret(v, 'AWS_ACCESS_KEY_ID', { production: 'y' });
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('option', { name: /SENTRY_DSN/ });
    await user.keyboard('{Control>}k{/Control}');
    const palette = screen.getByRole('dialog', { name: 'Command palette' });
    await user.type(within(palette).getByRole('combobox', { name: 'Command' }), 'sentry');
    expect(within(palette).getAllByRole('option').map((o) => o.textContent)).toEqual(['Secret SENTRY_DSN']);
    await user.keyboard('{Enter}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(await screen.findByRole('heading', { name: 'SENTRY_DSN' })).toBeTruthy();
  });

  it('runs screen commands with the arrow keys', async () => {
    fake().addVault('payments');
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('heading', { name: 'Secrets' });
    await user.keyboard('{Control>}k{/Control}');
    await user.type(screen.getByRole('combobox', { name: 'Command' }), 'go to');
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(await screen.findByRole('heading', { name: 'Activity' })).toBeTruthy();
  });

  it('closes on Escape', async () => {
    fake().addVault('payments');
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('heading', { name: 'Secrets' });
    await user.keyboard('{Control>}k{/Control}');
    expect(screen.getByRole('dialog')).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('vaults', () => {
  it('creates a vault from the sidebar and tells the user when the name is taken', async () => {
    const f = fake();
    f.addVault('payments');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Create vault' }));
    const dialog = screen.getByRole('dialog', { name: 'Create vault' });
    await user.type(within(dialog).getByLabelText('Name'), 'payments');
    await user.click(within(dialog).getByRole('button', { name: 'Create vault' }));
    expect((await within(dialog).findByRole('alert')).dataset.code).toBe('ALREADY_EXISTS');
    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'infra');
    await user.click(within(dialog).getByRole('button', { name: 'Create vault' }));
    expect(await screen.findByRole('button', { name: /infra/, current: true })).toBeTruthy();
    expect(f.callsOf('vaults.create').at(-1)).toEqual({ name: 'infra', environments: ['development', 'staging', 'production'] });
  });

  it('joins with an invite code, shows the fingerprint to read out, and opens the vault once approved', async () => {
    const f = fake();
    f.addVault('mine');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Join vault' }));
    await user.type(screen.getByLabelText('Invite code'), 'TSR1-CODE');
    await user.click(screen.getByRole('button', { name: 'Join' }));
    expect(await screen.findByLabelText(`Your fingerprint: ${f.me.fingerprint}`)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Check for approval' }));
    expect(await screen.findByText(/Not approved yet/)).toBeTruthy();

    // The admin approves; the vault arrives on this device.
    f.joins.get('TSR1-CODE')!.approved = true;
    f.addVault('shared');
    await user.click(screen.getByRole('button', { name: 'Check for approval' }));
    expect(await screen.findByText('Joined shared.')).toBeTruthy();
    expect(screen.getByRole('button', { name: /shared/, current: true })).toBeTruthy();
  });

  it('syncs from the Secrets screen and shows what arrived', async () => {
    const f = fake();
    const v = f.addVault('payments');
    v.relay = 'ws://127.0.0.1:8787';
    f.onSync = (vault) => (f.addSecret(vault, 'FROM_TEAMMATE', { development: 'x' }), 1);
    const user = userEvent.setup();
    renderApp();
    const release = f.hold('vaults.sync');
    await user.click(await screen.findByRole('button', { name: 'Sync' }));
    expect((screen.getByRole('button', { name: 'Syncing…' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => release());
    expect(await screen.findByRole('option', { name: /FROM_TEAMMATE/ })).toBeTruthy();
  });

  it('explains a relay that cannot be reached', async () => {
    const f = fake();
    f.addVault('payments').relay = 'ws://127.0.0.1:9';
    f.failNext('vaults.sync', 'RELAY_UNREACHABLE');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Sync' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('RELAY_UNREACHABLE');
    expect(alert.textContent).toMatch(/changes are kept/);
  });
});
