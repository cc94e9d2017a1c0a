// electron-vite config for the desktop app: `electron-vite build -c electron.config.ts`.
// Emits out/main/index.js (ESM, matching package.json "main"), out/preload/index.cjs and
// out/renderer/index.html.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const at = (path: string): string => resolve(root, path);

// Native addons cannot be bundled; they are loaded from node_modules at run time.
// keytar is an optional dependency and better-sqlite3 is not a dependency yet, so the
// automatic externalization (which reads package.json "dependencies") would miss them.
const nativeModules = ['keytar', 'sodium-native', 'better-sqlite3'];

/**
 * The page's CSP allows no inline script or style, but the dev server injects both (React
 * Fast Refresh preamble, CSS via <style>). In dev only, give them a per-run nonce and add it
 * to the CSP; the built page keeps the strict policy untouched.
 */
function devCspNonce(): Plugin {
  const nonce = randomBytes(18).toString('base64');
  return {
    name: 'tessera:dev-csp-nonce',
    apply: 'serve',
    config: () => ({ html: { cspNonce: nonce } }),
    transformIndexHtml: (html) =>
      html.replace(/\b(script-src|style-src) 'self'/g, `$1 'self' 'nonce-${nonce}'`),
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      externalizeDeps: { include: nativeModules },
      rolldownOptions: {
        input: { index: at('src-main/electron/main.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      // A sandboxed preload runs without Node's module loader: it can require only
      // `electron` and a few polyfilled built-ins, never node_modules or an ES module.
      // So everything else is bundled in, and the file is CommonJS with a .cjs name
      // because package.json says "type": "module".
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: at('src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('src-renderer'),
    plugins: [react(), devCspNonce()],
    build: {
      outDir: at('out/renderer'),
      rolldownOptions: {
        input: { index: at('src-renderer/index.html') },
      },
    },
  },
});
