import { useEffect } from 'react';
import { ClipboardBar } from '../components/ClipboardBar';
import { ProgressBar } from '../components/ProgressBar';
import { useClipboard } from '../stores/clipboard';
import { useAlerts } from '../stores/alerts';
import { lockNow } from '../stores/events';
import { useSecrets } from '../stores/secrets';
import { useSettings } from '../stores/settings';
import { useUi } from '../stores/ui';
import { selectedVault, useVaults } from '../stores/vaults';
import { api } from '../api';
import { Activity } from './Activity';
import { CommandPalette } from './CommandPalette';
import { Dialogs } from './Dialogs';
import { Health } from './Health';
import { Members } from './Members';
import { Secrets } from './Secrets';
import { SettingsScreen } from './Settings';
import { Sidebar } from './Sidebar';

/** Whether a Ctrl/Cmd+C belongs to a text field (the user copying text they selected). */
function textIsSelected(): boolean {
  const el = document.activeElement;
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) return el.selectionStart !== el.selectionEnd;
  return (window.getSelection()?.toString() ?? '') !== '';
}

/** The unlocked app: sidebar, the current screen, dialogs, palette and global shortcuts. */
export function Workspace() {
  const screen = useUi((s) => s.screen);
  const vault = useVaults(selectedVault);

  useEffect(() => {
    void useVaults.getState().load();
    void useSettings.getState().load();
    void useAlerts.getState().load();
    api()
      .clipboard.status()
      .then((status) => useClipboard.getState().update(status))
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    if (vault) void useSecrets.getState().load(vault.id);
  }, [vault?.id]);

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent) {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod || e.altKey) return;
      const k = e.key.toLowerCase();
      if (k === 'k') {
        e.preventDefault();
        useUi.getState().setPalette(!useUi.getState().paletteOpen);
      } else if (k === 'l') {
        e.preventDefault();
        void lockNow();
      } else if (k === 'c' && !e.shiftKey && useUi.getState().screen === 'secrets' && !useUi.getState().dialog && !textIsSelected()) {
        const { vault: v, selected, detail } = useSecrets.getState();
        if (!v || !selected) return;
        const chosen = useUi.getState().environment;
        const values = detail?.values.filter((x) => x.readable && x.current) ?? [];
        const environment = values.some((x) => x.environment === chosen) ? chosen : values[0]?.environment;
        if (!environment) return;
        e.preventDefault();
        void useClipboard.getState().copy(v, selected, environment);
      }
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <div className="workspace">
      <Sidebar />
      <div className="workspace__main">
        {screen === 'secrets' ? <Secrets /> : null}
        {screen === 'members' ? <Members /> : null}
        {screen === 'activity' ? <Activity /> : null}
        {screen === 'health' ? <Health /> : null}
        {screen === 'settings' ? <SettingsScreen /> : null}
        <footer className="statusbar">
          <ProgressBar />
          <ClipboardBar />
        </footer>
      </div>
      <Dialogs />
      <CommandPalette />
    </div>
  );
}
