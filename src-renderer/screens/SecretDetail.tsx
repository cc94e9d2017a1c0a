import { useState } from 'react';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { RotationBadge, StatusBadge } from '../components/RotationBadge';
import { useClipboard } from '../stores/clipboard';
import { revealKey, revealedValue, useSecrets } from '../stores/secrets';
import { useUi } from '../stores/ui';
import { selectedVault, useVaults } from '../stores/vaults';
import { when } from '../time';
import { SecretActivity } from './SecretActivity';
import { SecretHistory } from './SecretHistory';
import { SecretPolicy } from './SecretPolicy';
import { SecretRotator } from './SecretRotator';

type Tab = 'values' | 'history' | 'activity' | 'policy';
const tabs: { id: Tab; label: string }[] = [
  { id: 'values', label: 'Values' },
  { id: 'history', label: 'History' },
  { id: 'activity', label: 'Activity' },
  { id: 'policy', label: 'Rotation policy' },
];

/** The selected secret: masked values per environment, reveal, copy, rotate, and its tabs. */
export function SecretDetailPane() {
  const { selected, detail, detailError, busy, actionError, setRetired, remove } = useSecrets();
  const vault = useVaults(selectedVault);
  const open = useUi((s) => s.open);
  const [tab, setTab] = useState<Tab>('values');
  const [confirmDelete, setConfirmDelete] = useState(false);

  if (!selected) {
    return (
      <aside className="detail detail--empty" id="secret-detail" aria-label="Secret detail">
        <p className="muted">Choose a secret to see its values. Ctrl/Cmd+K opens the command palette.</p>
      </aside>
    );
  }
  if (!detail) {
    return (
      <aside className="detail" id="secret-detail" aria-label="Secret detail">
        {detailError ? <ErrorNote error={detailError} /> : <Spinner label="Loading…" />}
      </aside>
    );
  }

  const canWrite = vault?.role !== 'viewer';
  return (
    <aside className="detail" id="secret-detail" aria-labelledby="detail-title">
      <header className="detail__header">
        <h2 id="detail-title">{detail.name}</h2>
        <StatusBadge status={detail.status} />
        <RotationBadge state={detail.rotation} />
      </header>
      {detail.description ? <p>{detail.description}</p> : null}
      {detail.tags.length ? (
        <p>
          {detail.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </p>
      ) : null}
      <div className="detail__actions">
        <button type="button" onClick={() => open({ kind: 'edit', name: detail.name })} disabled={!canWrite}>
          Edit
        </button>
        <BusyButton type="button" busy={busy === 'retire' || busy === 'restore'} busyLabel="Saving…" disabled={!canWrite} onClick={() => void setRetired(detail.name, detail.status !== 'retired')}>
          {detail.status === 'retired' ? 'Restore' : 'Retire'}
        </BusyButton>
        {confirmDelete ? (
          <span className="confirm" role="group" aria-label="Confirm delete">
            Delete {detail.name} and purge its values?
            <BusyButton type="button" className="danger" busy={busy === 'remove'} busyLabel="Deleting…" onClick={() => void remove(detail.name)}>
              Delete for everyone
            </BusyButton>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="ghost danger" disabled={!canWrite} onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
      <ErrorNote error={actionError} />
      <div role="tablist" aria-label="Secret views" className="tabs">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.id === tab);
              const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i + tabs.length - 1) % tabs.length] : undefined;
              if (next) {
                setTab(next.id);
                document.getElementById(`tab-${next.id}`)?.focus();
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === 'values' ? <Values canWrite={canWrite} /> : null}
        {tab === 'history' ? <SecretHistory /> : null}
        {tab === 'activity' ? <SecretActivity /> : null}
        {tab === 'policy' ? (
          <>
            <SecretPolicy />
            <SecretRotator key={detail.name} />
          </>
        ) : null}
      </div>
      <p className="muted small">
        Created {when(detail.createdAt)} · updated {when(detail.updatedAt)}
      </p>
    </aside>
  );
}

function Values({ canWrite }: { canWrite: boolean }) {
  const { detail, revealed, revealing, reveal, hide } = useSecrets();
  const vault = useVaults(selectedVault);
  const { copy, copying } = useClipboard();
  const open = useUi((s) => s.open);
  if (!detail || !vault) return null;

  return (
    <ul className="values">
      {detail.values.map((v) => {
        const value = revealedValue(revealed, detail.name, v.environment);
        const k = revealKey(detail.name, v.environment);
        return (
          <li key={v.environment} className="value" role="group" aria-label={v.environment}>
            <div className="value__head">
              <span className="value__env">{v.environment}</span>
              {v.current ? (
                <span className="muted small">
                  v{v.current.n} by {v.current.byName || v.current.by} {when(v.current.at)}
                </span>
              ) : null}
            </div>
            {!v.readable ? (
              <p className="muted">You cannot read {v.environment} values. Ask an admin for access.</p>
            ) : !v.current ? (
              <p className="muted">No value in {v.environment}.</p>
            ) : (
              <>
                <output className={value === undefined ? 'value__text value__text--masked' : 'value__text'} aria-label={`${v.environment} value`}>
                  {value === undefined ? '••••••••••••' : value}
                </output>
                <div className="value__actions">
                  {value === undefined ? (
                    <BusyButton type="button" busy={revealing === k} busyLabel="Revealing…" onClick={() => void reveal(v.environment)}>
                      Reveal
                    </BusyButton>
                  ) : (
                    <button type="button" onClick={() => hide(v.environment)}>
                      Hide
                    </button>
                  )}
                  <BusyButton type="button" busy={copying === k} busyLabel="Copying…" onClick={() => void copy(vault.id, detail.name, v.environment)}>
                    Copy
                  </BusyButton>
                  <button type="button" disabled={!canWrite} onClick={() => open({ kind: 'rotate', name: detail.name, environment: v.environment })}>
                    Rotate
                  </button>
                </div>
              </>
            )}
            {v.readable && !v.current && canWrite ? (
              <button type="button" className="ghost" onClick={() => open({ kind: 'edit', name: detail.name, environment: v.environment })}>
                Set value
              </button>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
