// @vitest-environment jsdom
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fake, renderApp } from '../testing/setup';

const NEW_DEVICE = '54321 09876 97531 08642 32211 55443 87766 00998 30201 05040 80706 01090';

async function openDevices() {
  const f = fake();
  f.addVault('payments').relay = 'ws://127.0.0.1:8787';
  const user = userEvent.setup();
  renderApp();
  await user.click(await screen.findByRole('button', { name: 'Settings' }));
  const section = await screen.findByRole('region', { name: 'Devices' });
  return { f, user, section };
}

describe('devices in settings', () => {
  it('links a new computer: a code as text and as a QR code, then Approve only once the digits it shows match', async () => {
    const { f, user, section } = await openDevices();
    expect(await within(section).findByRole('listitem', { name: 'first device' })).toBeTruthy();
    await user.click(within(section).getByRole('button', { name: 'Link a new device…' }));
    const link = await within(section).findByRole('group', { name: 'Link a new device' });
    expect((within(link).getByLabelText('Device link code') as HTMLTextAreaElement).value).toBe('tessera-device-1.FAKE1');
    const qr = within(link).getByRole('img', { name: 'Device link code as a QR code' });
    expect(qr.querySelector('path')!.getAttribute('d')!.length).toBeGreaterThan(100); // modules drawn, not an empty box

    f.devices.ask('desktop', NEW_DEVICE);
    await user.click(within(link).getByRole('button', { name: 'The new device shows its fingerprint' }));
    const request = await within(link).findByRole('listitem', { name: 'New device desktop' });
    const approve = within(request).getByRole('button', { name: 'Approve' }) as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    await user.type(within(request).getByLabelText('Last group the new device shows'), '01091');
    expect(within(request).getByRole('status').textContent).toMatch(/do not match/);
    expect(approve.disabled).toBe(true);
    await user.clear(within(request).getByLabelText('Last group the new device shows'));
    await user.type(within(request).getByLabelText('Last group the new device shows'), '01090');
    expect(approve.disabled).toBe(false);
    await user.click(approve);

    expect(await within(section).findByText('Linked desktop to payments.')).toBeTruthy();
    expect(f.callsOf('devices.approve')).toEqual([{ name: 'desktop', fingerprint: NEW_DEVICE }]);
    const row = await within(section).findByRole('listitem', { name: 'desktop' });
    expect(row.textContent).toMatch(/linked .* by first device · no change yet · 1 vault(?!s)/);
  });

  it('revokes a device behind a confirmation that names it; this device has no Revoke', async () => {
    const { f, user } = await openDevices();
    f.devices.ask('old laptop', NEW_DEVICE);
    f.devices.call('approve', { name: 'old laptop', fingerprint: NEW_DEVICE }, Date.now());
    await user.click(screen.getByRole('button', { name: 'Secrets' }));
    await user.click(await screen.findByRole('button', { name: 'Settings' }));
    const fresh = await screen.findByRole('region', { name: 'Devices' });
    expect(within(await within(fresh).findByRole('listitem', { name: 'first device' })).queryByRole('button', { name: 'Revoke' })).toBeNull();
    const row = await within(fresh).findByRole('listitem', { name: 'old laptop' });
    await user.click(within(row).getByRole('button', { name: 'Revoke' }));
    const confirm = within(row).getByRole('group', { name: 'Confirm revoking old laptop' });
    expect(confirm.textContent).toMatch(/Revoke old laptop\? .* in payments/);
    await user.click(within(confirm).getByRole('button', { name: 'Revoke old laptop' }));
    expect(f.callsOf('devices.revoke')).toEqual([{ fingerprint: NEW_DEVICE }]);
    await within(fresh).findByRole('listitem', { name: 'first device' });
    expect(within(fresh).queryByRole('listitem', { name: 'old laptop' })).toBeNull();
  });
});
