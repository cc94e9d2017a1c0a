import { useMemo, useRef } from 'react';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { RotationBadge, StatusBadge } from '../components/RotationBadge';
import { WindowedList } from '../components/WindowedList';
import { filterSecrets, indexSecrets } from '../secrets/filter';
import { useSecrets } from '../stores/secrets';
import { useUi } from '../stores/ui';
import { selectedVault, useVaults } from '../stores/vaults';
import { SecretDetailPane } from './SecretDetail';

const ROW_HEIGHT = 52;

/** The secrets list with instant search and filters, and the selected secret's detail. */
export function Secrets() {
  const vault = useVaults(selectedVault);
  const { list, loading, error, filters, setFilters, selected, select } = useSecrets();
  const environment = useUi((s) => s.environment);
  const setEnvironment = useUi((s) => s.setEnvironment);
  const open = useUi((s) => s.open);
  const listRef = useRef<HTMLDivElement>(null);
  const syncing = useVaults((s) => (vault ? s.syncing[vault.id] === true : false));
  const sync = useVaults((s) => s.sync);
  const syncError = useVaults((s) => s.actionError);

  const readable = useMemo(() => vault?.environments.filter((e) => e.readable).map((e) => e.name) ?? [], [vault]);
  // A choice made in another vault does not filter this one.
  const env = readable.includes(environment) ? environment : '';
  const index = useMemo(() => indexSecrets(list), [list]);
  const shown = useMemo(() => filterSecrets(index, { ...filters, environment: env }), [index, filters, env]);
  const active = selected === null ? -1 : shown.findIndex((s) => s.name === selected);

  function move(by: number | 'first' | 'last') {
    if (shown.length === 0) return;
    const next = by === 'first' ? 0 : by === 'last' ? shown.length - 1 : Math.min(shown.length - 1, Math.max(0, (active < 0 ? (by > 0 ? -1 : shown.length) : active) + by));
    void select(shown[next]!.name);
  }

  function onKeyDown(e: React.KeyboardEvent) {
    const page = Math.max(1, Math.floor(((listRef.current?.clientHeight ?? 0) || 480) / ROW_HEIGHT) - 1);
    const keys: Record<string, number | 'first' | 'last'> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.currentTarget.tagName !== 'INPUT') Object.assign(keys, { Home: 'first', End: 'last' });
    const by = keys[e.key];
    if (by !== undefined) {
      e.preventDefault();
      move(by);
    } else if (e.key === 'Enter' && shown.length > 0) {
      e.preventDefault();
      // Enter on a search with nothing chosen yet opens the best match.
      if (active < 0) void select(shown[0]!.name);
      else (document.querySelector<HTMLElement>('#secret-detail .value__actions button') ?? document.querySelector<HTMLElement>('#secret-detail button'))?.focus();
    } else if (e.key === 'Escape' && e.currentTarget.tagName === 'INPUT') {
      setFilters({ query: '' });
    }
  }

  if (!vault) {
    return (
      <section className="screen" aria-labelledby="secrets-title">
        <h1 id="secrets-title">Secrets</h1>
        <p className="empty">No vault yet. Create a vault in the sidebar (or join one with an invite code) to keep secrets in it.</p>
      </section>
    );
  }

  if (vault.error) {
    return (
      <section className="screen" aria-labelledby="secrets-title">
        <h1 id="secrets-title">Secrets</h1>
        <p className="muted">{vault.name} could not be opened.</p>
        <ErrorNote error={{ code: vault.error }} />
      </section>
    );
  }

  return (
    <section className="screen screen--split" aria-labelledby="secrets-title">
      <div className="secrets">
        <header className="screen__header">
          <h1 id="secrets-title">Secrets</h1>
          <span className="muted">{vault.name}</span>
          <div className="screen__actions">
            <button type="button" className="primary" onClick={() => open({ kind: 'add' })} disabled={vault.role === 'viewer'}>
              Add secret
            </button>
            <button type="button" onClick={() => open({ kind: 'import' })} disabled={vault.role === 'viewer'}>
              Import
            </button>
            {vault.relay ? (
              <BusyButton type="button" busy={syncing} busyLabel="Syncing…" onClick={() => void sync(vault.id)} title={`Sync with ${vault.relay}`}>
                Sync
              </BusyButton>
            ) : null}
          </div>
        </header>
        <div className="filters">
          <label className="filters__search">
            <span className="visually-hidden">Search secrets</span>
            <input
              type="search"
              placeholder="Search secrets  (↑↓ to move, Enter to open)"
              value={filters.query}
              onChange={(e) => setFilters({ query: e.target.value })}
              onKeyDown={onKeyDown}
              aria-controls="secret-list"
              autoFocus
            />
          </label>
          <label>
            Environment
            <select value={env} onChange={(e) => setEnvironment(e.target.value)}>
              <option value="">All</option>
              {readable.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tag
            <select value={filters.tag} onChange={(e) => setFilters({ tag: e.target.value })}>
              <option value="">Any</option>
              {index.tags.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={filters.status} onChange={(e) => setFilters({ status: e.target.value as typeof filters.status })}>
              <option value="active">Active</option>
              <option value="retired">Retired</option>
              <option value="all">All</option>
            </select>
          </label>
        </div>
        <ErrorNote error={error ?? syncError} />
        {loading && list.length === 0 ? <Spinner label="Loading secrets…" /> : null}
        <p className="muted small" role="status">
          {shown.length === list.length ? `${list.length} secrets` : `${shown.length} of ${list.length} secrets`}
        </p>
        {shown.length === 0 && !loading ? (
          <p className="empty">{list.length === 0 ? 'No secrets yet. Add one, or import a .env file.' : 'Nothing matches. Clear the search or the filters.'}</p>
        ) : (
          <div ref={listRef} className="secret-list-box">
            <WindowedList
              id="secret-list"
              role="listbox"
              aria-label="Secrets"
              tabIndex={0}
              aria-activedescendant={active >= 0 ? `secret-option-${active}` : undefined}
              onKeyDown={onKeyDown}
              count={shown.length}
              rowHeight={ROW_HEIGHT}
              active={active}
              renderRow={(i) => {
                const s = shown[i]!;
                return (
                  <div
                    id={`secret-option-${i}`}
                    role="option"
                    aria-selected={s.name === selected}
                    aria-posinset={i + 1}
                    aria-setsize={shown.length}
                    className="secret-row"
                    onClick={() => void select(s.name)}
                  >
                    <span className="secret-row__name">{s.name}</span>
                    <span className="secret-row__meta">
                      <StatusBadge status={s.status} />
                      <RotationBadge state={s.rotation} />
                      {s.tags.slice(0, 3).map((t) => (
                        <span key={t} className="tag">
                          {t}
                        </span>
                      ))}
                    </span>
                    <span className="secret-row__desc muted small">{s.description || s.environments.join(', ')}</span>
                  </div>
                );
              }}
            />
          </div>
        )}
      </div>
      {/* Keyed by secret: a half-typed policy or a pending delete never carries over to another secret. */}
      <SecretDetailPane key={selected ?? ''} />
    </section>
  );
}
