import { useEffect, useState } from 'react';
import type { VersionInfo } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useSecrets } from '../stores/secrets';
import { selectedVault, useVaults } from '../stores/vaults';
import { when } from '../time';
import { Choice } from '../components/Choice';

/** Every version of one environment's value: who, when, why; roll back to an earlier one. */
export function SecretHistory() {
  const { detail, rollback, busy } = useSecrets();
  const vault = useVaults(selectedVault);
  const environments = detail?.values.filter((v) => v.readable).map((v) => v.environment) ?? [];
  const [environment, setEnvironment] = useState(environments[0] ?? '');
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const current = detail?.values.find((v) => v.environment === environment)?.current?.n;

  useEffect(() => {
    if (!detail || !vault || !environment) return;
    let live = true;
    setVersions(null);
    api()
      .secrets.history({ vault: vault.id, name: detail.name, environment })
      .then(
        (list) => live && (setVersions([...list].sort((a, b) => b.n - a.n)), setError(null)),
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [detail, vault?.id, environment]);

  if (!detail) return null;
  return (
    <div className="stack">
      <Choice label="Environment" value={environment} onChange={setEnvironment} options={environments} />
      <ErrorNote error={error} />
      {versions === null && !error ? <Spinner label="Loading history…" /> : null}
      {versions?.length === 0 ? <p className="muted">No versions in {environment}.</p> : null}
      <ol className="history" aria-label={`${environment} versions`}>
        {versions?.map((v) => (
          <li key={v.n} className="history__item">
            <span className="history__n">v{v.n}</span>
            <span>
              {v.byName || v.by} · {when(v.at)}
              {v.n === current ? <span className="badge badge--ok">Current</span> : null}
              {v.standing?.state === 'valid' ? <span className="badge">Valid until {new Date(v.standing.until).toLocaleDateString()}</span> : null}
              {v.standing?.state === 'revoked' ? <span className="badge">Revoked</span> : null}
              {v.standing?.state === 'replaced' ? <span className="badge">Replaced</span> : null}
            </span>
            {v.note ? <span className="muted small">{v.note}</span> : null}
            {v.n !== current && vault?.role !== 'viewer' ? (
              <BusyButton type="button" className="small" busy={busy === 'rollback'} busyLabel="Rolling back…" onClick={() => void rollback(detail.name, environment, v.n)}>
                Roll back to v{v.n}
              </BusyButton>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
