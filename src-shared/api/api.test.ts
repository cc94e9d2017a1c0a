import { describe, expect, it } from 'vitest';
import { API_METHODS, methods } from './methods';
import { requestSchemas, schemaFor } from './schemas';
import { ApiError, bridgeErrorMessage, createApiClient, toApiError, type Reply } from './transport';

describe('the API contract', () => {
  it('names the same calls in the method list and the schemas', () => {
    const fromSchemas = Object.entries(requestSchemas).flatMap(([d, ms]) => Object.keys(ms).map((m) => `${d}.${m}`));
    expect([...methods].sort()).toEqual(fromSchemas.sort());
    expect(Object.keys(API_METHODS).sort()).toEqual(Object.keys(requestSchemas).sort());
  });

  it('finds schemas only for real calls, not for inherited properties', () => {
    expect(schemaFor('secrets.reveal')).toBeDefined();
    for (const bad of ['secrets', 'secrets.reveal.x', 'toString.call', 'secrets.constructor', '__proto__.x', '']) expect(schemaFor(bad)).toBeUndefined();
  });

  it('refuses unknown keys and out-of-range settings', () => {
    expect(requestSchemas.secrets.list.safeParse({ vault: 'a', extra: 1 }).success).toBe(false);
    expect(requestSchemas.settings.set.safeParse({ clipboardSeconds: 4 }).success).toBe(false);
    expect(requestSchemas.settings.set.safeParse({ clipboardSeconds: null }).success).toBe(true);
    expect(requestSchemas.session.status.safeParse(undefined).success).toBe(true);
    expect(requestSchemas.session.status.safeParse({}).success).toBe(false);
  });
});

describe('createApiClient', () => {
  it('sends domain.method with the payload and unwraps replies into values or ApiErrors', async () => {
    const sent: [string, unknown][] = [];
    const replies: Record<string, Reply> = {
      'vaults.list': { ok: true, value: [{ name: 'acme' }] },
      'secrets.reveal': { ok: false, error: { code: 'NO_ACCESS', message: 'You have no access to production' } },
    };
    const client = createApiClient(
      async (m, p) => {
        sent.push([m, p]);
        return replies[m]!;
      },
      () => () => {},
    );
    expect(await client.vaults.list()).toEqual([{ name: 'acme' }]);
    const err = await client.secrets.reveal({ vault: 'acme', name: 'K', environment: 'production' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'NO_ACCESS', message: 'You have no access to production' });
    expect(sent).toEqual([
      ['vaults.list', undefined],
      ['secrets.reveal', { vault: 'acme', name: 'K', environment: 'production' }],
    ]);
  });
});

describe('toApiError', () => {
  it('recovers the code from what crosses the context bridge', () => {
    const msg = bridgeErrorMessage('BAD_PASSPHRASE', 'Wrong passphrase\nTry again');
    expect(toApiError(new Error(msg))).toMatchObject({ code: 'BAD_PASSPHRASE', message: 'Wrong passphrase\nTry again' });
    expect(toApiError(new Error(`Error invoking remote method 'x': Error: ${msg}`)).code).toBe('BAD_PASSPHRASE');
    expect(toApiError(new Error('boom'))).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    const fromAnotherCopy = Object.assign(new Error('Locked'), { code: 'VAULT_LOCKED' });
    expect(toApiError(fromAnotherCopy)).toMatchObject({ code: 'VAULT_LOCKED', message: 'Locked' });
    const original = new ApiError('NOT_FOUND', 'gone');
    expect(toApiError(original)).toBe(original);
  });
});
