import { useCallback, useEffect, useRef, useState } from 'react';
import type { HealthAction, HealthFinding } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useSecrets } from '../stores/secrets';
import { useUi } from '../stores/ui';
import { useVaults } from '../stores/vaults';
import { openSecret, selectSecret } from './Activity';
import { Choice } from '../components/Choice';

const kinds: Record<HealthFinding['kind'], string> = {
  'rotation-failed': 'Rotation failed',
  'rotation-overdue': 'Rotation overdue',
  'rotation-due': 'Rotation due',
  expiring: 'Expiring',
  exposed: 'Exposed to a removed member',
  reused: 'Reused value',
  weak: 'Weak value',
  stale: 'Stale',
  leaked: 'Leaked',
};

// What to do, in words; the buttons do it. (A finding's `fix` is the CLI command, for
// `tessera health`: not something to ask of someone using the app.)
const advice: Record<HealthFinding['kind'], string> = {
  'rotation-failed': 'Its rotator failed (the error says why; nothing was changed): fix the cause and rotate it again.',
  'rotation-overdue': 'Rotate it, or change how often it should be rotated.',
  'rotation-due': 'Rotate it, or change how often it should be rotated.',
  expiring: 'Get a new value from the provider and save it; set its new expiry in the policy.',
  exposed: 'Revoke it at the provider and save the new value.',
  reused: 'Give each secret and environment its own value.',
  weak: 'Rotate it to a generated value.',
  stale: 'If nothing uses it any more, retire it (it can be restored).',
  leaked: 'Remove it from that file (and its history), then rotate it.',
};

// Worst first: what could be abused now before what is merely due.
const order: HealthFinding['kind'][] = ['leaked', 'exposed', 'rotation-failed', 'rotation-overdue', 'expiring', 'weak', 'reused', 'rotation-due', 'stale'];

/** Findings across vaults (or one), each with what to do about it. */
export function Health() {
  const vaults = useVaults((s) => s.vaults);
  const [vault, setVault] = useState('');
  const [findings, setFindings] = useState<HealthFinding[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [acting, setActing] = useState<number | null>(null);
  const dialog = useUi((s) => s.dialog);
  // Set while a dialog opened from here is up: when it closes, check again.
  const awaitingDialog = useRef(false);

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

  useEffect(() => {
    if (dialog === null && awaitingDialog.current) {
      awaitingDialog.current = false;
      void load();
    }
  }, [dialog, load]);

  /** Selects the finding's secret (the dialogs act on the selected one), then does `action`. */
  async function act(f: HealthFinding, i: number, action: HealthAction) {
    if (action.kind === 'open') return openSecret(f.vault, f.secret);
    setActing(i);
    setError(null);
    try {
      if (!(await selectSecret(f.vault, f.secret))) return;
      const secrets = useSecrets.getState();
      if (secrets.detailError) return setError(secrets.detailError);
      if (action.kind === 'retire') {
        if (await secrets.setRetired(f.secret, true)) await load();
        else setError(useSecrets.getState().actionError);
        return;
      }
      awaitingDialog.current = true;
      useUi.getState().open(
        action.kind === 'rotate'
          ? { kind: 'rotate', name: f.secret, environment: action.environment, ...(action.generate ? { generate: action.generate } : {}) }
          : { kind: 'policy', name: f.secret },
      );
    } finally {
      setActing(null);
    }
  }

  return (
    <section className="screen" aria-labelledby="health-title">
      <header className="screen__header">
        <h1 id="health-title">Health</h1>
        <div className="screen__actions">
          <Choice label="Vault" value={vault} onChange={setVault} any="All vaults" options={vaults.map((v) => [v.id, v.name] as const)} />
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
              {advice[f.kind]}
            </p>
            <div className="finding__actions">
              {f.actions.map((a) => {
                const vault = vaults.find((v) => v.id === f.vault || v.name === f.vault);
                // A viewer changes nothing (main would refuse); Open stays.
                const readOnly = a.kind !== 'open' && vault?.role === 'viewer';
                return (
                  <button key={a.kind} type="button" className={a === f.actions[0] && a.kind !== 'open' ? 'primary' : undefined} disabled={acting === i || readOnly} onClick={() => void act(f, i, a)}>
                    {label(a, f.secret)}
                  </button>
                );
              })}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function label(a: HealthAction, secret: string): string {
  switch (a.kind) {
    case 'rotate':
      return 'Rotate…';
    case 'policy':
      return 'Change policy…';
    case 'retire':
      return 'Retire';
    case 'open':
      return `Open ${secret}`;
  }
}
