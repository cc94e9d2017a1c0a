// Sandboxed preload: the renderer's only door to the main process. It hands the page one
// small typed object and never ipcRenderer itself, so a compromised page can reach only
// these calls. Bundled to CommonJS (see electron.config.ts).
import { contextBridge, ipcRenderer } from 'electron';

// The shape the renderer sees; keep it in step with src-renderer/env.d.ts.
const tessera = {
  app: {
    /** The app's version string. Rejects if the main process refuses the caller. */
    version: (): Promise<string> => ipcRenderer.invoke('app:version') as Promise<string>,
  },
} as const;

contextBridge.exposeInMainWorld('tessera', tessera);
