/**
 * Failed unlocks happen when no device key is at hand to seal an event with. They are
 * noted in a plain file (the time and the method only) and moved into the sealed log at
 * the next successful unlock. The note is not authenticated: someone with write access to
 * the profile folder could add or remove failed attempts there, so the repeated-failures
 * alert is a hint, not proof.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { AuditEventInput } from '../../src-shared/audit/events';
import { ensureDir } from '../fs/atomic-file';
import { auditPaths } from './audit-paths';

const METHODS = new Set(['keychain', 'passphrase']);

/** Notes a failed unlock (the profile is locked, so the log cannot be written). */
export async function noteFailedUnlock(home: string, method: 'keychain' | 'passphrase', at = Date.now()): Promise<void> {
  const path = auditPaths(home).pending;
  await ensureDir(dirname(path));
  await fs.appendFile(path, JSON.stringify({ action: 'unlock-failed', at, method }) + '\n', { mode: 0o600 });
}

/**
 * Takes the noted events out of the pending file: it is renamed first (atomically, so two
 * processes unlocking at once do not both take it), and removed once read. A rename left by a
 * process that stopped before removing it is taken on the next drain.
 */
export async function drainPending(path: string): Promise<{ events: AuditEventInput[]; done: () => Promise<void> }> {
  const dir = dirname(path);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const taken: string[] = [];
  for (const n of names.filter((n) => n.startsWith(`${basename(path)}.taken-`))) {
    // Another process may be recording its own right now; only one left for a minute is abandoned.
    const st = await fs.stat(join(dir, n)).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 60_000) taken.push(join(dir, n));
  }
  const mine = `${path}.taken-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(path, mine);
    taken.push(mine);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const events: AuditEventInput[] = [];
  for (const file of taken) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const o = JSON.parse(line);
        if (o?.action === 'unlock-failed' && Number.isFinite(o.at) && METHODS.has(o.method)) {
          events.push({ action: 'unlock-failed', at: o.at, detail: { method: o.method } });
        }
      } catch {
        // A torn last line from a crash: nothing to take.
      }
    }
  }
  // Removed only once the caller has recorded them, so a failed append loses nothing.
  return { events, done: async () => void (await Promise.all(taken.map((f) => fs.rm(f, { force: true })))) };
}
