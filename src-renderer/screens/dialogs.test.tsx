// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fake, renderApp } from '../testing/setup';

function seeded() {
  const f = fake();
  const v = f.addVault('payments');
  f.addSecret(v, 'STRIPE_KEY', { development: 'sk_test_1', production: 'sk_live_1' });
  f.addSecret(v, 'SAME', { development: 'same' });
  return { f, v };
}

/** Opens the import dialog on development and gives it a file with one new, one changed and one equal value. */
async function importDialogWith(fileName: string) {
  const { f, v } = seeded();
  const user = userEvent.setup();
  renderApp();
  await user.click(await screen.findByRole('button', { name: 'Import' }));
  const dialog = screen.getByRole('dialog', { name: 'Import secrets' });
  await user.selectOptions(within(dialog).getByLabelText('Environment'), 'development');
  await user.upload(within(dialog).getByLabelText('Choose file'), new File(['STRIPE_KEY=sk_test_2\nSAME=same\nNEW_ONE=hello\n'], fileName, { type: 'text/plain' }));
  return { f, v, user, dialog };
}

describe('import a .env file', () => {
  it('previews which keys are new and which already set, writes only on confirm, then says what changed', async () => {
    const { f, v, user, dialog } = await importDialogWith('.env');

    const preview = await within(dialog).findByRole('region', { name: 'Import preview' });
    expect(within(preview).getByRole('list', { name: 'Will be added' }).textContent).toBe('NEW_ONE');
    // A changed value and an equal one look alike until the import (which is audited).
    expect([...within(preview).getByRole('list', { name: 'Already set' }).children].map((li) => li.textContent)).toEqual(['STRIPE_KEY', 'SAME']);
    expect(within(preview).queryByText(/unchanged|updated/i)).toBeNull();
    expect(f.callsOf('secrets.importApply')).toEqual([]);
    expect(v.secrets.has('NEW_ONE')).toBe(false);

    await user.click(within(dialog).getByRole('button', { name: 'Import 3 secrets' }));
    expect(await within(dialog).findByText('Imported into development: 1 added, 1 updated, 1 unchanged.')).toBeTruthy();
    expect(v.secrets.get('STRIPE_KEY')!.values.get('development')!.at(-1)!.value).toBe('sk_test_2');
    expect(await screen.findByRole('option', { name: /NEW_ONE/ })).toBeTruthy();
  });

  it('takes a dropped file too, and explains a bad line without importing', async () => {
    seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Import' }));
    const dialog = screen.getByRole('dialog', { name: 'Import secrets' });
    const file = new File(['GOOD=1\nthis line is not dotenv\n'], 'bad.env');
    const zone = dialog.querySelector('.dropzone')!;
    fireEvent.drop(zone, { dataTransfer: { files: [file] } });
    const alert = await within(dialog).findByRole('alert');
    expect(alert.dataset.code).toBe('DOTENV_SYNTAX');
    expect(alert.textContent).toMatch(/line 2/);
    expect((within(dialog).getByRole('button', { name: 'Import' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("import another tool's export", () => {
  it('detects the format in main, asks for the password, previews added / updated / unchanged, writes only on confirm', async () => {
    const { f, v, user, dialog } = await importDialogWith('team.kdbx');
    await waitFor(() => expect((within(dialog).getByLabelText('Format') as HTMLSelectElement).value).toBe('auto'));
    expect(f.callsOf('secrets.importPreview')).toEqual([]);

    await user.type(within(dialog).getByLabelText(/^Password/), 'nope');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect((await within(dialog).findByRole('alert')).dataset.code).toBe('IMPORT_WRONG_PASSWORD');

    await user.clear(within(dialog).getByLabelText(/^Password/));
    await user.type(within(dialog).getByLabelText(/^Password/), 'pw');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const preview = await within(dialog).findByRole('region', { name: 'Import preview' });
    expect(within(preview).getByText(/Read as KeePass/)).toBeTruthy();
    expect(within(preview).getByRole('list', { name: 'Will be added' }).textContent).toBe('NEW_ONE');
    expect(within(preview).getByRole('list', { name: 'Will be updated' }).textContent).toBe('STRIPE_KEY');
    expect(within(preview).getByRole('list', { name: 'Unchanged' }).textContent).toBe('SAME');
    const [sent] = f.callsOf('secrets.importFilePreview').slice(-1) as [Record<string, unknown>];
    expect(sent).toMatchObject({ vault: 'v1', environment: 'development', fileName: 'team.kdbx', password: 'pw' });
    expect(sent.format).toBeUndefined();
    expect(v.secrets.has('NEW_ONE')).toBe(false);

    await user.click(within(dialog).getByRole('button', { name: 'Import 2 secrets' }));
    expect(await within(dialog).findByText('Imported into development: 1 added, 1 updated, 1 unchanged.')).toBeTruthy();
    expect(v.secrets.get('NEW_ONE')!.values.get('development')!.at(-1)!.value).toBe('hello');
  });

  it('asks which columns a CSV of another layout has, and sends them with the file', async () => {
    const { f, user, dialog } = await importDialogWith('keys.csv');
    await user.selectOptions(within(dialog).getByLabelText('Format'), 'csv');
    const columns = within(dialog).getByLabelText(/^Columns/) as HTMLInputElement;
    expect(columns.value).toBe('name=Title,value=Password,description=Notes');
    await user.clear(columns);
    await user.type(columns, 'name=Service,value=Key');
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('region', { name: 'Import preview' });
    expect(f.callsOf('secrets.importFilePreview').at(-1)).toMatchObject({ fileName: 'keys.csv', format: 'csv', map: 'name=Service,value=Key' });
    // Other formats send no mapping.
    await user.selectOptions(within(dialog).getByLabelText('Format'), 'doppler-json');
    expect(within(dialog).queryByLabelText(/^Columns/)).toBeNull();
  });
});

describe('add and edit', () => {
  it('adds a secret with its value, description and tags, then selects it', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Add secret' }));
    const dialog = screen.getByRole('dialog', { name: 'Add secret' });
    await user.type(within(dialog).getByLabelText('Name'), 'bad name');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/^Name:/);
    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'OPENAI_API_KEY');
    await user.selectOptions(within(dialog).getByLabelText('Environment'), 'staging');
    await user.type(within(dialog).getByLabelText('Value'), 'sk-proj-123');
    await user.type(within(dialog).getByLabelText('Tags'), 'ai, llm');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('heading', { name: 'OPENAI_API_KEY' })).toBeTruthy();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(f.callsOf('secrets.set')).toEqual([
      { vault: 'v1', name: 'OPENAI_API_KEY', environment: 'staging', value: 'sk-proj-123', description: '', tags: ['ai', 'llm'] },
    ]);
  });
});

describe('edit and delete', () => {
  it('edits the description and tags without touching the value', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_KEY/ }));
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit STRIPE_KEY' });
    expect((within(dialog).getByLabelText('Name') as HTMLInputElement).readOnly).toBe(true);
    await user.type(within(dialog).getByLabelText('Description'), 'Stripe live and test keys');
    await user.type(within(dialog).getByLabelText('Tags'), 'billing');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    const detail = screen.getByRole('complementary', { name: 'STRIPE_KEY' });
    expect(await within(detail).findByText('Stripe live and test keys')).toBeTruthy();
    expect(f.callsOf('secrets.update')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY', description: 'Stripe live and test keys', tags: ['billing'] }]);
    expect(f.callsOf('secrets.set')).toEqual([]);
  });

  it('deletes only after a confirmation', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_KEY/ }));
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    expect(f.callsOf('secrets.remove')).toEqual([]);
    await user.click(within(screen.getByRole('group', { name: 'Confirm delete' })).getByRole('button', { name: 'Delete for everyone' }));
    expect(f.callsOf('secrets.remove')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY' }]);
    await screen.findByText('Choose a secret to see its values. Ctrl/Cmd+K opens the command palette.');
    expect(screen.queryByRole('option', { name: /STRIPE_KEY/ })).toBeNull();
  });
});

describe('rotate', () => {
  it('rotates with the generator, keeps both versions in the history, and rolls back', async () => {
    const { f, v } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_KEY/ }));
    const production = await screen.findByRole('group', { name: 'production' });
    await user.click(within(production).getByRole('button', { name: 'Rotate' }));
    const dialog = screen.getByRole('dialog', { name: 'Rotate STRIPE_KEY (production)' });
    await user.selectOptions(within(dialog).getByLabelText('Format'), 'hex');
    await user.clear(within(dialog).getByLabelText('Length'));
    await user.type(within(dialog).getByLabelText('Length'), '48');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    expect(f.callsOf('secrets.rotate')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY', environment: 'production', generate: { format: 'hex', length: 48 } }]);
    // The generated value is shown by revealing it afterwards (main never returns it from rotate).
    const generated = v.secrets.get('STRIPE_KEY')!.values.get('production')!.at(-1)!.value;
    expect(generated).toMatch(/^[0-9a-f]{48}$/);
    expect(await within(screen.getByRole('group', { name: 'production' })).findByText(generated)).toBeTruthy();

    await user.click(screen.getByRole('tab', { name: 'History' }));
    await user.selectOptions(screen.getByLabelText('Environment', { selector: '.tabpanel select' }), 'production');
    const history = await screen.findByRole('list', { name: 'production versions' });
    const items = await within(history).findAllByRole('listitem');
    expect(items.map((i) => i.querySelector('.history__n')?.textContent)).toEqual(['v2', 'v1']);
    expect(items[0]!.textContent).toMatch(/Current/);
    await user.click(within(history).getByRole('button', { name: 'Roll back to v1' }));
    expect(f.callsOf('secrets.rollback')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY', environment: 'production', to: 1 }]);
    expect(await within(screen.getByRole('list', { name: 'production versions' })).findByText('v3')).toBeTruthy();
    expect(v.secrets.get('STRIPE_KEY')!.values.get('production')!.at(-1)!.value).toBe('sk_live_1');
  });

  it('rotates to a typed value and refuses an empty one', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_KEY/ }));
    await user.click(within(await screen.findByRole('group', { name: 'development' })).getByRole('button', { name: 'Rotate' }));
    const dialog = screen.getByRole('dialog');
    await user.click(within(dialog).getByLabelText('Type a value'));
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/^Value:/);
    await user.type(within(dialog).getByLabelText('Value'), 'sk_test_new');
    await user.type(within(dialog).getByLabelText(/Grace period/), '7');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    expect(f.callsOf('secrets.rotate')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY', environment: 'development', value: 'sk_test_new', graceDays: 7 }]);
  });

  it("counts the policy's next rotation from a rotation done in the app", async () => {
    const { f, v } = seeded();
    f.addSecret(v, 'OLD_KEY', { production: 'old-1' }, { policy: { intervalDays: 30, lastRotatedAt: Date.now() - 40 * 86_400_000 } });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /OLD_KEY/ }));
    await user.click(await screen.findByRole('tab', { name: 'Rotation policy' }));
    const line = () => within(screen.getByRole('list', { name: 'Rotation by environment' })).getByRole('listitem');
    expect(line().textContent).toMatch(/^production: last rotated .+\. Next rotation due \d{4}-\d\d-\d\d \(10 days overdue\)\.$/);

    await user.click(screen.getByRole('tab', { name: 'Values' }));
    await user.click(within(await screen.findByRole('group', { name: 'production' })).getByRole('button', { name: 'Rotate' }));
    const dialog = screen.getByRole('dialog', { name: 'Rotate OLD_KEY (production)' });
    await user.click(within(dialog).getByRole('button', { name: 'Rotate' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await user.click(screen.getByRole('tab', { name: 'Rotation policy' }));
    expect(line().textContent).toMatch(/Next rotation due \d{4}-\d\d-\d\d \(in 30 days\)\.$/);
  });

  it('retires and restores a secret, and saves a rotation policy', async () => {
    const { f } = seeded();
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('option', { name: /STRIPE_KEY/ }));
    await user.click(await screen.findByRole('button', { name: 'Retire' }));
    expect(await screen.findByRole('button', { name: 'Restore' })).toBeTruthy();
    await user.click(screen.getByRole('tab', { name: 'Rotation policy' }));
    await user.type(screen.getByLabelText('Rotate every (days)'), '90');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Policy saved.')).toBeTruthy();
    expect(f.callsOf('secrets.setPolicy')).toEqual([{ vault: 'v1', name: 'STRIPE_KEY', intervalDays: 90, expiresAt: null }]);
    await user.click(screen.getByRole('button', { name: 'Restore' }));
    expect(await screen.findByRole('button', { name: 'Retire' })).toBeTruthy();
  });
});
