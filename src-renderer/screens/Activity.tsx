import { useEffect, useMemo, useState } from 'react';
import type { AuditEvent } from '../../src-shared/audit/events';
import type { AuditQuery } from '../../src-shared/api/types';
import { api } from '../api';
import { actionLabels, describeEvent, eventText } from '../audit/describe';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useAlerts } from '../stores/alerts';
import { useSecrets } from '../stores/secrets';
import { useSession } from '../stores/session';
import { useUi } from '../stores/ui';
import { useVaults } from '../stores/vaults';
import { clock, day, when } from '../time';
import { Choice } from '../components/Choice';

const LIMIT = 2000;

/** Opens a secret from anywhere: its vault, the Secrets screen, the secret selected. */
export async function openSecret(vaultRef: string | undefined, name: string): Promise<void> {
  await selectSecret(vaultRef, name, () => useUi.getState().go('secrets'));
}

/**
 * Makes `name` in the vault named or identified by `vaultRef` the selected secret, its
 * detail loaded, so that the rotate and policy dialogs act on it; `onVault` runs as soon as
 * the vault is chosen. False when no such vault is listed.
 */
export async function selectSecret(vaultRef: string | undefined, name: string, onVault?: () => void): Promise<boolean> {
  const vaults = useVaults.getState();
  const vault = vaults.vaults.find((v) => v.id === vaultRef || v.name === vaultRef) ?? vaults.vaults.find((v) => v.id === vaults.selectedId);
  if (!vault) return false;
  vaults.select(vault.id);
  onVault?.();
  await useSecrets.getState().load(vault.id);
  await useSecrets.getState().select(name);
  return true;
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The audit timeline, grouped by day, with filters, search, export, and alerts. */
export function Activity() {
  const vaults = useVaults((s) => s.vaults);
  const me = useSession((s) => s.profile?.memberId);
  const { alerts, seen, error: alertsError } = useAlerts();
  const [vault, setVault] = useState('');
  const [action, setAction] = useState('');
  const [secret, setSecret] = useState('');
  const [member, setMember] = useState('');
  const [search, setSearch] = useState('');
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState<'csv' | 'json' | null>(null);

  useEffect(() => seen(), [alerts.length]);

  const query: AuditQuery = useMemo(
    () => ({ ...(vault ? { vault } : {}), ...(action ? { action } : {}), ...(secret ? { secret } : {}) }),
    [vault, action, secret],
  );

  useEffect(() => {
    let live = true;
    setEvents(null);
    api()
      .audit.list({ ...query, limit: LIMIT })
      .then(
        (list) => live && (setEvents([...list].sort((a, b) => b.at - a.at || b.seq - a.seq)), setError(null)),
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [query]);

  const shown = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return (events ?? []).filter((e) => (!member || e.by === member) && (words.length === 0 || words.every((w) => eventText(e).includes(w))));
  }, [events, member, search]);

  const days = useMemo(() => {
    const groups: { label: string; events: AuditEvent[] }[] = [];
    for (const e of shown) {
      const label = day(e.at);
      if (groups.at(-1)?.label === label) groups.at(-1)!.events.push(e);
      else groups.push({ label, events: [e] });
    }
    return groups;
  }, [shown]);

  const secrets = useMemo(() => [...new Set((events ?? []).flatMap((e) => (e.secret ? [e.secret] : [])))].sort(), [events]);
  const members = useMemo(() => [...new Set((events ?? []).map((e) => e.by))].sort(), [events]);

  async function exportAs(format: 'csv' | 'json') {
    setExporting(format);
    setError(null);
    try {
      const { text } = await api().audit.export({ ...query, format });
      download(`tessera-activity.${format}`, text, format === 'csv' ? 'text/csv' : 'application/json');
    } catch (e) {
      setError(e);
    } finally {
      setExporting(null);
    }
  }

  const who = (id: string): string => (id === me ? 'You' : id);
  return (
    <section className="screen" aria-labelledby="activity-title">
      <header className="screen__header">
        <h1 id="activity-title">Activity</h1>
        <div className="screen__actions">
          <BusyButton type="button" busy={exporting === 'csv'} busyLabel="Exporting…" onClick={() => void exportAs('csv')}>
            Export CSV
          </BusyButton>
          <BusyButton type="button" busy={exporting === 'json'} busyLabel="Exporting…" onClick={() => void exportAs('json')}>
            Export JSON
          </BusyButton>
        </div>
      </header>
      <section aria-labelledby="alerts-title" className="card">
        <h2 id="alerts-title">Alerts</h2>
        <ErrorNote error={alertsError} />
        {alerts.length === 0 ? <p className="muted">No alerts. Unusual use (many reveals, failed unlocks, tampering) shows here.</p> : null}
        <ul className="alerts">
          {alerts.map((a) => (
            <li key={a.id} className={`alert alert--${a.severity}`}>
              <span className={`badge badge--${a.severity}`}>{a.severity}</span> {a.message} <span className="muted small">{when(a.at)}</span>
              {a.secret ? (
                <button type="button" className="link" onClick={() => void openSecret(a.vault, a.secret!)}>
                  Open {a.secret}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <div className="filters">
        <label className="filters__search">
          Search activity
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <Choice label="Vault" value={vault} onChange={setVault} any="All vaults" options={vaults.map((v) => [v.id, v.name] as const)} />
        <Choice label="Secret" value={secret} onChange={setSecret} any="Any secret" options={secrets} />
        <Choice label="Member" value={member} onChange={setMember} any="Anyone" options={members.map((m) => [m, who(m)] as const)} />
        <Choice label="Action" value={action} onChange={setAction} any="Any action" options={Object.entries(actionLabels)} />
      </div>
      <ErrorNote error={error} />
      {events === null && !error ? <Spinner label="Loading activity…" /> : null}
      {events && shown.length === 0 ? <p className="empty">No activity matches.</p> : null}
      <div className="timeline">
        {days.map((d) => (
          <section key={d.label} aria-label={d.label}>
            <h2 className="timeline__day">{d.label}</h2>
            <ol className="timeline__events">
              {d.events.map((e) => (
                <li key={`${e.device}-${e.seq}`} className={`event event--${e.action}`}>
                  <time className="muted small" dateTime={new Date(e.at).toISOString()}>{clock(e.at)}</time> <span>{who(e.by)}:</span>{' '}
                  {e.secret ? (
                    <button type="button" className="link" onClick={() => void openSecret(e.vaultId ?? e.vault, e.secret!)}>
                      {describeEvent(e)}
                    </button>
                  ) : (
                    <span>{describeEvent(e)}</span>
                  )}
                </li>
              ))}
            </ol>
          </section>
        ))}
      </div>
    </section>
  );
}
