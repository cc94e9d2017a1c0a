import { useState } from 'react';
import { BusyButton } from '../components/Busy';
import { Modal } from '../components/Modal';
import { RotationBadge } from '../components/RotationBadge';
import { useSecrets } from '../stores/secrets';
import { selectedVault, useVaults } from '../stores/vaults';
import { when } from '../time';

function toDateInput(at: number | undefined): string {
  return at === undefined ? '' : new Date(at).toISOString().slice(0, 10);
}

function dueIn(days: number): string {
  if (days === 0) return 'today';
  const n = Math.abs(days);
  const span = `${n} day${n === 1 ? '' : 's'}`;
  return days > 0 ? `in ${span}` : `${span} overdue`;
}

/** The policy editor as a dialog, for the selected secret `name` (Health's "Change policy…"). */
export function PolicyDialog({ onClose, name }: { onClose: () => void; name: string }) {
  const detail = useSecrets((s) => s.detail);
  return (
    <Modal title={`Rotation policy of ${name}`} onClose={onClose}>
      {/* Keyed by secret: the form takes its starting values from the detail once. */}
      {detail?.name === name ? <SecretPolicy key={name} /> : null}
    </Modal>
  );
}

/** How often to rotate, and when the provider expires the key. */
export function SecretPolicy() {
  const { detail, setPolicy, busy } = useSecrets();
  const vault = useVaults(selectedVault);
  const [interval, setIntervalDays] = useState(detail?.policy.intervalDays?.toString() ?? '');
  const [expires, setExpires] = useState(toDateInput(detail?.policy.expiresAt));
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  if (!detail) return null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const days = interval.trim() === '' ? null : Number(interval);
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 3650)) return setProblem('Rotate every 1 to 3650 days, or leave it empty for no schedule.');
    const expiresAt = expires === '' ? null : Date.parse(`${expires}T00:00:00Z`);
    if (expiresAt !== null && Number.isNaN(expiresAt)) return setProblem('Enter the expiry as a date.');
    setProblem(null);
    setSaved(await setPolicy(detail!.name, { intervalDays: days, expiresAt }));
  }

  return (
    <form className="stack" onSubmit={submit}>
      <p>
        <RotationBadge state={detail.rotation} />
      </p>
      {detail.rotations.length > 0 ? (
        <ul className="rotations" aria-label="Rotation by environment">
          {detail.rotations.map((r) => (
            <li key={r.environment}>
              <strong>{r.environment}</strong>: last rotated {when(r.lastRotatedAt)}.{' '}
              {r.dueDate !== undefined ? `Next rotation due ${r.dueDate} (${dueIn(r.daysLeft!)}).` : 'No rotation schedule.'}
              {r.expiresDate !== undefined ? ` Expires ${r.expiresDate}.` : ''}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No value you can read yet.</p>
      )}
      <label>
        Rotate every (days)
        <input type="number" min={1} max={3650} value={interval} onChange={(e) => setIntervalDays(e.target.value)} />
      </label>
      <label>
        Expires on
        <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
      </label>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {saved ? <p role="status">Policy saved.</p> : null}
      <BusyButton type="submit" busy={busy === 'policy'} busyLabel="Saving…" disabled={vault?.role === 'viewer'}>
        Save policy
      </BusyButton>
    </form>
  );
}
