/**
 * One writer at a time per profile, across processes (the desktop app and any number of
 * `tessera` commands); a lock left by a crashed process goes stale 5 s after its last refresh
 * and is taken over. Not reentrant: code that holds it must not ask again.
 */
import { TesseraError } from '../../src-shared/errors';
import { withFileLock } from '../fs/file-lock';
import { profilePaths } from '../profile/paths';

const busy = () => new TesseraError('STORE_BUSY', 'Another Tessera process is writing to this profile; try again');

export function withProfileLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(profilePaths(home).profile, { stale: 5_000, update: 1_000 }, busy, fn);
}

/**
 * Runs `fn` under the profile lock if it is free right now; otherwise (another process, or
 * this one, holds it) returns undefined without waiting. For writes that may be skipped,
 * such as refreshing a cache.
 */
export async function ifProfileLockFree<T>(home: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await withFileLock(profilePaths(home).profile, { stale: 5_000, update: 1_000, wait: false }, busy, fn);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'STORE_BUSY') return undefined;
    throw e;
  }
}
