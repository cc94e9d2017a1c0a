/**
 * Secrets overdue for rotation. Not driven by events: the rotation policies live in the
 * vaults, so the caller passes a function that lists what is overdue, and this turns the
 * list into alerts (one per secret and due date, so a rotated-then-overdue-again secret
 * alerts again).
 */
import type { Alert } from '../../../src-shared/api/types';

export interface OverdueSecret {
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
  readonly dueAt: number;
}

export type OverdueSource = () => Promise<readonly OverdueSecret[]>;

export function rotationOverdueAlerts(overdue: readonly OverdueSecret[], now: number): Alert[] {
  return overdue
    .filter((o) => o.dueAt <= now)
    .map((o) => {
      const days = Math.floor((now - o.dueAt) / 86_400_000);
      return {
        id: `rotation-overdue:${JSON.stringify([o.vault, o.secret, o.environment, o.dueAt])}`,
        rule: 'rotation-overdue',
        at: o.dueAt,
        severity: days >= 30 ? 'critical' : 'warning',
        message: `${o.secret} (${o.environment}) in ${o.vault} is overdue for rotation${days > 0 ? ` by ${days} day${days === 1 ? '' : 's'}` : ''}`,
        vault: o.vault,
        secret: o.secret,
      } satisfies Alert;
    });
}
