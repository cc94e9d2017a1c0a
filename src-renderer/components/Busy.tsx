import type { ButtonHTMLAttributes, ReactNode } from 'react';

/** A button for a long action: disabled with a spinner and its "…ing" label while it runs. */
export function BusyButton({
  busy,
  busyLabel,
  children,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean; busyLabel: string; children: ReactNode }) {
  return (
    <button {...rest} disabled={busy || rest.disabled} aria-busy={busy || undefined}>
      {busy ? (
        <>
          <span className="spinner" aria-hidden="true" />
          {busyLabel}
        </>
      ) : (
        children
      )}
    </button>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
