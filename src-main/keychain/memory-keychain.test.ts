import { describe, expect, it } from 'vitest';
import { isTesseraError } from '../../src-shared/errors';
import { createMemoryKeychain } from './memory-keychain';

const key = (fill: number) => new Uint8Array(32).fill(fill);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTesseraError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a TesseraError');
}

describe('createMemoryKeychain', () => {
  it('stores, replaces and deletes a device key per profile', async () => {
    const kc = createMemoryKeychain();
    expect(kc.name).toBe('memory');
    expect(await kc.getDeviceKey('a')).toBeNull();
    await kc.setDeviceKey('a', key(1));
    await kc.setDeviceKey('b', key(2));
    expect(await kc.getDeviceKey('a')).toEqual(key(1));
    await kc.setDeviceKey('a', key(3));
    expect(await kc.getDeviceKey('a')).toEqual(key(3));
    expect(await kc.getDeviceKey('b')).toEqual(key(2));
    expect(await kc.deleteDeviceKey('a')).toBe(true);
    expect(await kc.deleteDeviceKey('a')).toBe(false);
    expect(await kc.getDeviceKey('a')).toBeNull();
    expect(await kc.getDeviceKey('b')).toEqual(key(2));
  });

  it('keeps its own copy: wiping what went in or came out does not touch the stored key', async () => {
    const kc = createMemoryKeychain();
    const k = key(7);
    await kc.setDeviceKey('p', k);
    k.fill(0);
    const out = await kc.getDeviceKey('p');
    expect(out).toEqual(key(7));
    out!.fill(0);
    expect(await kc.getDeviceKey('p')).toEqual(key(7));
  });

  it('two keychains share nothing', async () => {
    const a = createMemoryKeychain();
    const b = createMemoryKeychain();
    await a.setDeviceKey('p', key(1));
    expect(await b.getDeviceKey('p')).toBeNull();
  });

  it('rejects a key that is not 32 bytes and an empty profile id, like the OS keychain', async () => {
    const kc = createMemoryKeychain();
    expect(await codeOf(kc.setDeviceKey('p', new Uint8Array(31)))).toBe('MALFORMED');
    expect(await codeOf(kc.setDeviceKey('p', 'x'.repeat(32) as unknown as Uint8Array))).toBe('MALFORMED');
    expect(await codeOf(kc.getDeviceKey(''))).toBe('INVALID_INPUT');
    expect(await codeOf(kc.setDeviceKey('', key(1)))).toBe('INVALID_INPUT');
    expect(await codeOf(kc.deleteDeviceKey(''))).toBe('INVALID_INPUT');
    expect(await kc.getDeviceKey('p')).toBeNull();
  });
});
