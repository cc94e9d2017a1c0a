import { useState } from 'react';
import { BusyButton } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useSecrets } from '../stores/secrets';
import { selectedVault, useVaults } from '../stores/vaults';

/**
 * What rotates the secret at its provider: a built-in PostgreSQL rotator (two login roles
 * ROLE_1 and ROLE_2 taking turns in the group role ROLE, changed with the admin credential
 * held in another secret of the vault). Main checks the admin login and the roles before it
 * saves. A rotator command is shown but set from the CLI only: it is code that runs here.
 */
export function SecretRotator() {
  const { detail, setRotator, busy, actionError } = useSecrets();
  const vault = useVaults(selectedVault);
  const current = detail?.rotator;
  const builtin = current?.kind === 'builtin' ? current : undefined;
  const [admin, setAdmin] = useState(builtin?.admin ?? '');
  const [role, setRole] = useState(builtin?.role ?? '');
  const [environments, setEnvironments] = useState<string[]>(builtin ? [...builtin.environments] : []);
  const [graceHours, setGraceHours] = useState(builtin?.graceSeconds !== undefined ? String(builtin.graceSeconds / 3600) : '');
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  if (!detail || !vault) return null;
  const readOnly = vault.role === 'viewer';

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (admin.trim() === '' || role.trim() === '') return setProblem('Name the admin credential secret and the group role.');
    if (environments.length === 0) return setProblem('Choose the environments it rotates in.');
    const hours = graceHours.trim() === '' ? undefined : Number(graceHours);
    if (hours !== undefined && (!Number.isFinite(hours) || hours < 0 || hours > 365 * 24)) return setProblem('Grace: 0 to 8760 hours, or empty for one day.');
    setProblem(null);
    const ok = await setRotator(detail!.name, {
      builtin: 'postgres',
      admin: admin.trim(),
      role: role.trim(),
      environments,
      ...(hours !== undefined ? { graceSeconds: Math.round(hours * 3600) } : {}),
    });
    setSaved(ok ? 'Rotator saved: the admin login and the roles checked out.' : null);
  }

  async function remove() {
    setSaved((await setRotator(detail!.name, null)) ? 'Rotator removed.' : null);
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="Rotator">
      <h3>Rotator</h3>
      {current?.kind === 'command' ? (
        <p>
          Rotated by the command <code>{current.program}</code> (set and run from the command line).
        </p>
      ) : builtin ? (
        <p>
          Built-in PostgreSQL rotator: {builtin.role}_1 and {builtin.role}_2 take turns, with the admin credential in {builtin.admin}.
        </p>
      ) : (
        <p className="muted">No rotator: Rotate saves a value you type or generate.</p>
      )}
      <fieldset disabled={readOnly}>
        <legend>Built-in PostgreSQL rotator</legend>
        <label>
          Admin credential secret
          <input value={admin} onChange={(e) => setAdmin(e.target.value)} placeholder="PG_ADMIN" />
        </label>
        <label>
          Group role
          <input value={role} onChange={(e) => setRole(e.target.value)} placeholder="app_user" />
        </label>
        {vault.environments.map((env) => (
          <label key={env.name} className="check">
            <input
              type="checkbox"
              checked={environments.includes(env.name)}
              onChange={(e) => setEnvironments(e.target.checked ? [...environments, env.name] : environments.filter((x) => x !== env.name))}
            />
            Rotates in {env.name}
          </label>
        ))}
        <label>
          Grace (hours the replaced password keeps working; empty: 24)
          <input type="number" min={0} max={8760} value={graceHours} onChange={(e) => setGraceHours(e.target.value)} />
        </label>
      </fieldset>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {busy === 'rotator' ? null : <ErrorNote error={actionError} />}
      {saved ? <p role="status">{saved}</p> : null}
      <div className="row">
        <BusyButton type="submit" busy={busy === 'rotator'} busyLabel="Checking…" disabled={readOnly}>
          Save rotator
        </BusyButton>
        {current ? (
          <button type="button" onClick={() => void remove()} disabled={readOnly || busy === 'rotator'}>
            Remove rotator
          </button>
        ) : null}
      </div>
    </form>
  );
}
