import { useCallback, useEffect, useState } from 'react';
import type { HealthFinding } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useVaults } from '../stores/vaults';
import { openSecret } from './Activity';

const kinds: Record<HealthFinding['kind'], string> = {
  'rotation-overdue': 'Rotation overdue',
  'rotation-due': 'Rotation due',
  expiring: 'Expiring',
  exposed: 'Exposed to a removed member',
  reused: 'Reused value',
  weak: 'Weak value',
  stale: 'Stale',
  leaked: 'Leaked',
};

// Worst first: what could be abused now before what is merely due.
const order: HealthFinding['kind'][] = ['leaked', 'exposed', 'rotation-overdue', 'expiring', 'weak', 'reused', 'rotation-due', 'stale'];

/** Findings across vaults (or one), each with what to do about it. */
export function Health() {
  const vaults = useVaults((s) => s.vaults);
  const [vault, setVault] = useState('');
  const [findings, setFindings] = useState<HealthFinding[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const list = await api().health.report(vault ? { vault } : {});
      setFindings([...list].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)));
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [vault]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="screen" aria-labelledby="health-title">
      <header className="screen__header">
        <h1 id="health-title">Health</h1>
        <div className="screen__actions">
          <label>
            Vault
            <select value={vault} onChange={(e) => setVault(e.target.value)}>
              <option value="">All vaults</option>
              {vaults.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name}
                </option>
              ))}
            </select>
          </label>
          <BusyButton type="button" busy={loading} busyLabel="Checking…" onClick={() => void load()}>
            Check again
          </BusyButton>
        </div>
      </header>
      <ErrorNote error={error} />
      {findings === null && !error ? <Spinner label="Checking your vaults…" /> : null}
      {findings?.length === 0 ? <p className="empty">All good: nothing overdue, expiring, exposed, reused or weak.</p> : null}
      <ul className="findings" aria-label="Findings">
        {findings?.map((f, i) => (
          <li key={i} className={`finding finding--${f.kind}`}>
            <div>
              <span className={`badge badge--${f.kind}`}>{kinds[f.kind]}</span> <strong>{f.secret}</strong>
              {f.environment ? <span className="muted"> ({f.environment})</span> : null}
              <span className="muted small"> in {vaults.find((v) => v.id === f.vault || v.name === f.vault)?.name ?? f.vault}</span>
            </div>
            <p>{f.message}</p>
            <p className="finding__fix">
              <strong>Fix: </strong>
              {f.fix}
            </p>
            <button type="button" onClick={() => void openSecret(f.vault, f.secret)}>
              Open {f.secret}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
