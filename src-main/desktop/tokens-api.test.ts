// Machine tokens through the desktop API, with a real relay in this process: the token it
// returns reads the vault as a machine (no profile), and once revoked is refused.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { desktopOnRelay } from '../../test/helpers/desktop';
import type { TokenInfo } from '../../src-shared/api/types';
import { decodeMachineToken } from '../../src-shared/membership/machine-token';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { TokenVault } from '../machine/token-vault';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('tokens through the desktop API', () => {
  it('makes a token that reads its environment, lists it, and revokes it', async () => {
    const { relay, audit, call, close } = await desktopOnRelay();
    closers.push(close);
    await call('session.setup', { name: 'Ada', useKeychain: true });
    await call('vaults.create', { name: 'acme' });
    await call('vaults.setRelay', { vault: 'acme', url: relay.url });
    await call('secrets.set', { vault: 'acme', name: 'API_KEY', environment: 'production', value: 'prod-value' });
    await call('secrets.set', { vault: 'acme', name: 'API_KEY', environment: 'development', value: 'dev-value' });
    await call('vaults.sync', { vault: 'acme' });

    const { token, info } = await call<{ token: string; info: TokenInfo }>('tokens.create', { vault: 'acme', name: 'ci', role: 'viewer', environments: ['production'], expiresInDays: 30 });
    expect(info).toMatchObject({ name: 'ci', role: 'viewer', environments: ['production'], createdBy: 'Ada', expired: false });
    expect(await call('tokens.list', { vault: 'acme' })).toEqual([info]);
    expect(audit.events.find((e) => e.action === 'token-created')).toMatchObject({ subject: info.memberId, detail: { name: 'ci' } });

    const { vault, client } = await TokenVault.read(nodeSuite, decodeMachineToken(token));
    client.close();
    expect(vault.readable()).toEqual(['production']);
    expect((await vault.environment('production')).values.current(vault.meta.secretByName('API_KEY')!.id)?.value).toBe('prod-value');
    await expect(vault.environment('development')).rejects.toMatchObject({ code: 'NO_ACCESS' });

    // --cache: what a run fetched is kept sealed; the next run starts from it and takes what changed.
    const cache = await tempHome();
    const first = await TokenVault.read(nodeSuite, decodeMachineToken(token), { cache });
    first.client.close();
    const [file] = await readdir(cache);
    const sealed = await readFile(join(cache, file!));
    expect(sealed.includes(Buffer.from('prod-value'))).toBe(false);
    await call('secrets.set', { vault: 'acme', name: 'API_KEY', environment: 'production', value: 'prod-value-2' });
    await call('vaults.sync', { vault: 'acme' });
    const second = await TokenVault.read(nodeSuite, decodeMachineToken(token), { cache });
    second.client.close();
    const current = async (v: TokenVault) => (await v.environment('production')).values.current(v.meta.secretByName('API_KEY')!.id)?.value;
    expect(await current(second.vault)).toBe('prod-value-2');
    // A cache altered on disk does not open: everything is fetched again, and it still reads right.
    sealed[sealed.length - 1]! ^= 1;
    await writeFile(join(cache, file!), sealed);
    const third = await TokenVault.read(nodeSuite, decodeMachineToken(token), { cache });
    third.client.close();
    expect(await current(third.vault)).toBe('prod-value-2');

    await call('tokens.revoke', { vault: 'acme', name: 'ci' });
    expect(await call('tokens.list', { vault: 'acme' })).toEqual([]);
    await expect(TokenVault.read(nodeSuite, decodeMachineToken(token))).rejects.toMatchObject({ code: 'NO_ACCESS' });
    // A schema that admits only token names: no path, no spaces.
    await expect(call('tokens.create', { vault: 'acme', name: '../x', role: 'viewer', environments: ['production'] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
