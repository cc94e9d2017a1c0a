/**
 * Scheduled rotation (`tessera rotate --due`, from cron, a systemd timer or a CI schedule):
 * every active secret that has a rotator, in every environment this profile reads where its
 * rotation is due, overdue, expiring or expired, is rotated by that rotator, one after the
 * other, and each result is reported; a failure does not stop the others. Failures are
 * audited by rotateSecret (secret-rotation-failed), which is how Health shows them.
 *
 * A command rotator runs only if this device approved it before (an interactive
 * `tessera rotate KEY --rotator` once): a schedule has nobody to ask.
 */
import type { RotationState } from '../../src-shared/api/types';
import { isTesseraError, type ErrorCode } from '../../src-shared/errors';
import { RotationClock, rotationStatus } from '../../src-shared/rotation/schedule';
import { isBuiltinRotator } from '../../src-shared/vault/types';
import type { AuditSink } from '../audit/audit-sink';
import type { Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { rotateSecret } from './rotate';
import { localTimeZone, schedulesOf } from './state';

const DUE_STATES: readonly RotationState[] = ['due', 'overdue', 'expiring', 'expired'];

export interface DueRotation {
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
  /** Why it was rotated: its state before. */
  readonly state: RotationState;
  /** 'command', or the built-in rotator's provider. */
  readonly rotator: string;
  readonly result: 'rotated' | 'failed';
  readonly version?: number;
  /** A built-in rotator's account that now holds the value. */
  readonly account?: string;
  readonly warnings?: readonly string[];
  readonly code?: ErrorCode;
  readonly message?: string;
}

export interface DueOptions {
  /** One vault (name or id); every vault of the profile otherwise. */
  readonly vault?: string;
  readonly now: number;
  readonly timeZone?: string;
}

/** What is due with a rotator, in one vault, in the environments this profile may write. */
async function dueIn(vault: Vault, clock: RotationClock): Promise<{ secret: string; environment: string; state: RotationState; rotator: string }[]> {
  // Only environments this profile may write: a viewer's scheduled run has nothing to rotate there.
  const scopes = (await vault.readableEnvironments()).filter((s) => vault.mayWrite(s.environment.id));
  const defaults = vault.meta.rotationDefaults();
  const out = [];
  for (const secret of vault.meta.secrets()) {
    const rotator = secret.rotator;
    if (secret.status !== 'active' || !rotator) continue;
    for (const { environment, schedule } of schedulesOf(secret, scopes, defaults)) {
      if (isBuiltinRotator(rotator) && !rotator.environments.includes(environment)) continue;
      const { state } = rotationStatus(schedule, clock);
      if (DUE_STATES.includes(state)) out.push({ secret: secret.name, environment, state, rotator: isBuiltinRotator(rotator) ? rotator.builtin : 'command' });
    }
  }
  return out;
}

export async function rotateDue(session: Session, opts: DueOptions, audit: AuditSink): Promise<DueRotation[]> {
  const clock = new RotationClock(opts.now, opts.timeZone ?? localTimeZone());
  const directory = vaultDirectory(session);
  const vaults = opts.vault !== undefined ? [await directory.find(opts.vault)] : (await directory.openAll()).vaults;
  const results: DueRotation[] = [];
  for (const vault of vaults) {
    for (const due of await dueIn(vault, clock)) {
      const base = { vault: vault.name, ...due };
      try {
        const r = await rotateSecret(vault, due.secret, due.environment, { rotator: true }, {}, audit);
        results.push({ ...base, result: 'rotated', version: r.version.n, ...(r.account ? { account: r.account } : {}), ...(r.warnings ? { warnings: r.warnings } : {}) });
      } catch (e) {
        if (!isTesseraError(e)) throw e;
        results.push({ ...base, result: 'failed', code: e.code, message: e.message });
      }
    }
  }
  return results;
}
