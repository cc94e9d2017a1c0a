import { useCallback, useEffect, useState } from 'react';
import type { InviteCreated, JoinRequestInfo, MemberInfo, Role } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { ConfirmAction } from '../components/ConfirmAction';
import { Fingerprint } from '../components/Fingerprint';
import { CompareFingerprint } from '../components/CompareFingerprint';
import { Tokens } from './Tokens';
import { selectedVault, useVaults } from '../stores/vaults';
import { when } from '../time';
import { Checks } from '../components/Checks';

/** Who is in the vault, inviting someone, and approving join requests after comparing fingerprints. */
export function Members() {
  const vault = useVaults(selectedVault);
  const [members, setMembers] = useState<MemberInfo[] | null>(null);
  const [pending, setPending] = useState<JoinRequestInfo[]>([]);
  const [error, setError] = useState<unknown>(null);
  const manage = vault?.role === 'owner' || vault?.role === 'admin';

  const load = useCallback(async () => {
    if (!vault) return;
    try {
      const [m, p] = await Promise.all([api().members.list({ vault: vault.id }), manage ? api().members.pending({ vault: vault.id }) : Promise.resolve([])]);
      setMembers(m);
      setPending(p);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [vault?.id, manage]);

  useEffect(() => {
    setMembers(null);
    void load();
  }, [load]);

  if (!vault) {
    return (
      <section className="screen" aria-labelledby="members-title">
        <h1 id="members-title">Members</h1>
        <p className="empty">Choose or create a vault first.</p>
      </section>
    );
  }

  return (
    <section className="screen" aria-labelledby="members-title">
      <header className="screen__header">
        <h1 id="members-title">Members</h1>
        <span className="muted">{vault.name}</span>
        <div className="screen__actions">
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </header>
      <ErrorNote error={error} />
      {manage ? <InviteForm vault={vault.id} environments={vault.environments.map((e) => e.name)} /> : null}
      {manage ? <PendingRequests vault={vault.id} pending={pending} onChange={load} /> : null}
      <h2>People with access</h2>
      {members === null && !error ? <Spinner label="Loading members…" /> : null}
      <ul className="members">
        {members?.map((m) => <MemberRow key={m.memberId} vault={vault.id} member={m} canRemove={manage && !m.you && m.role !== 'owner'} onChange={load} />)}
      </ul>
      {manage ? <Tokens vault={vault.id} environments={vault.environments.map((e) => e.name)} /> : null}
    </section>
  );
}

function MemberRow({ vault, member, canRemove, onChange }: { vault: string; member: MemberInfo; canRemove: boolean; onChange: () => Promise<void> }) {
  return (
    <li className="member" aria-label={member.name}>
      <div>
        <strong>{member.name}</strong> {member.you ? <span className="badge badge--ok">You</span> : null}
        <span className="muted small">
          {' '}
          {member.role} · {member.environments.join(', ') || 'no environments'}
        </span>
      </div>
      <Fingerprint value={member.fingerprint} label={`${member.name}'s fingerprint`} />
      {canRemove ? (
        <ConfirmAction
          label="Remove"
          doing="removing"
          name={member.name}
          busyLabel="Removing and re-keying…"
          onConfirm={async () => {
            await api().members.remove({ vault, memberId: member.memberId });
            await onChange();
          }}
        >
          Remove {member.name}? Every key they held is replaced so they cannot read anything new. They keep what they already saw: rotate those secrets at their
          providers (the Health screen lists them).
        </ConfirmAction>
      ) : null}
    </li>
  );
}

function InviteForm({ vault, environments }: { vault: string; environments: string[] }) {
  const [role, setRole] = useState<Exclude<Role, 'owner'>>('editor');
  const [envs, setEnvs] = useState<string[]>(environments.filter((e) => e !== 'production'));
  const [hours, setHours] = useState('24');
  const [invite, setInvite] = useState<InviteCreated | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setCopied(null);
    try {
      const ttl = Number(hours);
      setInvite(await api().members.invite({ vault, role, environments: envs, ...(Number.isInteger(ttl) && ttl > 0 ? { ttlHours: ttl } : {}) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function copyCode() {
    if (!invite) return;
    try {
      await navigator.clipboard.writeText(invite.code);
      setCopied('Invite code copied. Send it to your teammate over a channel you trust.');
    } catch {
      // The window may not be allowed the clipboard; the field is selected instead.
      document.querySelector<HTMLTextAreaElement>('#invite-code')?.select();
      setCopied('Press Ctrl/Cmd+C to copy the selected code.');
    }
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a teammate</h2>
      <div className="row">
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Exclude<Role, 'owner'>)}>
            <option value="viewer">Viewer (read)</option>
            <option value="editor">Editor (read and write)</option>
            <option value="admin">Admin (and manage members)</option>
          </select>
        </label>
        <label>
          Expires after (hours)
          <input type="number" min={1} max={720} value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
      </div>
      <Checks legend="Environments they may read" options={environments} chosen={envs} onChange={setEnvs} />
      <ErrorNote error={error} />
      <BusyButton type="submit" className="primary" busy={busy} busyLabel="Creating invite…">
        Invite
      </BusyButton>
      {invite ? (
        <div className="stack">
          <label>
            Invite code
            <textarea id="invite-code" readOnly value={invite.code} rows={3} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <p className="muted small">Single use; expires {when(invite.expiresAt)}. When they join, compare fingerprints before approving.</p>
          <button type="button" onClick={() => void copyCode()}>
            Copy code
          </button>
          {copied ? <p role="status">{copied}</p> : null}
        </div>
      ) : null}
    </form>
  );
}

function PendingRequests({ vault, pending, onChange }: { vault: string; pending: JoinRequestInfo[]; onChange: () => Promise<void> }) {
  const named = (name: string) => pending.filter((p) => p.name === name).length;
  return (
    <section className="card stack" aria-labelledby="pending-title">
      <h2 id="pending-title">Join requests</h2>
      {pending.length === 0 ? <p className="muted">No one is waiting. Requests appear here after someone joins with an invite code (Refresh to check).</p> : null}
      <ul className="members">
        {pending.map((p) => (
          <PendingRow key={p.fingerprint} vault={vault} request={p} sameName={named(p.name) - 1} onChange={onChange} />
        ))}
      </ul>
    </section>
  );
}

/**
 * One request. The joiner chose the name, so it proves nothing: Approve waits until the
 * user types the last group of digits the joiner reads to them and it matches this
 * request's, and main is told the whole fingerprint so it approves exactly this request.
 */
function PendingRow({ vault, request, sameName, onChange }: { vault: string; request: JoinRequestInfo; sameName: number; onChange: () => Promise<void> }) {
  return (
    <li className="member" aria-label={`Request from ${request.name}`}>
      <div>
        <strong>{request.name}</strong>
        <span className="muted small">
          {' '}
          asks to join as {request.role} · {request.environments.join(', ') || 'no environments'}
        </span>
      </div>
      {sameName > 0 ? (
        <p className="error">
          {sameName === 1 ? 'Another request also uses' : `${sameName} other requests also use`} the name {request.name}. Names are chosen by whoever joins: only the
          request whose digits {request.name} reads to you is theirs.
        </p>
      ) : null}
      <p>Ask {request.name} to read their fingerprint aloud (phone or in person) and compare every group:</p>
      <CompareFingerprint
        name={request.name}
        fingerprint={request.fingerprint}
        inputLabel={`Last group ${request.name} read`}
        busyLabel="Approving…"
        mismatch={`These digits do not match the last group above. Do not approve: ask ${request.name} to read their fingerprint again; if it still differs, this request is not from them.`}
        onApprove={async () => {
          await api().members.approve({ vault, name: request.name, fingerprint: request.fingerprint });
          await onChange();
        }}
      />
    </li>
  );
}
