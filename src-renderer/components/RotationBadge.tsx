import type { RotationState, SecretStatus } from '../../src-shared/api/types';

const words: Record<RotationState, string | null> = {
  ok: null,
  none: null,
  due: 'Rotation due',
  overdue: 'Rotation overdue',
  expiring: 'Expiring',
  expired: 'Expired',
};

/** The rotation state in words (colour is never the only signal). */
export function RotationBadge({ state }: { state: RotationState }) {
  const text = words[state];
  return text ? <span className={`badge badge--${state}`}>{text}</span> : null;
}

export function StatusBadge({ status }: { status: SecretStatus }) {
  return status === 'active' ? null : <span className={`badge badge--${status}`}>{status === 'retired' ? 'Retired' : 'Deleted'}</span>;
}
