import { useMemo, useState } from 'react';
import { Modal } from '../components/Modal';
import { filterSecrets, indexSecrets } from '../secrets/filter';
import { lockNow } from '../stores/events';
import { useSecrets } from '../stores/secrets';
import { useUi, type Screen } from '../stores/ui';
import { useVaults } from '../stores/vaults';

interface Command {
  readonly id: string;
  readonly label: string;
  readonly run: () => void;
}

const MAX_SHOWN = 50;

/** Ctrl/Cmd+K: jump to a secret, a screen, a vault, or run an action, by typing. */
export function CommandPalette() {
  const { paletteOpen, setPalette, go, open } = useUi();
  if (!paletteOpen) return null;
  return <Palette close={() => setPalette(false)} go={go} open={open} />;
}

function Palette({ close, go, open }: { close: () => void; go: (s: Screen) => void; open: ReturnType<typeof useUi.getState>['open'] }) {
  const list = useSecrets((s) => s.list);
  const vaults = useVaults((s) => s.vaults);
  const selectedId = useVaults((s) => s.selectedId);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const index = useMemo(() => indexSecrets(list), [list]);

  const commands = useMemo<Command[]>(() => {
    const q = query.toLowerCase().trim();
    const actions: Command[] = [
      { id: 'add', label: 'Add secret', run: () => (go('secrets'), open({ kind: 'add' })) },
      { id: 'import', label: 'Import a file', run: () => (go('secrets'), open({ kind: 'import' })) },
      { id: 'create-vault', label: 'Create vault', run: () => open({ kind: 'create-vault' }) },
      { id: 'join', label: 'Join vault with an invite code', run: () => open({ kind: 'join' }) },
      ...(['secrets', 'members', 'activity', 'health', 'settings'] as const).map((s) => ({ id: `go-${s}`, label: `Go to ${s[0]!.toUpperCase()}${s.slice(1)}`, run: () => go(s) })),
      ...(selectedId ? [{ id: 'sync', label: 'Sync this vault', run: () => void useVaults.getState().sync(selectedId) }] : []),
      { id: 'lock', label: 'Lock', run: () => void lockNow() },
      ...vaults.map((v) => ({ id: `vault-${v.id}`, label: `Open vault ${v.name}`, run: () => (useVaults.getState().select(v.id), go('secrets')) })),
    ].filter((c) => !q || c.label.toLowerCase().includes(q));
    const secrets = q
      ? filterSecrets(index, { query: q, environment: '', tag: '', status: 'all' })
          .slice(0, MAX_SHOWN)
          .map((s) => ({ id: `secret-${s.id}`, label: `Secret ${s.name}`, run: () => (go('secrets'), void useSecrets.getState().select(s.name)) }))
      : [];
    return [...secrets, ...actions].slice(0, MAX_SHOWN);
  }, [query, index, vaults, selectedId, go, open]);

  function run(c: Command | undefined) {
    if (!c) return;
    close();
    c.run();
  }

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = commands.length;
      if (n) setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      run(commands[active]);
    }
  }

  const current = Math.min(active, commands.length - 1);
  return (
    <Modal title="Command palette" onClose={close}>
      <input
        type="text"
        role="combobox"
        aria-label="Command"
        aria-expanded="true"
        aria-controls="palette-list"
        aria-activedescendant={current >= 0 ? `palette-${current}` : undefined}
        placeholder="Type a secret name or a command…"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
      />
      <ul id="palette-list" role="listbox" aria-label="Commands" className="palette__list">
        {commands.map((c, i) => (
          <li key={c.id} id={`palette-${i}`} role="option" aria-selected={i === current} className="palette__item" onClick={() => run(c)}>
            {c.label}
          </li>
        ))}
      </ul>
      {commands.length === 0 ? <p className="muted">Nothing matches.</p> : null}
    </Modal>
  );
}
