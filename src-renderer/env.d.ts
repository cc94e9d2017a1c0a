// What the preload (src-main/electron/preload.ts) exposes on window. The renderer cannot
// import from src-main, so this is declared here; keep the two in step.

interface TesseraBridge {
  readonly app: {
    /** The app's version string. Rejects if the main process refuses the caller. */
    version(): Promise<string>;
  };
}

interface Window {
  readonly tessera: TesseraBridge;
}

// Stylesheets are bundled by Vite; importing one yields nothing to type.
declare module '*.css';
