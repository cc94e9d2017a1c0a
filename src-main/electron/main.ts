// Electron entry: a hardened shell around the renderer. Placeholder until the real UI;
// the services it will wire up live in src-main/ and are tested without Electron.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent } from 'electron';

const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const preloadScript = join(import.meta.dirname, '../preload/index.cjs');

/**
 * The electron-vite dev server, if `electron-vite dev` started us. A packaged app never
 * loads from a server, and only a loopback http URL is taken, so a stray environment
 * variable cannot point the window (and its IPC trust) at a remote page.
 */
function devServerOrigin(): string | null {
  const raw = process.env['ELECTRON_RENDERER_URL'];
  if (app.isPackaged || !raw) return null;
  try {
    const url = new URL(raw);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.protocol === 'http:' && loopback ? url.origin : null;
  } catch {
    return null;
  }
}

const devOrigin = devServerOrigin();

/** True only for the top frame of our own page: the file we ship, or the dev server. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  if (devOrigin !== null) return url.origin === devOrigin;
  if (url.protocol !== 'file:' || url.host !== '') return false;
  // Compare decoded paths: Chromium and Node percent-encode file URLs differently.
  return resolve(fileURLToPath(url)) === resolve(rendererIndex);
}

function handle(channel: string, reply: () => unknown): void {
  ipcMain.handle(channel, (event) => {
    if (!isTrustedSender(event)) throw new Error('FORBIDDEN_SENDER');
    return reply();
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1024,
    height: 720,
    show: false,
    title: 'Tessera',
    webPreferences: {
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  const loaded = devOrigin !== null ? win.loadURL(devOrigin) : win.loadFile(rendererIndex);
  loaded.catch((error: unknown) => {
    console.error('Tessera could not load its window:', error);
    app.quit();
  });
  return win;
}

// Forces the sandbox on every renderer, including any a future change forgets to flag.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Two instances would race on the same vault files and keychain entries.
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  // The app shows only its own bundled page: no navigation, no pop-ups, no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  app.on('window-all-closed', () => app.quit());

  app
    .whenReady()
    .then(() => {
      // A secrets vault needs no camera, notifications, geolocation or the like.
      session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
        callback(false),
      );
      session.defaultSession.setPermissionCheckHandler(() => false);
      handle('app:version', () => app.getVersion());
      createWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((error: unknown) => {
      console.error('Tessera failed to start:', error);
      app.exit(1);
    });
}
