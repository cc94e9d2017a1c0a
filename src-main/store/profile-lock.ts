/**
 * One writer at a time per profile, across processes (the desktop app and any number of
 * `tessera` commands). proper-lockfile uses an atomic mkdir and refreshes its mtime while
 * held, so a lock left by a crashed process goes stale (5 s after its last refresh) and
 * is taken over. Not reentrant: code that holds it must not ask again.
 */
import lockfile from 'proper-lockfile';
import { TesseraError } from '../../src-shared/errors';
import { profilePaths } from '../profile/paths';

export async function withProfileLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(profilePaths(home).profile, {
      stale: 5_000,
      update: 1_000,
      retries: { retries: 200, factor: 1.3, minTimeout: 5, maxTimeout: 100, randomize: true },
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'ELOCKED') {
      throw new TesseraError('STORE_BUSY', 'Another Tessera process is writing to this profile; try again');
    }
    throw e;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
