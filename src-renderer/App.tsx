import { useEffect, useState } from 'react';

/** Placeholder page until the real UI: proves the renderer, preload and IPC are wired. */
export function App() {
  const [version, setVersion] = useState<string | null>(null);

  useEffect(() => {
    let mounted = true;
    // Through a promise so that a page opened without the preload (a plain browser)
    // shows "unknown" instead of crashing.
    Promise.resolve()
      .then(() => window.tessera.app.version())
      .then(
        (value) => mounted && setVersion(value),
        () => mounted && setVersion('unknown'),
      );
    return () => {
      mounted = false;
    };
  }, []);

  return (
    <main className="placeholder">
      <h1 className="placeholder__title">Tessera</h1>
      <p className="placeholder__version">
        {version === null ? 'Loading…' : `Version ${version}`}
      </p>
    </main>
  );
}
