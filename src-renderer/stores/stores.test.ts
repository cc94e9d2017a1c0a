// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src-shared/api/transport';
import { fake } from '../testing/setup';
import { secondsLeft, useClipboard } from './clipboard';
import { handleEvent } from './events';
import { REVEAL_MS, revealedValue, useSecrets } from './secrets';
import { useSession } from './session';
import { useUi } from './ui';
import { useVaults } from './vaults';

describe('session store', () => {
  it('goes from no profile through setup to unlocked', async () => {
    const f = fake({ profile: 'none' });
    await useSession.getState().load();
    expect(useSession.getState().state).toBe('no-profile');
    expect(await useSession.getState().setup({ name: 'Ada', useKeychain: false, passphrase: 'correct horse' })).toBe(true);
    expect(useSession.getState().state).toBe('unlocked');
    expect(useSession.getState().profile?.unlockMethods).toEqual({ keychain: false, passphrase: true });
    expect(f.callsOf('session.setup')).toEqual([{ name: 'Ada', useKeychain: false, passphrase: 'correct horse' }]);
  });

  it('keeps the error code of a failed unlock and stays locked', async () => {
    fake({ profile: 'locked', keychain: false, passphrase: 'right one' });
    await useSession.getState().load();
    expect(await useSession.getState().unlock('passphrase', 'wrong one')).toBe(false);
    expect(useSession.getState().state).toBe('locked');
    expect((useSession.getState().error as ApiError).code).toBe('BAD_PASSPHRASE');
    expect(await useSession.getState().unlock('passphrase', 'right one')).toBe(true);
    expect(useSession.getState().error).toBeNull();
  });

  it('reports a bridge that is not there as unavailable instead of throwing', async () => {
    const f = fake();
    f.failNext('session.status', 'FORBIDDEN');
    await useSession.getState().load();
    expect(useSession.getState().state).toBe('unavailable');
  });
});

describe('secrets store', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function opened() {
    const f = fake();
    const v = f.addVault('payments');
    f.addSecret(v, 'STRIPE_KEY', { production: 'sk_live_1', development: 'sk_test_1' });
    await useSession.getState().load();
    await useSecrets.getState().load(v.id);
    await useSecrets.getState().select('STRIPE_KEY');
    return { f, v };
  }

  it('hides a revealed value after the auto-hide delay, not before', async () => {
    await opened();
    await useSecrets.getState().reveal('production');
    expect(revealedValue(useSecrets.getState().revealed, 'STRIPE_KEY', 'production')).toBe('sk_live_1');
    vi.advanceTimersByTime(REVEAL_MS - 1);
    expect(revealedValue(useSecrets.getState().revealed, 'STRIPE_KEY', 'production')).toBe('sk_live_1');
    vi.advanceTimersByTime(1);
    expect(useSecrets.getState().revealed).toEqual({});
  });

  it('drops revealed values when another secret is selected', async () => {
    const { f, v } = await opened();
    f.addSecret(v, 'GITHUB_TOKEN', { production: 'ghp_x' });
    await useSecrets.getState().reveal('production');
    await useSecrets.getState().select('GITHUB_TOKEN');
    expect(useSecrets.getState().revealed).toEqual({});
  });

  it('forgets values, list and selection when main locks', async () => {
    const { f } = await opened();
    await useSecrets.getState().reveal('production');
    useUi.getState().open({ kind: 'add' });
    f.lockFromMain('idle');
    // The store is connected by the App; here the event goes straight to the router.
    handleEvent({ type: 'locked', reason: 'idle' });
    const s = useSecrets.getState();
    expect([s.revealed, s.list, s.selected, s.detail, s.vault]).toEqual([{}, [], null, null, null]);
    expect(useVaults.getState().vaults).toEqual([]);
    expect(useUi.getState().dialog).toBeNull();
    expect(useSession.getState()).toMatchObject({ state: 'locked', lockReason: 'idle' });
    // The timer of the forgotten value must not resurrect anything either.
    vi.advanceTimersByTime(REVEAL_MS);
    expect(useSecrets.getState().revealed).toEqual({});
  });

  it('does not keep a value that arrives after the user moved on', async () => {
    const { f, v } = await opened();
    f.addSecret(v, 'OTHER', { production: 'x' });
    const release = f.hold('secrets.reveal');
    const pending = useSecrets.getState().reveal('production');
    await useSecrets.getState().select('OTHER');
    release();
    await pending;
    expect(useSecrets.getState().revealed).toEqual({});
  });

  it('records the error code of a failed action', async () => {
    const { f } = await opened();
    f.failNext('secrets.reveal', 'NO_ACCESS');
    await useSecrets.getState().reveal('production');
    expect((useSecrets.getState().actionError as ApiError).code).toBe('NO_ACCESS');
    expect(useSecrets.getState().revealed).toEqual({});
  });
});

describe('clipboard store', () => {
  it('counts down from the status main reports and stops at clear', async () => {
    const now = 1_700_000_000_000;
    const f = fake({ now: () => now });
    const v = f.addVault('payments');
    f.addSecret(v, 'API', { production: 'v' });
    f.settings = { ...f.settings, clipboardSeconds: 30 };
    expect(await useClipboard.getState().copy(v.id, 'API', 'production')).toBe(true);
    const status = useClipboard.getState().status;
    expect(status.active).toBe(true);
    expect(secondsLeft(status, now)).toBe(30);
    expect(secondsLeft(status, now + 12_500)).toBe(18);
    handleEvent({ type: 'clipboard', status: { active: false, clearsAt: null } });
    expect(secondsLeft(useClipboard.getState().status, now)).toBeNull();
  });
});

describe('vaults store', () => {
  it('selects a new vault and marks a sync in flight', async () => {
    const f = fake();
    await useSession.getState().load();
    const created = await useVaults.getState().create('payments', ['development', 'production']);
    expect(useVaults.getState().selectedId).toBe(created?.id);
    await useVaults.getState().setRelay(created!.id, 'ws://127.0.0.1:8787');
    const release = f.hold('vaults.sync');
    const syncing = useVaults.getState().sync(created!.id);
    expect(useVaults.getState().syncing[created!.id]).toBe(true);
    release();
    expect(await syncing).toBe(true);
    expect(useVaults.getState().syncing[created!.id]).toBe(false);
  });

  it('keeps NO_RELAY when syncing a vault without a relay', async () => {
    const f = fake();
    const v = f.addVault('solo');
    expect(await useVaults.getState().sync(v.id)).toBe(false);
    expect((useVaults.getState().actionError as ApiError).code).toBe('NO_RELAY');
  });
});

describe('events', () => {
  it('reloads the open vault when main says it changed (by id or by name)', async () => {
    const f = fake();
    const v = f.addVault('payments');
    await useVaults.getState().load();
    await useSecrets.getState().load(v.id);
    expect(useSecrets.getState().list).toEqual([]);
    f.addSecret(v, 'ARRIVED', { production: 'x' });
    handleEvent({ type: 'vault-changed', vault: 'payments' });
    await vi.waitFor(() => expect(useSecrets.getState().list.map((s) => s.name)).toEqual(['ARRIVED']));
    f.addSecret(v, 'ALSO', { production: 'y' });
    handleEvent({ type: 'vault-changed', vault: v.id });
    await vi.waitFor(() => expect(useSecrets.getState().list.map((s) => s.name).sort()).toEqual(['ALSO', 'ARRIVED']));
  });
});
