/** Rotations that failed and were not followed by one that succeeded, from the audit log: the health report's rotation-failed. */
import type { AuditEvent } from '../../src-shared/audit/events';

export interface RotationFailure {
  readonly at: number;
  readonly code: string;
  readonly message: string;
}

export type RotationFailures = (vaultId: string, secret: string, environment: string) => RotationFailure | undefined;

export function rotationFailureIndex(events: readonly AuditEvent[]): RotationFailures {
  const last = new Map<string, AuditEvent>();
  for (const e of events) {
    if ((e.action !== 'secret-rotated' && e.action !== 'secret-rotation-failed') || !e.vaultId || !e.secret || !e.environment) continue;
    const key = `${e.vaultId}\n${e.secret}\n${e.environment}`;
    const seen = last.get(key);
    if (!seen || seen.at <= e.at) last.set(key, e);
  }
  return (vaultId, secret, environment) => {
    const e = last.get(`${vaultId}\n${secret}\n${environment}`);
    if (!e || e.action !== 'secret-rotation-failed') return undefined;
    return { at: e.at, code: String(e.detail?.code ?? 'UNKNOWN'), message: String(e.detail?.message ?? '') };
  };
}
