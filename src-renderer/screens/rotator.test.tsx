// @vitest-environment jsdom
// The built-in PostgreSQL rotator in the app: set in the Rotation policy tab (main checks it
// against the database; a refusal shows its code), then offered first by the Rotate dialog
// for the environments it rotates in.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fake, renderApp } from '../testing/setup';

function seeded() {
  const f = fake();
  const v = f.addVault('payments');
  f.addSecret(v, 'PG_ADMIN', { production: 'postgres://admin:pw@db/app' });
  f.addSecret(v, 'DATABASE_URL', { production: 'postgres://app_user_1:pw@db/app', development: 'postgres://dev' });
  return { f, v };
}

describe('the built-in PostgreSQL rotator', () => {
  it('is set in the Rotation policy tab, says what the check answered, and rotates from the Rotate dialog', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /DATABASE_URL/ }));
    await user.click(await screen.findByRole('tab', { name: 'Rotation policy' }));
    const form = screen.getByRole('form', { name: 'Rotator' });
    expect(within(form).getByText(/No rotator/)).toBeTruthy();

    await user.click(within(form).getByRole('button', { name: 'Save rotator' }));
    expect(within(form).getByRole('alert').textContent).toMatch(/admin credential secret and the group role/);
    await user.type(within(form).getByLabelText('Admin credential secret'), 'PG_ADMIN');
    await user.type(within(form).getByLabelText('Group role'), 'app_user');
    await user.click(within(form).getByLabelText('Rotates in production'));
    await user.type(within(form).getByLabelText(/^Grace/), '12');

    // Main refuses what the database does not hold: the code and its advice show.
    f.failNext('secrets.setRotator', 'ROLE_MISSING', 'The database has no role app_user');
    await user.click(within(form).getByRole('button', { name: 'Save rotator' }));
    const refused = await within(form).findByRole('alert');
    expect(refused.getAttribute('data-code')).toBe('ROLE_MISSING');
    expect(refused.textContent).toContain('The database has no role app_user');

    await user.click(within(form).getByRole('button', { name: 'Save rotator' }));
    expect(await within(form).findByText(/Rotator saved/)).toBeTruthy();
    expect(f.callsOf('secrets.setRotator').at(-1)).toEqual({
      vault: 'v1',
      name: 'DATABASE_URL',
      rotator: { builtin: 'postgres', admin: 'PG_ADMIN', role: 'app_user', environments: ['production'], graceSeconds: 43_200 },
    });
    expect(within(form).getByText(/app_user_1 and app_user_2 take turns, with the admin credential in PG_ADMIN/)).toBeTruthy();

    // production: the rotator is offered, and chosen already.
    await user.click(screen.getByRole('tab', { name: 'Values' }));
    await user.click(within(await screen.findByRole('group', { name: 'production' })).getByRole('button', { name: 'Rotate' }));
    const dialog = screen.getByRole('dialog', { name: 'Rotate DATABASE_URL (production)' });
    expect((within(dialog).getByLabelText(/By the PostgreSQL rotator/) as HTMLInputElement).checked).toBe(true);
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(f.callsOf('secrets.rotate')).toEqual([{ vault: 'v1', name: 'DATABASE_URL', environment: 'production', rotator: true }]);

    // development: not one of its environments, so not offered.
    await user.click(within(screen.getByRole('group', { name: 'development' })).getByRole('button', { name: 'Rotate' }));
    const dev = screen.getByRole('dialog', { name: 'Rotate DATABASE_URL (development)' });
    expect(within(dev).queryByLabelText(/By the PostgreSQL rotator/)).toBeNull();
    await user.click(within(dev).getByRole('button', { name: 'Cancel' }));

    await user.click(screen.getByRole('tab', { name: 'Rotation policy' }));
    await user.click(screen.getByRole('button', { name: 'Remove rotator' }));
    expect(await screen.findByText('Rotator removed.')).toBeTruthy();
    expect(f.callsOf('secrets.setRotator').at(-1)).toEqual({ vault: 'v1', name: 'DATABASE_URL', rotator: null });
  });
});
