import { useCallback, useEffect, useState } from 'react';
import type { TokenInfo } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton } from '../components/Busy';
import { Choice } from '../components/Choice';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { when } from '../time';
import { Checks } from '../components/Checks';

/**
 * Machine tokens of a vault (CI, servers): make one (its token shown once, to copy into the
 * CI's secret settings), see them, revoke one. For owners and admins.
 */
export function Tokens({ vault, environments }: { vault: string; environments: string[] }) {
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [making, setMaking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setTokens(await api().tokens.list({ vault }));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [vault]);
  useEffect(() => void load(), [load]);

  return (
    <section className="card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Machine tokens</h2>
      <p className="muted small">A CI job or a server reads its environments with a token (TESSERA_TOKEN), end to end encrypted, without a profile.</p>
      <ErrorNote error={error} />
      {tokens?.length ? (
        <ul className="members">
          {tokens.map((t) => (
            <TokenRow key={t.memberId} vault={vault} token={t} onChange={load} />
          ))}
        </ul>
      ) : tokens ? (
        <p className="empty">No tokens yet.</p>
      ) : null}
      {making ? (
        <TokenForm vault={vault} environments={environments} onMade={load} onClose={() => setMaking(false)} />
      ) : (
        <button type="button" onClick={() => setMaking(true)}>
          New token…
        </button>
      )}
    </section>
  );
}

function TokenRow({ vault, token, onChange }: { vault: string; token: TokenInfo; onChange: () => Promise<void> }) {
  return (
    <li className="member" aria-label={token.name}>
      <div>
        <strong>{token.name}</strong>{' '}
        <span className="muted small">
          {token.role} · {token.environments.join(', ')} · made by {token.createdBy} {when(token.createdAt)} ·{' '}
          {token.expiresAt === null ? 'does not expire' : token.expired ? 'expired' : `expires ${when(token.expiresAt)}`}
        </span>
      </div>
      <ConfirmAction
        label="Revoke"
        doing="revoking"
        name={token.name}
        busyLabel="Revoking and re-keying…"
        onConfirm={async () => {
          await api().tokens.revoke({ vault, name: token.name });
          await onChange();
        }}
      >
        Revoke {token.name}? The relay refuses it from now on and every key it held is replaced, so it reads nothing new. What it already read stays read: rotate
        those secrets at their providers.
      </ConfirmAction>
    </li>
  );
}

function TokenForm({ vault, environments, onMade, onClose }: { vault: string; environments: string[]; onMade: () => Promise<void>; onClose: () => void }) {
  const [name, setName] = useState('ci-deploy');
  const [role, setRole] = useState<'viewer' | 'editor'>('viewer');
  const [envs, setEnvs] = useState<string[]>(environments.includes('production') ? ['production'] : environments.slice(0, 1));
  const [days, setDays] = useState('90');
  const [made, setMade] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setMade(null);
    setCopied(null);
    try {
      const d = Number(days);
      const r = await api().tokens.create({ vault, name, role, environments: envs, ...(days !== '' && Number.isInteger(d) && d > 0 ? { expiresInDays: d } : {}) });
      setMade(r.token);
      await onMade();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!made) return;
    try {
      await navigator.clipboard.writeText(made);
      setCopied('Token copied. Paste it into your CI or server secret settings as TESSERA_TOKEN.');
    } catch {
      document.querySelector<HTMLTextAreaElement>('#token-text')?.select();
      setCopied('Press Ctrl/Cmd+C to copy the selected token.');
    }
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="Make a machine token">
      <div className="row">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoComplete="off" />
        </label>
        <Choice label="Role" value={role} onChange={(r) => setRole(r as 'viewer' | 'editor')} options={[['viewer', 'Viewer (reads)'], ['editor', 'Editor (rotation jobs)']]} />
        <label>
          Expires after (days; empty: never)
          <input type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
      </div>
      <Checks legend="Environments it may read" options={environments} chosen={envs} onChange={setEnvs} />
      <div className="row">
        <BusyButton type="submit" className="primary" busy={busy} busyLabel="Making the token…" disabled={envs.length === 0}>
          Make token
        </BusyButton>
        <button type="button" onClick={onClose}>
          {made ? 'Done' : 'Cancel'}
        </button>
      </div>
      <ErrorNote error={error} />
      {made ? (
        <div className="stack" role="group" aria-label="The new token">
          <label>
            Token (shown only now)
            <textarea id="token-text" readOnly value={made} rows={3} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <p className="muted small">Tessera keeps no copy: store it in your CI&apos;s secret settings now. Closing this screen forgets it.</p>
          <button type="button" onClick={() => void copy()}>
            Copy token
          </button>
          {copied ? <p role="status">{copied}</p> : null}
        </div>
      ) : null}
    </form>
  );
}
