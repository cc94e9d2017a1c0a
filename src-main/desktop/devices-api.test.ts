// Linking a second computer through the desktop API, with a real relay in this process: the
// window makes the code, sees the new device's request with its fingerprint, approves it
// only with that whole fingerprint, lists it, and revokes it; the new device (a fresh profile
// through the same services the CLI uses) then holds the vault, and after the revocation
// the relay refuses it.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceInfo, DeviceRequestInfo } from '../../src-shared/api/types';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { desktopOnRelay } from '../../test/helpers/desktop';
import { tempHome } from '../../test/helpers/temp-home';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { completeDeviceLinks, requestDeviceLink } from '../membership/devices';
import { createProfile } from '../profile/profile';
import { syncOnce } from '../sync/sync-runs';
import { vaultDirectory } from '../vaults/vault-directory';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('devices through the desktop API', () => {
  it('links a new computer once its whole fingerprint is confirmed, lists it, and revokes it', async () => {
    const { relay, audit, call, close } = await desktopOnRelay();
    closers.push(close);
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('vaults.setRelay', { vault: 'acme', url: relay.url });
    await call('secrets.set', { vault: 'acme', name: 'API_KEY', environment: 'production', value: 'prod-value' });
    await call('vaults.sync', { vault: 'acme' });

    const { code, vault } = await call<{ code: string; vault: string }>('devices.link', {});
    expect(vault).toBe('acme');
    const desktop = await createProfile(nodeSuite, await tempHome(), { name: 'Ada', keychain: createMemoryKeychain() });
    closers.push(async () => desktop.lock());
    const { fingerprint } = await requestDeviceLink(desktop, code, 'desktop');

    expect(await call<DeviceRequestInfo[]>('devices.waiting')).toEqual([{ name: 'desktop', fingerprint, vault: 'acme' }]);
    const other = fingerprint.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await expect(call('devices.approve', { name: 'desktop', fingerprint: other })).rejects.toMatchObject({ code: 'FINGERPRINT_MISMATCH' });
    await expect(call('devices.approve', { name: 'desktop', fingerprint: fingerprint.slice(0, 11) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await call('devices.approve', { name: 'desktop', fingerprint })).toEqual({ name: 'desktop', vaults: ['acme'] });
    expect(audit.events.find((e) => e.action === 'device-added')).toMatchObject({ detail: { name: 'desktop', fingerprint, vaults: 1 } });

    expect((await completeDeviceLinks(desktop)).waiting).toBe(false);
    const acme = await vaultDirectory(desktop).find('acme');
    expect((await acme.environment('production')).values.current(acme.meta.secretByName('API_KEY')!.id)?.value).toBe('prod-value');

    const devices = await call<DeviceInfo[]>('devices.list');
    expect(devices.map((d) => d.lastSeenAt === null)).toEqual([false, true]); // the desktop has written nothing yet
    expect(devices.map((d) => [d.name, d.you, d.addedBy, d.vaults])).toEqual([
      ['first device', true, '', ['acme']],
      ['desktop', false, 'first device', ['acme']],
    ]);
    await expect(call('devices.revoke', { fingerprint: devices[0]!.fingerprint })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await call('devices.revoke', { fingerprint })).toEqual({ vaults: ['acme'] });
    expect(audit.events.find((e) => e.action === 'device-revoked')).toMatchObject({ detail: { name: 'desktop', vaults: 1 } });
    await expect(syncOnce(acme)).rejects.toMatchObject({ code: expect.stringMatching(/NO_ACCESS|RELAY_REJECTED/) });
    expect((await call<DeviceInfo[]>('devices.list')).map((d) => d.name)).toEqual(['first device']);
  });
});
