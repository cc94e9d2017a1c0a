import { useEffect, useState } from 'react';
import type { ImportPreview, ImportResult } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { FormErrors } from '../components/ErrorNote';
import { Modal } from '../components/Modal';
import { useSecrets } from '../stores/secrets';
import { useUi } from '../stores/ui';
import { selectedVault, useVaults } from '../stores/vaults';
import { Choice } from '../components/Choice';
import { DialogFooter } from '../components/DialogFooter';

// A .env file is text; anything bigger than the API accepts is not one.
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Import a .env file (dropped or picked) into one environment: main previews which keys are
 * new and which already set, and nothing is written until the user confirms. Which existing
 * values differ is said only after the import, which is audited: a preview that compared
 * values would test guesses unrecorded.
 */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const vault = useVaults(selectedVault);
  const chosenEnv = useUi((s) => s.environment);
  const readable = vault?.environments.filter((e) => e.readable).map((e) => e.name) ?? [];
  const [environment, setEnvironment] = useState(readable.includes(chosenEnv) ? chosenEnv : (readable[0] ?? ''));
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [applying, setApplying] = useState(false);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    if (!file || !vault || !environment) return;
    let live = true;
    setPreviewing(true);
    setPreview(null);
    setError(null);
    api()
      .secrets.importPreview({ vault: vault.id, environment, text: file.text })
      .then(
        (p) => live && setPreview(p),
        (e: unknown) => live && setError(e),
      )
      .finally(() => live && setPreviewing(false));
    return () => {
      live = false;
    };
  }, [file, environment, vault?.id]);

  async function take(f: File | undefined) {
    if (!f) return;
    if (f.size > MAX_BYTES) return setProblem(`${f.name} is larger than 4 MiB; a .env file that big is probably not one.`);
    setProblem(null);
    setDone(null);
    try {
      setFile({ name: f.name, text: await readText(f) });
    } catch {
      setProblem(`${f.name} could not be read. Check that it is a text file you may open, and try again.`);
    }
  }

  async function apply() {
    if (!file || !vault) return;
    setApplying(true);
    setError(null);
    try {
      const result = await api().secrets.importApply({ vault: vault.id, environment, text: file.text });
      setDone(result);
      setFile(null);
      setPreview(null);
      await useSecrets.getState().load(vault.id);
      void useVaults.getState().load();
    } catch (e) {
      setError(e);
    } finally {
      setApplying(false);
    }
  }

  const changes = preview ? preview.added.length + preview.existing.length : 0;
  return (
    <Modal title="Import .env file" onClose={onClose} wide>
      <div className="stack">
        <Choice label="Environment" value={environment} onChange={setEnvironment} options={readable} />
        <div
          className={dragging ? 'dropzone dropzone--over' : 'dropzone'}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            void take(e.dataTransfer.files[0]);
          }}
        >
          <p>Drop a .env file here, or</p>
          <label className="button">
            Choose .env file
            <input className="visually-hidden" type="file" accept=".env,text/plain,*" onChange={(e) => void take(e.target.files?.[0])} />
          </label>
          {file ? <p className="muted small">{file.name}</p> : null}
        </div>
        <FormErrors problem={problem} error={error} />
        {previewing ? <Spinner label="Reading the file…" /> : null}
        {preview ? (
          <section aria-label="Import preview" className="preview">
            <PreviewGroup title="Will be added" names={preview.added} />
            <PreviewGroup title="Already set" names={preview.existing} />
            {preview.existing.length ? (
              <p className="muted small">Keys already set take the value in the file where it differs; the import then says how many changed.</p>
            ) : null}
          </section>
        ) : null}
        {done ? (
          <p role="status">
            Imported into {environment}: {done.added.length} added, {done.updated.length} updated, {done.unchanged.length} unchanged.
          </p>
        ) : null}
        <DialogFooter onCancel={onClose} cancelLabel={done ? 'Done' : 'Cancel'}>
          <BusyButton type="button" className="primary" busy={applying} busyLabel="Importing…" disabled={!preview || changes === 0} onClick={() => void apply()}>
            {preview ? `Import ${changes} ${changes === 1 ? 'secret' : 'secrets'}` : 'Import'}
          </BusyButton>
        </DialogFooter>
      </div>
    </Modal>
  );
}

/** FileReader rather than Blob.text(), which older engines (and jsdom) lack. */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsText(file);
  });
}

function PreviewGroup({ title, names }: { title: string; names: readonly string[] }) {
  return (
    <div>
      <h3>
        {title} ({names.length})
      </h3>
      {names.length ? (
        <ul className="preview__names" aria-label={title}>
          {names.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
