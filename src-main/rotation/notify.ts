/**
 * What the desktop app notifies about: the secrets (per environment) that became due,
 * overdue, expiring or expired between its previous check and now, across the profile's
 * vaults. The app keeps the time of its last check; a secret that turned due while the
 * app was closed is reported once, at the first check after.
 */
import type { RotationState } from '../../src-shared/api/types';
import { becameDue } from '../../src-shared/rotation/schedule';
import type { Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { localTimeZone, schedulesOf } from './state';

export interface BecameDue {
  readonly vaultId: string;
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
  readonly state: RotationState;
}

/** `vaults`: the profile's vaults when the caller holds them open already (the desktop app does). */
export async function secretsBecameDue(session: Session, previousCheck: number, now: number, timeZone = localTimeZone(), vaults?: readonly Vault[]): Promise<BecameDue[]> {
  const out: BecameDue[] = [];
  // The profile's vaults that open; an unreadable one is reported elsewhere.
  for (const vault of vaults ?? (await vaultDirectory(session).openAll()).vaults) {
    const scopes = await vault.readableEnvironments();
    const defaults = vault.meta.rotationDefaults();
    const items = vault.meta
      .secrets()
      .filter((s) => s.status === 'active')
      .flatMap((s) => schedulesOf(s, scopes, defaults).map((e) => ({ secret: s.name, ...e })));
    for (const { item, state } of becameDue(items, previousCheck, now, timeZone)) {
      out.push({ vaultId: vault.id, vault: vault.name, secret: item.secret, environment: item.environment, state });
    }
  }
  return out;
}
