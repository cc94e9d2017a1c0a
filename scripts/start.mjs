// `npm start`: build the desktop app, then open it in Electron. Arguments after `--` go
// to Electron (e.g. `npm start -- --no-sandbox` when running as root in a container).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const electronDir = dirname(require.resolve('electron/package.json'));

// What installs the binary of Electron 45, whose package has no install script (so
// `npm rebuild electron` fetches nothing): its `install-electron` bin, which is install.js.
const INSTALL = '`npx install-electron` where the network allows (ELECTRON_MIRROR names a mirror), then `npm start` again';
// `npx tessera --help` would show npx's own help: npx reads --help and --version itself.
const CLI = 'the tessera CLI works without it (`npx tessera help`)';

/**
 * The Electron executable, or null when it is not there. This is what electron's index.js
 * computes, without its side effect: requiring the package downloads a missing binary and
 * lets the downloader print a stack trace when that fails.
 */
function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist');
  const path = join(dist, relative);
  return existsSync(path) ? path : null;
}

const skipDownload = (v) => Boolean(v) && !/^(0|false|no)$/i.test(v);

/** Runs Electron's own installer quietly; null when it worked, else its one-line reason. */
function download() {
  const notice = process.stderr.isTTY ? 'Tessera: downloading the Electron binary…' : '';
  if (notice) process.stderr.write(notice);
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, encoding: 'utf8', env: { ...process.env, ELECTRON_GET_NO_PROGRESS: '1' } });
  if (notice) process.stderr.write('\r\x1b[2K');
  if (r.status === 0 && electronBinary()) return null;
  // The installer prints the error's stack: its first line is the reason.
  const first = `${r.stderr ?? ''}\n${r.error?.message ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at '));
  return (first ?? `exit status ${r.status}`).slice(0, 200);
}

function fail(line) {
  console.error(line);
  process.exit(1);
}

let electron = electronBinary();
if (electron === null) {
  if (skipDownload(process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)) {
    fail(`Tessera: the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set). Install it with ${INSTALL}; ${CLI}.`);
  }
  const reason = download();
  electron = electronBinary();
  if (reason !== null || electron === null) {
    fail(`Tessera: the Electron binary is not installed and could not be downloaded (${reason}). Install it with ${INSTALL}; ${CLI}.`);
  }
}

// Chromium's sandbox refuses root; say so before a build that would end in its crash report.
if (process.getuid?.() === 0 && !process.argv.includes('--no-sandbox')) {
  fail('Tessera: Electron does not run as root with its sandbox: run `npm start` as a normal user (or, in a throwaway container, `npm start -- --no-sandbox`).');
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
