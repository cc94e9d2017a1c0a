/**
 * Main's pushed events, routed to the stores. A `locked` event drops every piece of vault
 * state the renderer holds (revealed values first) before the unlock screen shows.
 */
import type { AppEvent, LockReason } from '../../src-shared/api/types';
import { api } from '../api';
import { useAlerts } from './alerts';
import { useClipboard } from './clipboard';
import { useSecrets } from './secrets';
import { useSession } from './session';
import { useUi } from './ui';
import { useVaults } from './vaults';

/** Forget all vault data in the renderer. */
export function forgetEverything(reason: LockReason): void {
  useSecrets.getState().clear();
  useVaults.getState().reset();
  useClipboard.getState().reset();
  useAlerts.getState().reset();
  useUi.getState().reset();
  useSession.getState().locked(reason);
}

/** The user locks (button, Ctrl/Cmd+L, palette). */
export async function lockNow(): Promise<void> {
  try {
    await api().session.lock();
  } catch {
    // Nothing to show: the unlock screen follows either way, and main locks on its own timers.
  }
  // Main also sends a `locked` event. Forgetting here too covers a transport that does not
  // echo it, and a lock call that failed: dropping the page's state is always safe.
  if (useSession.getState().state === 'unlocked') forgetEverything('manual');
}

export function handleEvent(event: AppEvent): void {
  switch (event.type) {
    case 'locked':
      forgetEverything(event.reason);
      break;
    case 'unlocked':
      if (useSession.getState().state !== 'unlocked') void useSession.getState().load();
      break;
    case 'clipboard':
      useClipboard.getState().update(event.status);
      break;
    case 'vault-changed': {
      void useVaults.getState().load();
      const secrets = useSecrets.getState();
      // Main may name the vault by id or by name.
      const open = useVaults.getState().vaults.find((v) => v.id === secrets.vault);
      if (secrets.vault && (secrets.vault === event.vault || open?.name === event.vault)) void secrets.load(secrets.vault);
      break;
    }
    case 'alert':
      useAlerts.getState().add(event.alert);
      break;
    case 'progress':
      useUi.getState().report(event.task, event.done, event.total);
      break;
  }
}

/** Subscribes the stores to main's events; returns the unsubscribe function. */
export function connectEvents(): () => void {
  return api().events.on(handleEvent);
}
