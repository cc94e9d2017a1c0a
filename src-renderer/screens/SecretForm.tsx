import { useState } from 'react';
import { BusyButton } from '../components/Busy';
import { DialogFooter } from '../components/DialogFooter';
import { Modal } from '../components/Modal';
import { useSecrets } from '../stores/secrets';
import { useUi } from '../stores/ui';
import { selectedVault, useVaults } from '../stores/vaults';
import { Choice } from '../components/Choice';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Add a secret, or edit one: description, tags, and optionally a new value in one environment. */
export function SecretForm({ onClose, editing, environment: initialEnv }: { onClose: () => void; editing?: string; environment?: string }) {
  const vault = useVaults(selectedVault);
  const { detail, save, busy, actionError } = useSecrets();
  const chosenEnv = useUi((s) => s.environment);
  const readable = vault?.environments.filter((e) => e.readable).map((e) => e.name) ?? [];
  const existing = editing && detail?.name === editing ? detail : null;
  const [name, setName] = useState(editing ?? '');
  const [environment, setEnvironment] = useState(initialEnv ?? (readable.includes(chosenEnv) ? chosenEnv : (readable[0] ?? '')));
  const [value, setValue] = useState('');
  const [show, setShow] = useState(false);
  const [description, setDescription] = useState(existing?.description ?? '');
  const [tags, setTags] = useState(existing?.tags.join(', ') ?? '');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!NAME.test(name)) return setProblem('Name: start with a letter or underscore; then letters, digits, _ . or - (like STRIPE_SECRET_KEY).');
    if (!editing && value === '') return setProblem('Value: enter the secret value for this environment.');
    if (!environment) return setProblem('Environment: this vault has no environment you can write to.');
    setProblem(null);
    const ok = await save(
      { name, environment, value, description: description.trim(), tags: tags.split(',').map((t) => t.trim()).filter(Boolean), note: note.trim() },
      editing !== undefined,
    );
    if (ok) onClose();
  }

  return (
    <Modal title={editing ? `Edit ${editing}` : 'Add secret'} onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} readOnly={editing !== undefined} spellCheck={false} autoComplete="off" />
        </label>
        <Choice label="Environment" value={environment} onChange={setEnvironment} options={readable} />
        <label>
          Value
          {show ? (
            <textarea value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} autoComplete="off" rows={3} placeholder={editing ? 'Leave empty to keep the current value' : ''} />
          ) : (
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" placeholder={editing ? 'Leave empty to keep the current value' : ''} />
          )}
        </label>
        <label className="check">
          <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} />
          Show value while typing
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Tags
          <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="billing, stripe" />
        </label>
        <label>
          Note for the history
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="Why this change (optional)" />
        </label>
        <DialogFooter problem={problem} error={actionError} onCancel={onClose}>
          <BusyButton type="submit" className="primary" busy={busy === 'save'} busyLabel="Saving…">
            Save
          </BusyButton>
        </DialogFooter>
      </form>
    </Modal>
  );
}
