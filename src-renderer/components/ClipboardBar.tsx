import { useEffect, useState } from 'react';
import { secondsLeft, useClipboard } from '../stores/clipboard';
import { ErrorNote } from './ErrorNote';

/** "Copied X — clears in 23 s", ticking from main's clipboard status. */
export function ClipboardBar() {
  const status = useClipboard((s) => s.status);
  const error = useClipboard((s) => s.error);
  const clear = useClipboard((s) => s.clear);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!status.active || status.clearsAt === null) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [status]);

  const left = secondsLeft(status, now);
  return (
    <div className="clipboard-bar">
      <div role="status" aria-live="polite">
        {status.active ? (
          <span>
            Copied{status.secret ? ` ${status.secret}` : ''} to the clipboard
            {left === null ? ' (it will not be cleared automatically)' : ` — clears in ${left} s`}
          </span>
        ) : null}
      </div>
      {status.active ? (
        <button type="button" className="ghost small" onClick={() => void clear()}>
          Clear clipboard
        </button>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}
