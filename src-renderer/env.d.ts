// What the preload (src-main/electron/preload.ts) exposes on window: the typed API of
// src-shared/api, one object per domain, plus pushed events. (A script, not a module, so
// the declarations below stay global.)

interface Window {
  readonly tessera: import('../src-shared/api/transport').TesseraBridge;
}

// Stylesheets are bundled by Vite; importing one yields nothing to type.
declare module '*.css';
