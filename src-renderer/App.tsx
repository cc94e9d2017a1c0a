import { useEffect } from 'react';
import { Spinner } from './components/Busy';
import { ErrorNote } from './components/ErrorNote';
import { Workspace } from './screens/Workspace';
import { Setup } from './screens/Setup';
import { Unlock } from './screens/Unlock';
import { watchActivity } from './activity';
import { connectEvents } from './stores/events';
import { useSession } from './stores/session';
import { useSettings } from './stores/settings';
import { useTheme } from './theme';

/** Setup → unlock → the workspace, following main's session state and events. */
export function App() {
  const state = useSession((s) => s.state);
  const error = useSession((s) => s.error);
  const theme = useSettings((s) => s.settings?.theme ?? 'system');
  useTheme(theme);

  useEffect(() => {
    let disconnect = (): void => undefined;
    try {
      disconnect = connectEvents();
    } catch {
      // No bridge (a plain browser): the status call below reports it.
    }
    void useSession.getState().load();
    return disconnect;
  }, []);

  useEffect(() => (state === 'unlocked' ? watchActivity() : undefined), [state]);

  switch (state) {
    case 'loading':
      return <Spinner label="Starting…" />;
    case 'unavailable':
      return (
        <main className="gate">
          <div className="gate__card">
            <h1>Tessera cannot start</h1>
            <ErrorNote error={error} />
          </div>
        </main>
      );
    case 'no-profile':
      return <Setup />;
    case 'locked':
      return <Unlock />;
    case 'unlocked':
      return <Workspace />;
  }
}
