/**
 * Telling the user (an `alert` event, which the shell shows as an OS notification) about
 * secrets that need rotating, each state once: what was announced is kept in the profile, so
 * a secret that turned due while the app was closed is announced at the next unlock, one
 * whose policy was just set to an old rotation date is announced too, and one that was
 * rotated and later turns due again is announced again.
 */
import type { AppEvent } from '../../src-shared/api/types';
import type { Session } from '../profile/profile';
import { secretsBecameDue } from '../rotation/notify';
import type { Vault } from '../vaults/vault';
import { readAnnouncedDue, writeAnnouncedDue } from './settings';

export async function announceDue(session: Session, vaults: readonly Vault[], now: number, emit: (e: AppEvent) => void): Promise<void> {
  const announced = await readAnnouncedDue(session.home);
  // Everything needing attention now (worse than at the epoch: due, overdue, expiring, expired).
  const current = await secretsBecameDue(session, 0, now, undefined, vaults);
  const keys = new Set<string>();
  for (const d of current) {
    const key = `${d.vaultId}/${d.secret}/${d.environment}/${d.state}`;
    keys.add(key);
    if (announced.has(key)) continue;
    const what = d.state === 'expired' ? 'is past its expiry' : d.state === 'expiring' ? 'is about to expire' : `is ${d.state} for rotation`;
    emit({
      type: 'alert',
      alert: { id: `${key}@${now}`, rule: 'rotation-due', at: now, severity: d.state === 'due' ? 'info' : 'warning', message: `${d.secret} (${d.environment}) in ${d.vault} ${what}`, vault: d.vault, secret: d.secret },
    });
  }
  await writeAnnouncedDue(session.home, keys);
}

/**
 * Alerts name members by id (the rules read only the log); show the names the open vaults
 * know, and "You" for this profile, so a notification says who in the user's words.
 */
export function namedAlert<T extends { readonly message: string }>(alert: T, me: string | undefined, vaults: Iterable<Vault>): T {
  const message = alert.message.replace(/\b[0-9a-f]{16}\b/g, (id) => {
    if (id === me) return 'You';
    for (const v of vaults) {
      const name = v.authorName(id);
      if (name) return name;
    }
    return id;
  });
  return message === alert.message ? alert : { ...alert, message };
}
