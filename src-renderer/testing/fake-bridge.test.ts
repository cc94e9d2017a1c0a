import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/transport';
import { FakeTessera } from './fake-bridge';

// The component tests lean on the fake behaving like main where it matters.
describe('the fake bridge', () => {
  it('refuses a payload the shared schemas refuse, as main would', async () => {
    const f = new FakeTessera();
    const v = f.addVault('payments');
    const call = f.bridge.secrets.reveal({ vault: v.id, name: 'X', environment: 'production', extra: 1 } as never);
    await expect(call).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(call).rejects.toBeInstanceOf(ApiError);
  });

  it('refuses vault calls while locked and fires a locked event on lock', async () => {
    const f = new FakeTessera();
    const events: string[] = [];
    f.bridge.events.on((e) => events.push(e.type));
    await f.bridge.session.lock();
    expect(events).toEqual(['locked']);
    await expect(f.bridge.vaults.list()).rejects.toMatchObject({ code: 'VAULT_LOCKED' });
  });

  it('keeps every version and fails once when told to', async () => {
    const f = new FakeTessera();
    const v = f.addVault('payments');
    f.addSecret(v, 'K', { production: ['one', 'two'] });
    const history = await f.bridge.secrets.history({ vault: v.id, name: 'K', environment: 'production' });
    expect(history.map((h) => h.n)).toEqual([2, 1]);
    f.failNext('secrets.reveal', 'TAMPERED');
    await expect(f.bridge.secrets.reveal({ vault: v.id, name: 'K', environment: 'production' })).rejects.toMatchObject({ code: 'TAMPERED' });
    expect(await f.bridge.secrets.reveal({ vault: v.id, name: 'K', environment: 'production' })).toEqual({ value: 'two' });
  });
});
