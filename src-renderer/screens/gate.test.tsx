// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fake, renderApp } from '../testing/setup';

describe('first-run setup', () => {
  it('asks for a matching confirmation before creating a passphrase profile', async () => {
    const f = fake({ profile: 'none' });
    const user = userEvent.setup();
    renderApp();
    await user.type(await screen.findByLabelText('Name'), 'Ada Lovelace');
    await user.click(screen.getByLabelText('System keychain'));
    await user.click(screen.getByLabelText(/^Passphrase \(also/));
    await user.type(screen.getByLabelText('Passphrase'), 'correct horse battery');
    await user.type(screen.getByLabelText('Confirm passphrase'), 'correct horse battery!');
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    expect(screen.getByRole('alert').textContent).toMatch(/passphrases differ/);
    expect(f.callsOf('session.setup')).toEqual([]);

    await user.clear(screen.getByLabelText('Confirm passphrase'));
    await user.type(screen.getByLabelText('Confirm passphrase'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    expect(await screen.findByRole('heading', { name: 'Secrets' })).toBeTruthy();
    expect(f.callsOf('session.setup')).toEqual([{ name: 'Ada Lovelace', useKeychain: false, passphrase: 'correct horse battery' }]);
  });

  it('refuses to set up with no way to unlock', async () => {
    const f = fake({ profile: 'none' });
    const user = userEvent.setup();
    renderApp();
    await user.type(await screen.findByLabelText('Name'), 'Ada');
    await user.click(screen.getByLabelText('System keychain'));
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    expect(screen.getByRole('alert').textContent).toMatch(/at least one way to unlock/);
    expect(f.callsOf('session.setup')).toEqual([]);
  });

  it('explains a keychain that is not there, with what to do', async () => {
    const f = fake({ profile: 'none' });
    f.failNext('session.setup', 'KEYCHAIN_UNAVAILABLE');
    const user = userEvent.setup();
    renderApp();
    await user.type(await screen.findByLabelText('Name'), 'Ada');
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(alert.textContent).toMatch(/keychain is not available/);
    expect(alert.textContent).toMatch(/passphrase/);
    // The form switches to a passphrase so the next try can succeed.
    expect((screen.getByLabelText('System keychain') as HTMLInputElement).checked).toBe(false);
    expect(screen.getByLabelText('Confirm passphrase')).toBeTruthy();
  });
});

describe('unlock', () => {
  it('says a wrong passphrase is wrong, then unlocks with the right one', async () => {
    fake({ profile: 'locked', keychain: false, passphrase: 'open sesame' });
    const user = userEvent.setup();
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Unlock Tessera' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Unlock with system keychain' })).toBeNull();
    await user.type(screen.getByLabelText('Passphrase'), 'open sesam');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('BAD_PASSPHRASE');
    expect(alert.textContent).toMatch(/Caps Lock/);
    await user.clear(screen.getByLabelText('Passphrase'));
    await user.type(screen.getByLabelText('Passphrase'), 'open sesame{Enter}');
    expect(await screen.findByRole('heading', { name: 'Secrets' })).toBeTruthy();
  });

  it('explains a missing keychain entry and points to the passphrase', async () => {
    const f = fake({ profile: 'locked', keychain: true, passphrase: 'pw' });
    f.failNext('session.unlock', 'KEYCHAIN_ENTRY_MISSING');
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Unlock with system keychain' }));
    const alert = await screen.findByRole('alert');
    expect(alert.dataset.code).toBe('KEYCHAIN_ENTRY_MISSING');
    expect(alert.textContent).toMatch(/Unlock with your passphrase/);
    expect(f.callsOf('session.unlock')).toEqual([{ method: 'keychain' }]);
  });
});
