/**
 * A secret's rotation schedule per environment, from its own policy, else the default of
 * its environment, else the vault's; and the state the list shows (the worst of its
 * environments). Reads record heads only, so a 10,000-secret list stays cheap.
 */
import type { RotationState } from '../../src-shared/api/types';
import { RotationClock, rotationState, worse, type Schedule } from '../../src-shared/rotation/schedule';
import type { RotationDefaults, RotationPolicy, SecretMeta } from '../../src-shared/vault/types';
import type { EnvironmentScope, Vault } from '../vaults/vault';

/** The user's time zone (TZ, else the system's): the zone "every 90 days" is counted in. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function localClock(now = Date.now()): RotationClock {
  return new RotationClock(now, localTimeZone());
}

/**
 * When the value in one environment was last rotated: a recorded rotation (an imported key's
 * real age, or a rotation done at the provider) counts until a value is written after it
 * was recorded; without the time it was recorded (older clients), the later of the two.
 */
export function lastRotation(currentAt: number, policy: RotationPolicy): number {
  const recorded = policy.lastRotatedAt;
  if (recorded === undefined) return currentAt;
  if (policy.lastRotatedRecordedAt === undefined) return Math.max(currentAt, recorded);
  return currentAt > policy.lastRotatedRecordedAt ? currentAt : recorded;
}

/** The interval that applies to `secret` in one environment (days), if any. */
export function effectiveInterval(secret: SecretMeta, environmentId: string, defaults: RotationDefaults): number | undefined {
  return secret.rotation.intervalDays ?? defaults.environments.get(environmentId) ?? defaults.vault;
}

export interface EnvironmentSchedule {
  readonly environment: string;
  readonly schedule: Schedule;
}

/** One schedule per environment where the secret has a value this profile can see. */
export function schedulesOf(secret: SecretMeta, scopes: readonly EnvironmentScope[], defaults: RotationDefaults): EnvironmentSchedule[] {
  const out: EnvironmentSchedule[] = [];
  for (const { environment, values } of scopes) {
    const at = values.currentAt(secret.id);
    if (at === undefined) continue;
    const intervalDays = effectiveInterval(secret, environment.id, defaults);
    const schedule: Schedule = {
      lastRotatedAt: lastRotation(at, secret.rotation),
      ...(intervalDays !== undefined ? { intervalDays } : {}),
      ...(secret.rotation.expiresAt !== undefined ? { expiresAt: secret.rotation.expiresAt } : {}),
    };
    out.push({ environment: environment.name, schedule });
  }
  return out;
}

/** The list's state for one secret: the worst over its environments; none when not active. */
export function secretRotationState(secret: SecretMeta, scopes: readonly EnvironmentScope[], defaults: RotationDefaults, clock: RotationClock): RotationState {
  if (secret.status !== 'active') return 'none';
  const { expiresAt } = secret.rotation;
  if (secret.rotation.intervalDays === undefined && defaults.vault === undefined && defaults.environments.size === 0 && expiresAt === undefined) return 'none';
  let state: RotationState = 'none';
  // schedulesOf without its objects: this runs for every secret of a 10,000-secret list.
  for (const { environment, values } of scopes) {
    const at = values.currentAt(secret.id);
    if (at === undefined) continue;
    const intervalDays = effectiveInterval(secret, environment.id, defaults);
    state = worse(state, rotationState({ lastRotatedAt: lastRotation(at, secret.rotation), intervalDays, expiresAt }, clock));
  }
  return state;
}

/** States of many secrets of one vault, one clock and one read of the defaults for all. */
export async function rotationStates(vault: Vault, secrets: readonly SecretMeta[], clock: RotationClock): Promise<Map<string, RotationState>> {
  const scopes = await vault.readableEnvironments();
  const defaults = vault.meta.rotationDefaults();
  return new Map(secrets.map((s) => [s.id, secretRotationState(s, scopes, defaults, clock)]));
}
