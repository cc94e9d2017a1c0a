import { useState } from 'react';
import { BusyButton } from '../components/Busy';
import { ErrorNote } from '../components/ErrorNote';
import { useSession } from '../stores/session';

const reasons: Record<string, string> = {
  idle: 'Locked after a while without activity.',
  suspend: 'Locked when the computer went to sleep.',
  'screen-lock': 'Locked when the screen was locked.',
  manual: 'Locked.',
};

/** Unlock with the keychain (one button) or the passphrase. */
export function Unlock() {
  const { profile, busy, error, unlock, lockReason } = useSession();
  const methods = profile?.unlockMethods ?? { keychain: true, passphrase: true };
  const [passphrase, setPassphrase] = useState('');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!passphrase) return;
    if (await unlock('passphrase', passphrase)) setPassphrase('');
  }

  return (
    <main className="gate">
      <div className="gate__card">
        <h1>Unlock Tessera</h1>
        {profile ? <p className="muted">{profile.name}</p> : null}
        {lockReason ? <p className="muted" role="status">{reasons[lockReason] ?? 'Locked.'}</p> : null}
        {methods.keychain ? (
          <BusyButton type="button" className="primary" busy={busy} busyLabel="Unlocking…" onClick={() => void unlock('keychain')} autoFocus>
            Unlock with system keychain
          </BusyButton>
        ) : null}
        {methods.passphrase ? (
          <form onSubmit={submit} className="stack">
            <label>
              Passphrase
              <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="current-password" autoFocus={!methods.keychain} />
            </label>
            <BusyButton type="submit" busy={busy} busyLabel="Unlocking…" disabled={!passphrase}>
              Unlock
            </BusyButton>
          </form>
        ) : null}
        <ErrorNote error={error} />
      </div>
    </main>
  );
}
