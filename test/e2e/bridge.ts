// Injected into the page before its scripts, in place of the Electron preload: the same
// `window.tessera` (createApiClient over the shared method list), over the test host's
// WebSocket instead of IPC. The host fills in the URL (with its token) when serving this.
import { createApiClient, type Reply } from '../../src-shared/api/transport';
import type { AppEvent } from '../../src-shared/api/types';

const url = '__TESSERA_API_URL__';
const socket = new WebSocket(url);
const open = new Promise<void>((resolve, reject) => {
  socket.addEventListener('open', () => resolve(), { once: true });
  socket.addEventListener('error', () => reject(new Error('test host unreachable')), { once: true });
});
const pending = new Map<number, (reply: Reply) => void>();
const listeners = new Set<(e: AppEvent) => void>();
let nextId = 1;

socket.addEventListener('message', (m) => {
  const msg = JSON.parse(String(m.data)) as { id?: number; reply?: Reply; event?: AppEvent };
  if (msg.event) for (const l of listeners) l(msg.event);
  else if (msg.id !== undefined && msg.reply) pending.get(msg.id)?.(msg.reply), pending.delete(msg.id);
});

Object.defineProperty(window, 'tessera', {
  value: createApiClient(
    async (method, payload) => {
      await open;
      const id = nextId++;
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, payload }));
      });
    },
    (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  ),
});
