// Sandboxed preload: the renderer's only door to the main process. It hands the page one
// typed object per API domain (src-shared/api) and never ipcRenderer itself, so a
// compromised page can reach only these calls, which main validates again. Bundled to
// CommonJS (see electron.config.ts).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { bridgeErrorMessage, createApiClient, type Reply } from '../../src-shared/api/transport';
import type { AppEvent } from '../../src-shared/api/types';
import { CHANNELS } from '../../src-shared/api/methods';

const tessera = createApiClient(
  async (method, payload) => {
    const reply = (await ipcRenderer.invoke(CHANNELS.invoke, method, payload)) as Reply;
    // Only an Error's message survives the context bridge: fold the code into it
    // (the renderer's api module unfolds it with toApiError).
    if (!reply.ok) throw new Error(bridgeErrorMessage(reply.error.code, reply.error.message));
    return reply;
  },
  (listener) => {
    const forward = (_e: IpcRendererEvent, event: AppEvent) => listener(event);
    ipcRenderer.on(CHANNELS.event, forward);
    return () => void ipcRenderer.removeListener(CHANNELS.event, forward);
  },
);

contextBridge.exposeInMainWorld('tessera', tessera);
