/**
 * Shared by the component tests: a fresh fake bridge and fresh stores for each test, and the
 * whole app rendered against them.
 */
import { cleanup, render } from '@testing-library/react';
import { afterEach } from 'vitest';
import { App } from '../App';
import { useBridge } from '../api';
import { useAlerts } from '../stores/alerts';
import { useClipboard } from '../stores/clipboard';
import { useSecrets } from '../stores/secrets';
import { useSession } from '../stores/session';
import { useSettings } from '../stores/settings';
import { useUi } from '../stores/ui';
import { useVaults } from '../stores/vaults';
import { FakeTessera, type FakeOptions } from './fake-bridge';

export function resetStores(): void {
  useSecrets.getState().clear();
  useVaults.getState().reset();
  useClipboard.getState().reset();
  useAlerts.getState().reset();
  useUi.getState().reset();
  useUi.getState().setEnvironment('');
  useSession.setState({ state: 'loading', profile: null, lockReason: null, busy: false, error: null });
  useSettings.setState({ settings: null, saving: false, error: null });
}

/** A fake bridge served to the stores (and a clean slate of stores). */
export function fake(options?: FakeOptions): FakeTessera {
  resetStores();
  const f = new FakeTessera(options);
  useBridge(f.bridge);
  return f;
}

export function renderApp() {
  return render(<App />);
}

afterEach(() => {
  cleanup();
  useBridge(null);
});
