/**
 * The leases this profile made and has not yet seen end: `leases.json` in the profile,
 * names and times only (the role, vault, environment, template, admin secret name), never a
 * password or a URL, so a lease left behind by a crash can be listed, revoked or, once
 * expired, dropped by a later command.
 */
import { join } from 'node:path';
import type { Session } from '../profile/profile';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';
import { withProfileLock } from '../store/profile-lock';

export interface LeaseRecord {
  /** The provider's account: the lease's name. */
  readonly role: string;
  readonly provider: 'postgres';
  readonly vaultId: string;
  readonly vault: string;
  readonly environment: string;
  /** The group role it was made from. */
  readonly template: string;
  /** The secret holding the admin credential that made it (and drops it). */
  readonly admin: string;
  /** The environment variable it was given as. */
  readonly variable: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

const fileOf = (home: string) => join(home, 'leases.json');

export async function readLeases(session: Session): Promise<LeaseRecord[]> {
  const bytes = await readFileIfExists(fileOf(session.home));
  if (!bytes) return [];
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { leases?: unknown };
    return Array.isArray(parsed.leases) ? (parsed.leases as LeaseRecord[]).filter((l) => typeof l?.role === 'string' && typeof l.expiresAt === 'number') : [];
  } catch {
    return [];
  }
}

/** Changes the list under the profile lock (other processes run and end leases too). */
export async function updateLeases(session: Session, change: (leases: LeaseRecord[]) => LeaseRecord[]): Promise<void> {
  await withProfileLock(session.home, async () => {
    const next = change(await readLeases(session));
    await writeFileAtomic(fileOf(session.home), JSON.stringify({ leases: next }));
  });
}
