import { ErrorNote } from '../components/ErrorNote';
import { useAlerts } from '../stores/alerts';
import { lockNow } from '../stores/events';
import { useSession } from '../stores/session';
import { useUi, type Screen } from '../stores/ui';
import { useVaults } from '../stores/vaults';

const screens: { id: Screen; label: string }[] = [
  { id: 'secrets', label: 'Secrets' },
  { id: 'members', label: 'Members' },
  { id: 'activity', label: 'Activity' },
  { id: 'health', label: 'Health' },
  { id: 'settings', label: 'Settings' },
];

/** Vaults, the screens, and lock. */
export function Sidebar() {
  const { vaults, selectedId, select, loading, error, syncing } = useVaults();
  const { screen, go, open } = useUi();
  const unseen = useAlerts((s) => s.unseen);
  const profile = useSession((s) => s.profile);

  return (
    <nav className="sidebar" aria-label="Vaults and screens">
      <p className="sidebar__brand">Tessera</p>
      <h2 className="sidebar__heading" id="vaults-heading">
        Vaults
      </h2>
      {loading && vaults.length === 0 ? <p className="muted">Loading vaults…</p> : null}
      <ul className="sidebar__vaults" aria-labelledby="vaults-heading">
        {vaults.map((v) => (
          <li key={v.id}>
            <button type="button" className="sidebar__vault" aria-current={v.id === selectedId ? 'true' : undefined} onClick={() => select(v.id)}>
              <span>{v.name}</span>
              {v.error ? <span className="badge badge--overdue">Cannot open</span> : <span className="muted small">{v.secrets}</span>}
              {syncing[v.id] ? <span className="spinner" aria-label="Syncing" /> : null}
            </button>
          </li>
        ))}
      </ul>
      {vaults.length === 0 && !loading ? <p className="muted small">No vaults yet.</p> : null}
      <div className="sidebar__actions">
        <button type="button" onClick={() => open({ kind: 'create-vault' })}>
          Create vault
        </button>
        <button type="button" className="ghost" onClick={() => open({ kind: 'join' })}>
          Join vault
        </button>
      </div>
      <ErrorNote error={error} />
      <ul className="sidebar__screens">
        {screens.map((s) => (
          <li key={s.id}>
            {/* The count sits beside the button as its description, so the button's name stays "Activity". */}
            <button
              type="button"
              className="sidebar__screen"
              aria-current={screen === s.id ? 'page' : undefined}
              aria-describedby={s.id === 'activity' && unseen > 0 ? 'unseen-alerts' : undefined}
              onClick={() => go(s.id)}
            >
              {s.label}
            </button>
            {s.id === 'activity' && unseen > 0 ? (
              <span className="badge badge--overdue sidebar__count" id="unseen-alerts">
                {unseen}
                <span className="visually-hidden"> new {unseen === 1 ? 'alert' : 'alerts'}</span>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      <div className="sidebar__footer">
        {profile ? <p className="muted small">{profile.name}</p> : null}
        <button type="button" onClick={() => void lockNow()} title="Lock (Ctrl/Cmd+L)">
          Lock
        </button>
      </div>
    </nav>
  );
}
