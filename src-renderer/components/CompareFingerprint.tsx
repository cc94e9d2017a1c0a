import { useState, type ReactNode } from 'react';
import { BusyButton } from './Busy';
import { ErrorNote } from './ErrorNote';
import { Fingerprint } from './Fingerprint';

const lastGroup = (fingerprint: string) => fingerprint.split(/\s+/).filter(Boolean).at(-1) ?? '';

/**
 * A fingerprint to compare, and Approve kept off until the user types the last group the
 * other side shows (or reads out) and it matches; a mismatch says not to approve. Who asked
 * chose their name, so only these digits tell one request from another.
 */
export function CompareFingerprint({ name, fingerprint, inputLabel, mismatch, busyLabel, onApprove }: {
  name: string;
  fingerprint: string;
  /** "Last group Bob read". */
  inputLabel: string;
  /** What to do when the digits differ. */
  mismatch: ReactNode;
  busyLabel: string;
  onApprove: () => Promise<void>;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const expected = lastGroup(fingerprint);
  const digits = typed.replace(/\s+/g, '');
  const matches = expected !== '' && digits === expected;

  async function approve() {
    setBusy(true);
    setError(null);
    try {
      await onApprove();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <>
      <Fingerprint value={fingerprint} label={`${name}'s fingerprint`} />
      <label>
        {inputLabel}
        <input inputMode="numeric" autoComplete="off" maxLength={7} value={typed} onChange={(e) => setTyped(e.target.value)} />
      </label>
      {digits.length >= expected.length && !matches ? (
        <p className="error" role="status">
          {mismatch}
        </p>
      ) : null}
      <BusyButton type="button" className="primary" busy={busy} busyLabel={busyLabel} disabled={!matches} onClick={() => void approve()}>
        Approve
      </BusyButton>
      <ErrorNote error={error} />
    </>
  );
}
