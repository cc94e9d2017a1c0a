import { useEffect, useState } from 'react';
import type { AuditEvent } from '../../src-shared/audit/events';
import { api } from '../api';
import { Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useSecrets } from '../stores/secrets';
import { selectedVault, useVaults } from '../stores/vaults';
import { describeEvent } from '../audit/describe';
import { when } from '../time';

/** The audit events about this one secret (reveals, copies, edits, rotations). */
export function SecretActivity() {
  const detail = useSecrets((s) => s.detail);
  const vault = useVaults(selectedVault);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!detail || !vault) return;
    let live = true;
    api()
      .audit.list({ vault: vault.id, secret: detail.name, limit: 200 })
      .then(
        (list) => live && setEvents(list),
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [detail?.name, vault?.id]);

  if (error) return <ErrorNote error={error} />;
  if (!events) return <Spinner label="Loading activity…" />;
  if (events.length === 0) return <p className="muted">Nothing recorded for this secret yet.</p>;
  return (
    <ol className="timeline__events" aria-label="Secret activity">
      {events.map((e) => (
        <li key={e.seq}>
          <span>{describeEvent(e)}</span> <span className="muted small">{when(e.at)}</span>
        </li>
      ))}
    </ol>
  );
}
