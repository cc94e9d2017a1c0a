import { useEffect, useState } from 'react';
import type { Theme, VaultSummary } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton, Spinner } from '../components/Busy';
import { ErrorNote, FormErrors } from '../components/ErrorNote';
import { Fingerprint } from '../components/Fingerprint';
import { Devices } from './Devices';
import { useSession } from '../stores/session';
import { useSettings } from '../stores/settings';
import { useVaults } from '../stores/vaults';
import { when } from '../time';

/** Auto-lock, clipboard timeout, theme; each vault's relay and sync; your devices; this profile. */
export function SettingsScreen() {
  const { settings, saving, error } = useSettings();
  const profile = useSession((s) => s.profile);
  const vaults = useVaults((s) => s.vaults);
  const [version, setVersion] = useState('');

  useEffect(() => {
    api().app.version().then(setVersion, () => setVersion('unknown'));
  }, []);

  return (
    <section className="screen" aria-labelledby="settings-title">
      <header className="screen__header">
        <h1 id="settings-title">Settings</h1>
      </header>
      {settings ? <Preferences /> : error ? <ErrorNote error={error} /> : <Spinner label="Loading settings…" />}
      {saving ? <p role="status">Saving…</p> : null}
      <section className="card stack" aria-labelledby="relays-title">
        <h2 id="relays-title">Sync</h2>
        {vaults.length === 0 ? <p className="muted">No vaults yet.</p> : null}
        {vaults.map((v) => (
          <RelayRow key={v.id} vault={v} />
        ))}
      </section>
      {profile ? <Devices /> : null}
      {profile ? (
        <section className="card stack" aria-labelledby="profile-title">
          <h2 id="profile-title">This profile</h2>
          <p>{profile.name}</p>
          <Fingerprint value={profile.fingerprint} label="Your fingerprint" />
          <p className="muted small">
            Unlocks with {[profile.unlockMethods.keychain ? 'the system keychain' : '', profile.unlockMethods.passphrase ? 'a passphrase' : ''].filter(Boolean).join(' or ')}. Tessera {version}
          </p>
        </section>
      ) : null}
    </section>
  );
}

function Preferences() {
  const { settings, saving, error, save } = useSettings();
  const [autoLock, setAutoLock] = useState(String(settings!.autoLockMinutes));
  const [clipboard, setClipboard] = useState(settings!.clipboardSeconds === null ? '' : String(settings!.clipboardSeconds));
  const [never, setNever] = useState(settings!.clipboardSeconds === null);
  const [theme, setTheme] = useState<Theme>(settings!.theme);
  const [lockOnSuspend, setLockOnSuspend] = useState(settings!.lockOnSuspend);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const minutes = Number(autoLock);
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440) return setProblem('Auto-lock: a whole number of minutes from 0 (never) to 1440.');
    const seconds = never ? null : Number(clipboard);
    if (seconds !== null && (!Number.isInteger(seconds) || seconds < 5 || seconds > 300)) return setProblem('Clipboard: clear after 5 to 300 seconds, or choose Never.');
    setProblem(null);
    setSaved(await save({ autoLockMinutes: minutes, clipboardSeconds: seconds, theme, lockOnSuspend }));
  }

  return (
    <form className="card stack" onSubmit={submit} noValidate>
      <h2>Security and appearance</h2>
      <label>
        Auto-lock after (minutes idle; 0 = never)
        <input type="number" min={0} max={1440} value={autoLock} onChange={(e) => setAutoLock(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={lockOnSuspend} onChange={(e) => setLockOnSuspend(e.target.checked)} />
        Lock when the computer sleeps or the screen locks
      </label>
      <label>
        Clear copied values after (seconds, 5–300)
        <input type="number" min={5} max={300} value={clipboard} disabled={never} onChange={(e) => setClipboard(e.target.value)} />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={never}
          onChange={(e) => {
            setNever(e.target.checked);
            if (!e.target.checked && clipboard === '') setClipboard('30');
          }}
        />
        Never clear the clipboard automatically
      </label>
      <fieldset>
        <legend>Theme</legend>
        {(['system', 'light', 'dark'] as const).map((t) => (
          <label key={t} className="check">
            <input type="radio" name="theme" checked={theme === t} onChange={() => setTheme(t)} />
            {t === 'system' ? 'Follow the system' : t === 'light' ? 'Light' : 'Dark'}
          </label>
        ))}
      </fieldset>
      <FormErrors problem={problem} error={error} />
      {saved && !saving ? <p role="status">Settings saved.</p> : null}
      <BusyButton type="submit" className="primary" busy={saving} busyLabel="Saving…">
        Save
      </BusyButton>
    </form>
  );
}

function RelayRow({ vault }: { vault: VaultSummary }) {
  const { setRelay, sync, syncing, synced } = useVaults();
  const [url, setUrl] = useState(vault.relay ?? '');
  const [error, setError] = useState<unknown>(null);
  const [savingRelay, setSavingRelay] = useState(false);
  const last = synced[vault.id];

  async function saveRelay(e: React.FormEvent) {
    e.preventDefault();
    setSavingRelay(true);
    const ok = await setRelay(vault.id, url.trim());
    setError(ok ? null : useVaults.getState().actionError);
    setSavingRelay(false);
  }

  async function syncNow() {
    const ok = await sync(vault.id);
    setError(ok ? null : useVaults.getState().actionError);
  }

  return (
    <form className="relay" onSubmit={saveRelay} aria-label={`${vault.name} sync`}>
      <strong>{vault.name}</strong>
      <label>
        Relay URL
        {/* Text, not type=url: several relays of one database are a comma-separated list, tried in turn. */}
        <input type="text" inputMode="url" value={url} placeholder="wss://relay.example.com" onChange={(e) => setUrl(e.target.value)} spellCheck={false} aria-describedby={`${vault.id}-relay-hint`} />
      </label>
      <span id={`${vault.id}-relay-hint`} className="muted small">
        Several relays on one database: separate them with commas; the next is tried when one is down.
      </span>
      <BusyButton type="submit" busy={savingRelay} busyLabel="Saving…" disabled={!url.trim() || url.trim() === vault.relay}>
        Save relay
      </BusyButton>
      <BusyButton type="button" busy={syncing[vault.id] === true} busyLabel="Syncing…" disabled={!vault.relay} onClick={() => void syncNow()}>
        Sync now
      </BusyButton>
      {last ? (
        <p className="muted small" role="status">
          Synced {when(last.at)}: sent {last.sent}, received {last.received}.
        </p>
      ) : null}
      <ErrorNote error={error} />
    </form>
  );
}
