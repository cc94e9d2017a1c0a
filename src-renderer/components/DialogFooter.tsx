import type { ReactNode } from 'react';
import { FormErrors } from './ErrorNote';

/**
 * A dialog's end, the same in every dialog: what is wrong with the form (`problem`), what the
 * last call answered (`error`), then the way out and the dialog's one action.
 */
export function DialogFooter({ problem, error, onCancel, cancelLabel = 'Cancel', children }: {
  problem?: string | null;
  error?: unknown;
  onCancel: () => void;
  cancelLabel?: string;
  /** The action button (a BusyButton, usually). */
  children: ReactNode;
}) {
  return (
    <>
      <FormErrors problem={problem} error={error} />
      <div className="modal__actions">
        <button type="button" onClick={onCancel}>
          {cancelLabel}
        </button>
        {children}
      </div>
    </>
  );
}
