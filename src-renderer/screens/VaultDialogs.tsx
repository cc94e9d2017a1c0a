import { useState } from 'react';
import { api } from '../api';
import { BusyButton } from '../components/Busy';
import { DialogFooter } from '../components/DialogFooter';
import { Fingerprint } from '../components/Fingerprint';
import { Modal } from '../components/Modal';
import { useVaults } from '../stores/vaults';

/** Create a vault, with its environments. */
export function CreateVaultDialog({ onClose }: { onClose: () => void }) {
  const { create, creating, actionError: error } = useVaults();
  const [name, setName] = useState('');
  const [environments, setEnvironments] = useState('development, staging, production');
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const envs = environments.split(',').map((x) => x.trim()).filter(Boolean);
    if (!name.trim()) return setProblem('Name: give the vault a name, like "payments".');
    if (envs.length === 0) return setProblem('Environments: list at least one, separated by commas.');
    setProblem(null);
    if (await create(name.trim(), envs)) onClose();
  }

  return (
    <Modal title="Create vault" onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Environments
          <input value={environments} onChange={(e) => setEnvironments(e.target.value)} />
        </label>
        <DialogFooter problem={problem} error={error} onCancel={onClose}>
          <BusyButton type="submit" className="primary" busy={creating} busyLabel="Creating…">
            Create vault
          </BusyButton>
        </DialogFooter>
      </form>
    </Modal>
  );
}

/** Join with an invite code: show the fingerprint to read out, then pick up the vault once approved. */
export function JoinDialog({ onClose }: { onClose: () => void }) {
  const [code, setCode] = useState('');
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [busy, setBusy] = useState<'join' | 'check' | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function join(e: React.FormEvent) {
    e.preventDefault();
    if (!code.trim()) return;
    setBusy('join');
    setError(null);
    try {
      setFingerprint((await api().members.join({ code: code.trim() })).fingerprint);
      setCode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function check() {
    setBusy('check');
    setError(null);
    try {
      const { joined, waiting } = await api().members.completeJoins();
      if (joined.length) {
        setResult(`Joined ${joined.join(', ')}.`);
        await useVaults.getState().load();
        const vault = useVaults.getState().vaults.find((v) => joined.includes(v.name) || joined.includes(v.id));
        if (vault) useVaults.getState().select(vault.id);
      } else setResult(waiting ? 'Not approved yet. Ask the admin to approve you after comparing the fingerprint.' : 'No join request is waiting.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <Modal title="Join vault" onClose={onClose}>
      {fingerprint === null ? (
        <form className="stack" onSubmit={join}>
          <label>
            Invite code
            <textarea value={code} onChange={(e) => setCode(e.target.value)} rows={3} spellCheck={false} autoComplete="off" />
          </label>
          <DialogFooter error={error} onCancel={onClose}>
            <BusyButton type="submit" className="primary" busy={busy === 'join'} busyLabel="Sending request…" disabled={!code.trim()}>
              Join
            </BusyButton>
          </DialogFooter>
        </form>
      ) : (
        <div className="stack">
          <p>Read this fingerprint to the person who invited you (by phone or in person). They approve you only if it matches what they see.</p>
          <Fingerprint value={fingerprint} label="Your fingerprint" />
          {result ? <p role="status">{result}</p> : null}
          <DialogFooter error={error} onCancel={onClose} cancelLabel="Close">
            <BusyButton type="button" className="primary" busy={busy === 'check'} busyLabel="Checking…" onClick={() => void check()}>
              Check for approval
            </BusyButton>
          </DialogFooter>
        </div>
      )}
    </Modal>
  );
}
