/**
 * Whether the OS keychain can be used from here. Tests of keychain profiles call
 * requireKeychain(ctx) first: in CI an unreachable keychain fails the test (CI must provide
 * one), elsewhere the test is skipped with the command that provides one.
 */
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createOsKeychain } from '../../src-main/keychain/os-keychain';
import { isTesseraError } from '../../src-shared/errors';

let probed: Promise<string | null> | undefined;

/** Null when the keychain stores and deletes a key; otherwise why it cannot. Probed once per file. */
export function keychainUnreachable(): Promise<string | null> {
  probed ??= (async () => {
    // A write, not a read: a locked or missing collection answers reads with "no entry".
    const keychain = createOsKeychain();
    const probeId = `tessera-test-probe-${randomUUID()}`;
    try {
      await keychain.setDeviceKey(probeId, nodeSuite.randomBytes(32));
      await keychain.deleteDeviceKey(probeId);
      return null;
    } catch (e) {
      if (!isTesseraError(e, 'KEYCHAIN_UNAVAILABLE')) throw e;
      return e.message;
    }
  })();
  return probed;
}

/** Fails the test in CI, and skips it elsewhere, when no keychain is reachable. */
export async function requireKeychain(ctx: TestContext): Promise<void> {
  const reason = await keychainUnreachable();
  if (reason === null) return;
  if (process.env.CI === 'true') throw new Error(`CI must provide an OS keychain, but: ${reason}`);
  ctx.skip(`no OS keychain reachable: ${reason} Run these tests with \`npm run test:ci\`.`);
}

/** Removes a profile's device key from the keychain; a missing entry or keychain is fine. */
export async function forgetDeviceKey(profileId: string): Promise<void> {
  await createOsKeychain()
    .deleteDeviceKey(profileId)
    .catch(() => undefined);
}
