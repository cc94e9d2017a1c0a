/**
 * Which rotator commands this device has agreed to run. A rotator is stored in the vault
 * and synced, so any editor can set one; without this, an editor could make a teammate's
 * machine run a command of their choosing the next time the teammate rotates. Each device
 * therefore runs a command only after its user approved that exact command for that
 * secret once; a changed command asks again.
 *
 * `rotators-trusted.json` in the profile holds HMACs (under a key derived from the device
 * key) of (vault, secret, command): someone who can write the profile folder but not read
 * the keychain cannot add an approval, and the file shows no commands.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { CommandRotatorConfig } from '../../src-shared/vault/types';
import type { Session } from '../profile/profile';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { withProfileLock } from '../store/profile-lock';

const fileOf = (session: Session) => join(session.home, 'rotators-trusted.json');

function tag(session: Session, vaultId: string, secretId: string, rotator: CommandRotatorConfig): Buffer {
  const key = createHmac('sha256', session.deviceKeyForRecords).update('tessera/rotator-trust/v1').digest();
  return createHmac('sha256', key).update(JSON.stringify([vaultId, secretId, rotator.command])).digest();
}

async function read(session: Session): Promise<string[]> {
  const bytes = await readFileIfExists(fileOf(session));
  if (!bytes) return [];
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { trusted?: unknown };
    return Array.isArray(parsed.trusted) ? parsed.trusted.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return []; // a damaged file only means asking again
  }
}

export async function isRotatorTrusted(session: Session, vaultId: string, secretId: string, rotator: CommandRotatorConfig): Promise<boolean> {
  const want = tag(session, vaultId, secretId, rotator);
  return (await read(session)).some((t) => {
    const b = Buffer.from(t, 'base64url');
    return b.length === want.length && timingSafeEqual(b, want);
  });
}

export async function trustRotator(session: Session, vaultId: string, secretId: string, rotator: CommandRotatorConfig): Promise<void> {
  const t = tag(session, vaultId, secretId, rotator).toString('base64url');
  await withProfileLock(session.home, async () => {
    const trusted = await read(session);
    if (!trusted.includes(t)) await writeFileAtomic(fileOf(session), JSON.stringify({ trusted: [...trusted, t] }));
  });
}
