import { useState, type ReactNode } from 'react';
import { BusyButton } from './Busy';
import { ErrorNote } from './ErrorNote';

/**
 * A destructive action behind a confirmation that says what will happen: `label` shows first,
 * then a group "Confirm NAME" with `children` (the explanation), the action (`label NAME`) and
 * Cancel; what the call answers, if it fails, shows below.
 */
export function ConfirmAction({ label, doing, name, busyLabel, onConfirm, children }: {
  /** "Remove", "Revoke". */
  label: string;
  /** "removing", "revoking": the confirmation group is named "Confirm removing NAME". */
  doing: string;
  /** What it acts on, as the user knows it. */
  name: string;
  busyLabel: string;
  onConfirm: () => Promise<void>;
  children: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function act() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }
  return (
    <>
      {!confirming ? (
        <button type="button" className="ghost danger" onClick={() => setConfirming(true)}>
          {label}
        </button>
      ) : (
        <div className="confirm" role="group" aria-label={`Confirm ${doing} ${name}`}>
          <p>{children}</p>
          <BusyButton type="button" className="danger" busy={busy} busyLabel={busyLabel} onClick={() => void act()}>
            {label} {name}
          </BusyButton>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorNote error={error} />
    </>
  );
}
