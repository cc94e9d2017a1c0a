/**
 * A lock on a file shared by processes (the desktop app and any number of `tessera`
 * commands): proper-lockfile's atomic mkdir, refreshed while held, so a lock left by a crashed
 * process goes stale and is taken over. Not reentrant: code that holds it must not ask again.
 * A lock that stays taken past the retries is the caller's TesseraError (`busy`).
 */
import lockfile from 'proper-lockfile';
import type { TesseraError } from '../../src-shared/errors';

export interface FileLockOptions {
  /** Taken over this long after its holder last refreshed it. */
  readonly stale: number;
  /** How often the holder refreshes it. */
  readonly update: number;
  /** Where the lock directory goes, when not beside the file (`<file>.lock`). */
  readonly lockfilePath?: string;
  /** Wait for it (retry with backoff), or give up at once (false). */
  readonly wait?: boolean;
  /** The file need not exist (the lock is about it, not in it). */
  readonly realpath?: boolean;
}

const RETRIES = { retries: 200, factor: 1.3, minTimeout: 2, maxTimeout: 100, randomize: true };

/** Runs `fn` holding the lock on `file`; throws `busy()` when another process keeps it. */
export async function withFileLock<T>(file: string, opts: FileLockOptions, busy: () => TesseraError, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      stale: opts.stale,
      update: opts.update,
      ...(opts.lockfilePath ? { lockfilePath: opts.lockfilePath } : {}),
      ...(opts.realpath === false ? { realpath: false } : {}),
      ...(opts.wait === false ? {} : { retries: RETRIES }),
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'ELOCKED') throw busy();
    throw e;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
