import { useEffect, useState } from 'react';
import type { ImportFilePlan, ImportFormat, ImportPreview, ImportResult } from '../../src-shared/api/types';
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
// Another tool's export may be bigger (a KeePass database with attachments): the CLI's bound.
const MAX_EXPORT_BYTES = 16 * 1024 * 1024;

/** '' reads the file as a .env (the preview that does not compare values); 'auto' lets main tell. */
type FormatChoice = '' | 'auto' | ImportFormat;
const FORMAT_CHOICES: readonly (readonly [FormatChoice, string])[] = [
  ['', '.env file'],
  ['auto', 'Detect from the file'],
  ['kdbx', 'KeePass / KeePassXC database (.kdbx)'],
  ['keepassxc-csv', 'KeePassXC CSV'],
  ['bitwarden-json', 'Bitwarden JSON (plain or password-protected)'],
  ['1pux', '1Password 1PUX'],
  ['1password-csv', '1Password CSV'],
  ['dotenvx', 'dotenvx encrypted .env'],
  ['infisical-json', 'Infisical JSON'],
  ['infisical-csv', 'Infisical CSV'],
  ['doppler-json', 'Doppler JSON'],
  ['doppler-csv', 'Doppler CSV'],
  ['csv', 'Other CSV (choose its columns)'],
];
const LABELS = new Map<string, string>(FORMAT_CHOICES);

/** The choice a file suggests before main looks inside: a plain .env stays on the .env path. */
function suggestedFormat(name: string, bytes: Uint8Array): FormatChoice {
  if (/(^|\.)env(\.[\w-]+)?$/i.test(name) || name.startsWith('.env')) {
    const head = new TextDecoder().decode(bytes.subarray(0, 64 * 1024));
    return head.includes('encrypted:') ? 'dotenvx' : '';
  }
  return 'auto';
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Import a .env file or another tool's export (dropped or picked) into one environment.
 * For a .env, main previews which keys are new and which already set; which existing values
 * differ is said only after the import, which is audited: a preview that compared values
 * would test guesses unrecorded. Other formats (chosen, or detected by main) are previewed
 * as the CLI's `import --from` does, added / updated / unchanged / skipped, and that
 * preview is recorded in the audit log. Nothing is written until the user confirms.
 */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const vault = useVaults(selectedVault);
  const chosenEnv = useUi((s) => s.environment);
  const readable = vault?.environments.filter((e) => e.readable).map((e) => e.name) ?? [];
  const [environment, setEnvironment] = useState(readable.includes(chosenEnv) ? chosenEnv : (readable[0] ?? ''));
  const [file, setFile] = useState<{ name: string; text: string; bytes: Uint8Array } | null>(null);
  const [format, setFormat] = useState<FormatChoice>('');
  // A generic CSV's columns, as `tessera import --map` takes them.
  const [columns, setColumns] = useState('name=Title,value=Password,description=Notes');
  const [password, setPassword] = useState('');
  const [plan, setPlan] = useState<ImportFilePlan | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [applying, setApplying] = useState(false);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    setPlan(null);
    if (!file || !vault || !environment || format !== '') return;
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
  }, [file, environment, vault?.id, format]);

  // Other formats are previewed on request: opening a KeePass database runs its KDF, and the
  // password is typed first.
  function fileRequest() {
    return {
      vault: vault!.id,
      environment,
      fileName: file!.name,
      data: toBase64(file!.bytes),
      ...(format !== 'auto' && format !== '' ? { format } : {}),
      ...(password !== '' ? { password } : {}),
      ...(format === 'csv' ? { map: columns.trim() } : {}),
    };
  }

  async function previewFile() {
    if (!file || !vault) return;
    setPreviewing(true);
    setError(null);
    setPlan(null);
    try {
      setPlan(await api().secrets.importFilePreview(fileRequest()));
    } catch (e) {
      setError(e);
    } finally {
      setPreviewing(false);
    }
  }

  async function take(f: File | undefined) {
    if (!f) return;
    if (f.size > MAX_EXPORT_BYTES) return setProblem(`${f.name} is larger than 16 MiB; an export that big is probably not one.`);
    setProblem(null);
    setDone(null);
    try {
      const bytes = await readBytes(f);
      const suggested = suggestedFormat(f.name, bytes);
      if (suggested === '' && f.size > MAX_BYTES) return setProblem(`${f.name} is larger than 4 MiB; a .env file that big is probably not one.`);
      setFormat(suggested);
      setPassword('');
      setFile({ name: f.name, text: new TextDecoder().decode(bytes), bytes });
    } catch {
      setProblem(`${f.name} could not be read. Check that it is a text file you may open, and try again.`);
    }
  }

  async function apply() {
    if (!file || !vault) return;
    setApplying(true);
    setError(null);
    try {
      const result = format === '' ? await api().secrets.importApply({ vault: vault.id, environment, text: file.text }) : await api().secrets.importFileApply(fileRequest());
      setDone(result);
      setFile(null);
      setPreview(null);
      setPlan(null);
      setPassword('');
      await useSecrets.getState().load(vault.id);
      void useVaults.getState().load();
    } catch (e) {
      setError(e);
    } finally {
      setApplying(false);
    }
  }

  const changes = format === '' ? (preview ? preview.added.length + preview.existing.length : 0) : plan ? plan.added.length + plan.updated.length : 0;
  const ready = format === '' ? preview !== null : plan !== null;
  return (
    <Modal title="Import secrets" onClose={onClose} wide>
      <div className="stack">
        <Choice label="Environment" value={environment} onChange={setEnvironment} options={readable} />
        <Choice label="Format" value={format} onChange={(v) => setFormat(v as FormatChoice)} options={FORMAT_CHOICES} />
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
          <p>Drop a .env file or another tool's export here, or</p>
          <label className="button">
            Choose file
            <input className="visually-hidden" type="file" onChange={(e) => void take(e.target.files?.[0])} />
          </label>
          {file ? <p className="muted small">{file.name}</p> : null}
        </div>
        {file && format !== '' ? (
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void previewFile();
            }}
          >
            {format === 'csv' ? (
              <label>
                Columns (name=, value=, and optionally description=, tags=, url=)
                <input type="text" spellCheck={false} value={columns} onChange={(e) => setColumns(e.target.value)} />
              </label>
            ) : null}
            <label>
              Password, or dotenvx private key (if the file has one)
              <input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            <button type="submit" disabled={previewing}>
              Preview
            </button>
          </form>
        ) : null}
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
        {plan ? (
          <section aria-label="Import preview" className="preview">
            <p className="muted small">Read as {LABELS.get(plan.format) ?? plan.format}.</p>
            <PreviewGroup title="Will be added" names={plan.added} />
            <PreviewGroup title="Will be updated" names={plan.updated} />
            <PreviewGroup title="Unchanged" names={plan.unchanged} />
            <PreviewGroup title="Skipped" names={plan.skipped.map((s) => `${s.title} (entry ${s.index}): ${s.why}`)} />
          </section>
        ) : null}
        {done ? (
          <p role="status">
            Imported into {environment}: {done.added.length} added, {done.updated.length} updated, {done.unchanged.length} unchanged.
          </p>
        ) : null}
        <DialogFooter onCancel={onClose} cancelLabel={done ? 'Done' : 'Cancel'}>
          <BusyButton type="button" className="primary" busy={applying} busyLabel="Importing…" disabled={!ready || changes === 0} onClick={() => void apply()}>
            {ready ? `Import ${changes} ${changes === 1 ? 'secret' : 'secrets'}` : 'Import'}
          </BusyButton>
        </DialogFooter>
      </div>
    </Modal>
  );
}

/** FileReader rather than Blob.arrayBuffer(), which older engines (and jsdom) lack. */
function readBytes(file: File): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsArrayBuffer(file);
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
