// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fake, renderApp } from '../testing/setup';

async function goTo(name: string) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name }));
  return user;
}

describe('members', () => {
  const BOB = '11111 22222 33333 44444 55555 66666 77777 88888 99999 00000 12345 67890';
  const EVE = '98765 43210 98765 43210 98765 43210 98765 43210 98765 43210 98765 24680';

  it('approves a join request only once the last group the joiner reads matches, and tells main the whole fingerprint', async () => {
    const f = fake();
    const v = f.addVault('payments');
    v.pending.push({ name: 'Bob', fingerprint: BOB, role: 'editor', environments: ['development'] });
    renderApp();
    const user = await goTo('Members');
    expect(await screen.findByRole('heading', { name: 'Members' })).toBeTruthy();
    const request = await screen.findByRole('listitem', { name: 'Request from Bob' });
    expect(within(request).getByLabelText(`Bob's fingerprint: ${BOB}`)).toBeTruthy();
    const approve = within(request).getByRole('button', { name: 'Approve' }) as HTMLButtonElement;
    const digits = within(request).getByLabelText('Last group Bob read');
    expect(approve.disabled).toBe(true);
    // Other digits (the first group, a misheard one) leave it disabled and say why.
    for (const wrong of ['11111', '67809']) {
      await user.clear(digits);
      await user.type(digits, wrong);
      expect(approve.disabled).toBe(true);
      expect(within(request).getByRole('status').textContent).toMatch(/Do not approve/);
    }
    await user.clear(digits);
    await user.type(digits, '67890');
    expect(within(request).queryByRole('status')).toBeNull();
    await user.click(approve);
    expect(f.callsOf('members.approve')).toEqual([{ vault: 'v1', name: 'Bob', fingerprint: BOB }]);
    expect(await screen.findByRole('listitem', { name: 'Bob' })).toBeTruthy();
    expect(screen.queryByRole('listitem', { name: 'Request from Bob' })).toBeNull();
  });

  it('two requests with one name: each is marked, and the digits approve only the one they belong to', async () => {
    const f = fake();
    const v = f.addVault('payments');
    v.pending.push({ name: 'Bob', fingerprint: EVE, role: 'admin', environments: ['production'] });
    v.pending.push({ name: 'Bob', fingerprint: BOB, role: 'editor', environments: ['development'] });
    renderApp();
    const user = await goTo('Members');
    const [first, second] = await screen.findAllByRole('listitem', { name: 'Request from Bob' });
    for (const row of [first!, second!]) expect(row.textContent).toMatch(/Another request also uses the name Bob/);
    // Bob reads 67890: it does not open the first request (Eve's), only his own.
    await user.type(within(first!).getByLabelText('Last group Bob read'), '67890');
    expect((within(first!).getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    await user.type(within(second!).getByLabelText('Last group Bob read'), '67890');
    await user.click(within(second!).getByRole('button', { name: 'Approve' }));
    expect(f.callsOf('members.approve')).toEqual([{ vault: 'v1', name: 'Bob', fingerprint: BOB }]);
  });

  it('shows what happened when main refuses the fingerprint', async () => {
    const f = fake();
    const v = f.addVault('payments');
    v.pending.push({ name: 'Bob', fingerprint: BOB, role: 'editor', environments: ['development'] });
    f.failNext('members.approve', 'FINGERPRINT_MISMATCH');
    renderApp();
    const user = await goTo('Members');
    const request = await screen.findByRole('listitem', { name: 'Request from Bob' });
    await user.type(within(request).getByLabelText('Last group Bob read'), '67890');
    await user.click(within(request).getByRole('button', { name: 'Approve' }));
    const alert = await within(request).findByRole('alert');
    expect(alert.dataset.code).toBe('FINGERPRINT_MISMATCH');
    expect(alert.textContent).toMatch(/nothing was approved/);
  });

  it('creates an invite code for the chosen role and environments', async () => {
    const f = fake();
    f.addVault('payments');
    renderApp();
    const user = await goTo('Members');
    await user.selectOptions(await screen.findByLabelText('Role'), 'viewer');
    await user.click(screen.getByLabelText('staging'));
    await user.click(screen.getByRole('button', { name: 'Invite' }));
    const code = (await screen.findByLabelText('Invite code')) as HTMLTextAreaElement;
    expect(code.value).toMatch(/^TSR1-INVITE-/);
    expect(f.callsOf('members.invite')).toEqual([{ vault: 'v1', role: 'viewer', environments: ['development'], ttlHours: 24 }]);
  });

  it('removes a member after a confirmation that says what happens', async () => {
    const f = fake();
    const v = f.addVault('payments');
    v.members.push({ memberId: 'b0b', name: 'Bob', fingerprint: '1 2 3', role: 'editor', environments: ['development'], you: false });
    renderApp();
    const user = await goTo('Members');
    const bob = await screen.findByRole('listitem', { name: 'Bob' });
    await user.click(within(bob).getByRole('button', { name: 'Remove' }));
    expect(f.callsOf('members.remove')).toEqual([]);
    const confirm = within(bob).getByRole('group', { name: 'Confirm removing Bob' });
    expect(confirm.textContent).toMatch(/rotate those secrets/);
    await user.click(within(confirm).getByRole('button', { name: 'Remove Bob' }));
    expect(f.callsOf('members.remove')).toEqual([{ vault: 'v1', memberId: 'b0b' }]);
    await act(async () => undefined);
    expect(screen.queryByRole('listitem', { name: 'Bob' })).toBeNull();
  });
});

describe('health', () => {
  it('lists findings worst first, each with buttons that fix it, never a command to type', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'OLD_TOKEN', { production: 'x' });
    f.addSecret(v, 'SOON', { production: 'x' });
    f.findings = [
      { kind: 'rotation-due', vault: 'v1', secret: 'SOON', environment: 'production', message: 'Due in 3 days.', fix: 'tessera rotate SOON --vault payments --env production, or change the policy: tessera policy SOON --vault payments --every DAYSd', actions: [{ kind: 'rotate', environment: 'production' }, { kind: 'policy' }, { kind: 'open' }] },
      { kind: 'exposed', vault: 'v1', secret: 'OLD_TOKEN', environment: 'production', message: 'Bob could read it before his removal.', fix: 'Revoke it at the provider and save the new value: tessera rotate OLD_TOKEN --vault payments --env production', actions: [{ kind: 'rotate', environment: 'production' }, { kind: 'open' }] },
    ];
    renderApp();
    const user = await goTo('Health');
    expect(await screen.findByRole('heading', { name: 'Health' })).toBeTruthy();
    const items = await within(await screen.findByRole('list', { name: 'Findings' })).findAllByRole('listitem');
    expect(items.map((i) => i.querySelector('strong')?.textContent)).toEqual(['OLD_TOKEN', 'SOON']);
    expect(items[0]!.textContent).toMatch(/Exposed to a removed member/);
    expect(items.map((i) => within(i).getAllByRole('button').map((b) => b.textContent))).toEqual([
      ['Rotate…', 'Open OLD_TOKEN'],
      ['Rotate…', 'Change policy…', 'Open SOON'],
    ]);
    expect(screen.getByRole('list', { name: 'Findings' }).textContent).not.toMatch(/tessera|--vault/);
    await user.click(within(items[0]!).getByRole('button', { name: 'Open OLD_TOKEN' }));
    expect(await screen.findByRole('heading', { name: 'OLD_TOKEN' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Secrets' })).toBeTruthy();
  });

  it('shows a failed rotation with its error, above what is merely overdue', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'DATABASE_URL', { production: 'x' });
    f.addSecret(v, 'LATE', { production: 'x' });
    f.findings = [
      { kind: 'rotation-overdue', vault: 'v1', secret: 'LATE', environment: 'production', message: 'Rotation was due on 2026-11-01.', fix: 'tessera rotate LATE …', actions: [{ kind: 'rotate', environment: 'production' }, { kind: 'open' }] },
      { kind: 'rotation-failed', vault: 'v1', secret: 'DATABASE_URL', environment: 'production', message: 'Its rotation on 2026-12-03 failed [PROVIDER_UNREACHABLE]: The database server did not answer (ECONNREFUSED): nothing was changed', fix: 'Fix the cause, then: tessera rotate DATABASE_URL …', actions: [{ kind: 'rotate', environment: 'production' }, { kind: 'open' }] },
    ];
    renderApp();
    await goTo('Health');
    const items = await within(await screen.findByRole('list', { name: 'Findings' })).findAllByRole('listitem');
    expect(items.map((i) => i.querySelector('strong')?.textContent)).toEqual(['DATABASE_URL', 'LATE']);
    expect(items[0]!.textContent).toMatch(/Rotation failed/);
    expect(items[0]!.textContent).toMatch(/\[PROVIDER_UNREACHABLE\]: The database server did not answer/);
    expect(items[0]!.textContent).toMatch(/fix the cause and rotate it again/);
  });

  it('Rotate… opens the rotate dialog for the finding\'s environment, with the generator it proposes, and checks again after', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'DB_PASSWORD', { development: 'password123' });
    f.findings = [
      { kind: 'weak', vault: 'v1', secret: 'DB_PASSWORD', environment: 'development', message: 'About 20 bits of entropy.', fix: 'tessera rotate …', actions: [{ kind: 'rotate', environment: 'development', generate: { format: 'custom', length: 24 } }, { kind: 'open' }] },
    ];
    renderApp();
    const user = await goTo('Health');
    const item = await within(await screen.findByRole('list', { name: 'Findings' })).findByRole('listitem');
    const reports = f.callsOf('health.report').length;
    await user.click(within(item).getByRole('button', { name: 'Rotate…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Rotate DB_PASSWORD (development)' });
    expect(screen.getByRole('heading', { name: 'Health' })).toBeTruthy(); // still on Health
    expect((within(dialog).getByLabelText('Format') as HTMLSelectElement).value).toBe('custom');
    expect((within(dialog).getByLabelText('Length') as HTMLInputElement).value).toBe('24');
    f.findings = [];
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    expect(f.callsOf('secrets.rotate')).toEqual([
      { vault: 'v1', name: 'DB_PASSWORD', environment: 'development', generate: { format: 'custom', length: 24, sets: ['lower', 'upper', 'digits', 'symbols'] } },
    ]);
    expect(await screen.findByText(/All good/)).toBeTruthy();
    expect(f.callsOf('health.report').length).toBe(reports + 1);
    // The new value is not revealed behind the Health screen, where nobody would see it.
    expect(f.callsOf('secrets.reveal')).toEqual([]);
  });

  it('Change policy… edits the secret\'s rotation policy; Retire retires a stale one', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'OVERDUE_KEY', { production: 'x' });
    f.addSecret(v, 'UNUSED_KEY', { production: 'x' });
    f.findings = [
      { kind: 'rotation-overdue', vault: 'v1', secret: 'OVERDUE_KEY', environment: 'production', message: 'Rotation was due.', fix: 'tessera …', actions: [{ kind: 'rotate', environment: 'production' }, { kind: 'policy' }, { kind: 'open' }] },
      { kind: 'stale', vault: 'v1', secret: 'UNUSED_KEY', message: 'Not read since.', fix: 'tessera retire …', actions: [{ kind: 'retire' }, { kind: 'open' }] },
    ];
    renderApp();
    const user = await goTo('Health');
    const items = await within(await screen.findByRole('list', { name: 'Findings' })).findAllByRole('listitem');
    await user.click(within(items[0]!).getByRole('button', { name: 'Change policy…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Rotation policy of OVERDUE_KEY' });
    await user.type(within(dialog).getByLabelText('Rotate every (days)'), '60');
    await user.click(within(dialog).getByRole('button', { name: 'Save policy' }));
    expect(f.callsOf('secrets.setPolicy')).toEqual([{ vault: 'v1', name: 'OVERDUE_KEY', intervalDays: 60, expiresAt: null }]);
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    await user.click(within(items[1]!).getByRole('button', { name: 'Retire' }));
    expect(f.callsOf('secrets.retire')).toEqual([{ vault: 'v1', name: 'UNUSED_KEY' }]);
    expect(screen.getByRole('heading', { name: 'Health' })).toBeTruthy();
  });

  it('says all is well when there is nothing to fix', async () => {
    fake().addVault('payments');
    renderApp();
    await goTo('Health');
    expect(await screen.findByText(/All good/)).toBeTruthy();
  });
});

describe('activity', () => {
  it('groups events by day, filters by action and member, searches, and opens a secret', async () => {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'STRIPE_KEY', { production: 'x' });
    const today = Date.now();
    const earlier = new Date(2025, 0, 15, 12).getTime();
    f.record({ action: 'reveal', vaultId: 'v1', vault: 'payments', secret: 'STRIPE_KEY', environment: 'production', at: today });
    f.record({ action: 'copy', vaultId: 'v1', vault: 'payments', secret: 'STRIPE_KEY', environment: 'production', at: today });
    f.record({ action: 'unlock', at: earlier });
    f.audit.push({ action: 'secret-edited', vaultId: 'v1', vault: 'payments', secret: 'OTHER', at: earlier, seq: 99, by: 'b0b', device: 'd2' });
    f.alerts = [{ id: 'a1', rule: 'many-reveals', at: today, severity: 'warning', message: 'Unusually many reveals.' }];
    renderApp();
    const user = await goTo('Activity');
    expect(await screen.findByRole('heading', { name: 'Activity' })).toBeTruthy();
    expect(await screen.findByText('Unusually many reveals.')).toBeTruthy();
    const days = await screen.findAllByRole('heading', { level: 2, name: /Today|2025/ });
    expect(days.map((d) => d.textContent)).toEqual(['Today', expect.stringContaining('2025')]);
    const todays = within(screen.getByRole('region', { name: 'Today' })).getAllByRole('listitem');
    expect(todays).toHaveLength(2);

    await user.selectOptions(screen.getByLabelText('Action'), 'copy');
    expect(await screen.findByText(/Copied STRIPE_KEY/)).toBeTruthy();
    expect(screen.queryByText(/Revealed STRIPE_KEY/)).toBeNull();
    expect(f.callsOf('audit.list').at(-1)).toEqual({ action: 'copy', limit: 2000 });
    await user.selectOptions(screen.getByLabelText('Action'), '');

    await screen.findByText(/Revealed STRIPE_KEY/);
    await user.selectOptions(screen.getByLabelText('Member'), 'b0b');
    expect(screen.getAllByRole('listitem').filter((li) => li.className.startsWith('event'))).toHaveLength(1);
    await user.selectOptions(screen.getByLabelText('Member'), '');

    await user.type(screen.getByLabelText('Search activity'), 'unlocked');
    expect(screen.getAllByRole('listitem').filter((li) => li.className.startsWith('event')).map((li) => li.textContent)).toEqual([expect.stringContaining('Unlocked')]);
    await user.clear(screen.getByLabelText('Search activity'));

    await user.click(await screen.findByRole('button', { name: /Revealed STRIPE_KEY/ }));
    expect(await screen.findByRole('heading', { name: 'STRIPE_KEY' })).toBeTruthy();
  });

  it('exports the selected events as CSV', async () => {
    const f = fake();
    f.addVault('payments');
    f.record({ action: 'unlock' });
    const created: string[] = [];
    const saved: string[] = [];
    URL.createObjectURL = (blob: Blob) => (created.push(blob.type), 'blob:x');
    URL.revokeObjectURL = () => undefined;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    renderApp();
    const user = await goTo('Activity');
    await user.click(await screen.findByRole('button', { name: 'Export CSV' }));
    expect(f.callsOf('audit.export')).toEqual([{ format: 'csv' }]);
    expect(created).toEqual(['text/csv']);
    expect(saved).toEqual(['tessera-activity.csv']);
  });

  it('shows a live alert as it arrives', async () => {
    const f = fake();
    f.addVault('payments');
    renderApp();
    await screen.findByRole('heading', { name: 'Secrets' });
    act(() => f.emit({ type: 'alert', alert: { id: 'z', rule: 'tamper', at: Date.now(), severity: 'critical', message: 'Tampered envelope refused.' } }));
    expect(screen.getByRole('button', { name: 'Activity', description: '1 new alert' })).toBeTruthy();
    await goTo('Activity');
    expect(await screen.findByText('Tampered envelope refused.')).toBeTruthy();
  });
});

describe('machine tokens', () => {
  it('makes a token for the chosen environments, shows it once, and revokes one after a confirmation', async () => {
    const f = fake();
    f.addVault('payments');
    renderApp();
    const user = await goTo('Members');
    const section = await screen.findByRole('region', { name: 'Machine tokens' });
    expect(within(section).getByText('No tokens yet.')).toBeTruthy();
    await user.click(within(section).getByRole('button', { name: 'New token…' }));
    const form = within(section).getByRole('form', { name: 'Make a machine token' });
    await user.clear(within(form).getByLabelText('Name'));
    await user.type(within(form).getByLabelText('Name'), 'ci-deploy');
    await user.click(within(form).getByLabelText('staging'));
    await user.click(within(form).getByRole('button', { name: 'Make token' }));
    const shown = (await within(section).findByLabelText('Token (shown only now)')) as HTMLTextAreaElement;
    expect(shown.value).toMatch(/^tessera-token-1\./);
    expect(f.callsOf('tokens.create')).toEqual([{ vault: 'v1', name: 'ci-deploy', role: 'viewer', environments: ['production', 'staging'], expiresInDays: 90 }]);
    const row = await within(section).findByRole('listitem', { name: 'ci-deploy' });
    expect(row.textContent).toMatch(/viewer · production, staging · made by Ada/);
    // Done forgets it: the token is not shown again.
    await user.click(within(form).getByRole('button', { name: 'Done' }));
    expect(within(section).queryByLabelText('Token (shown only now)')).toBeNull();

    await user.click(within(row).getByRole('button', { name: 'Revoke' }));
    expect(f.callsOf('tokens.revoke')).toEqual([]);
    const confirm = within(row).getByRole('group', { name: 'Confirm revoking ci-deploy' });
    expect(confirm.textContent).toMatch(/relay refuses it/);
    await user.click(within(confirm).getByRole('button', { name: 'Revoke ci-deploy' }));
    expect(f.callsOf('tokens.revoke')).toEqual([{ vault: 'v1', name: 'ci-deploy' }]);
    expect(await within(section).findByText('No tokens yet.')).toBeTruthy();
  });
});
