import { useEffect, useState } from 'react';
import { BusyButton } from '../components/Busy';
import { FormErrors } from '../components/ErrorNote';
import { errorCode } from '../errors';
import { useSession } from '../stores/session';

/** First run: a name, and how this device unlocks (keychain, passphrase, or both). */
export function Setup() {
  const { busy, error, setup } = useSession();
  const [name, setName] = useState('');
  const [useKeychain, setUseKeychain] = useState(true);
  const [usePassphrase, setUsePassphrase] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  // No keychain on this machine: offer the passphrase straight away.
  useEffect(() => {
    if (errorCode(error) === 'KEYCHAIN_UNAVAILABLE') {
      setUseKeychain(false);
      setUsePassphrase(true);
    }
  }, [error]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setProblem('Enter your name: teammates see it next to your changes.');
    if (name.trim().length > 128) return setProblem('Use a name of at most 128 characters.');
    if (!useKeychain && !usePassphrase) return setProblem('Choose at least one way to unlock: the system keychain or a passphrase.');
    if (usePassphrase && passphrase.length < 8) return setProblem('Use a passphrase of at least 8 characters (a few random words is best).');
    if (usePassphrase && passphrase !== confirm) return setProblem('The two passphrases differ. Type the same passphrase in both fields.');
    setProblem(null);
    await setup({ name: name.trim(), useKeychain, ...(usePassphrase ? { passphrase } : {}) });
  }

  return (
    <main className="gate">
      <form className="gate__card" onSubmit={submit} noValidate>
        <h1>Welcome to Tessera</h1>
        <p className="muted">Your keys are made on this device and never leave it unencrypted.</p>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" autoFocus />
        </label>
        <fieldset>
          <legend>Unlock with</legend>
          <label className="check">
            <input type="checkbox" checked={useKeychain} onChange={(e) => setUseKeychain(e.target.checked)} />
            System keychain
          </label>
          <label className="check">
            <input type="checkbox" checked={usePassphrase} onChange={(e) => setUsePassphrase(e.target.checked)} />
            Passphrase (also for recovery, and machines without a keychain)
          </label>
        </fieldset>
        {usePassphrase ? (
          <>
            <label>
              Passphrase
              <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="new-password" />
            </label>
            <label>
              Confirm passphrase
              <input type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="new-password" />
            </label>
          </>
        ) : null}
        <FormErrors problem={problem} error={error} />
        <BusyButton type="submit" className="primary" busy={busy} busyLabel="Creating profile…">
          Create profile
        </BusyButton>
      </form>
    </main>
  );
}
