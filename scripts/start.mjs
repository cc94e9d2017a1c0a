// `npm start`: build the desktop app, then open it in Electron. Arguments after `--` go
// to Electron (e.g. `npm start -- --no-sandbox` when running as root in a container).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The Electron executable, or null when npm skipped its download (no network, or
 *  ELECTRON_SKIP_BINARY_DOWNLOAD): the package then installs, but without the binary. */
function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const electron = electronBinary();
if (electron === null) {
  // `npx electron install` is no help here: Electron's CLI needs the binary to start.
  console.error(
    'Tessera: the Electron binary is not installed; with network access and ELECTRON_SKIP_BINARY_DOWNLOAD unset, run `npm rebuild electron` (or re-run `npm install`), then `npm start` again.',
  );
  process.exit(1);
}

const electronVite = join(dirname(require.resolve('electron-vite/package.json')), 'bin/electron-vite.js');
const build = spawnSync(process.execPath, [electronVite, 'build', '-c', 'electron.config.ts'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const app = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (app.exitCode === null && app.signalCode === null) app.kill(signal);
  });
}
// A signal death has no exit code; report it as a failure, not a clean exit.
app.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
