// Electron entry: a thin, hardened shell around the desktop services (src-main/desktop),
// which hold all the logic and are tested without Electron. This file wires them to the
// window, IPC, the system clipboard, power events, the menu and notifications.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, net, Notification, powerMonitor, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import type { AppEvent } from '../../src-shared/api/types';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { safeExternalUrl } from '../desktop/app-api';
import { CHANNELS } from '../../src-shared/api/methods';
import { Desktop } from '../desktop/desktop';
import { desktopAudit } from '../desktop/desktop-audit';
import { dispatch } from '../desktop/dispatch';
import { createOsKeychain } from '../keychain/os-keychain';
import { defaultProfileHome } from '../profile/paths';
import { APP_ORIGIN, APP_SCHEME, assetPath, isAppPage } from './app-url';
import { electronClipboard } from './electron-clipboard';

const rendererRoot = join(import.meta.dirname, '../renderer');
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

/** True only for the top frame of our own page: app://tessera/, or the dev server. */
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
  return isAppPage(url.href);
}

// app://tessera/ is standard (relative URLs, an origin) and secure (like https), and
// nothing else: no fetch from other origins, no service workers.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

/** Serves the built renderer, and only files inside its folder. */
function serveAppScheme(): void {
  protocol.handle(APP_SCHEME, (request) => {
    const file = assetPath(rendererRoot, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });
}

const desktop = new Desktop({
  home: defaultProfileHome(process.env),
  suite: nodeSuite,
  keychain: createOsKeychain(),
  clipboard: electronClipboard(),
  auditFor: desktopAudit,
  appVersion: app.getVersion(),
  // electronegativity: OPEN_EXTERNAL_JS_CHECK: Desktop passes only URLs that safeExternalUrl
  // parsed as http(s) without credentials (src-main/desktop/desktop.ts, tested).
  openExternal: (url) => shell.openExternal(url.href),
});

desktop.onEvent((event) => {
  if (event.type === 'alert' && Notification.isSupported()) {
    new Notification({ title: 'Tessera', body: event.alert.message }).show();
  }
});

function serveApi(): void {
  ipcMain.handle(CHANNELS.invoke, (event, method: unknown, payload: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not use Tessera' } };
    // Unexpected failures are logged by kind only: their messages could quote data.
    return dispatch(desktop, method, payload, (e) => console.error('Tessera: internal error in', method, (e as Error)?.name));
  });
}

function lockNow(): void {
  void desktop.lock('manual');
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      { label: 'File', submenu: [{ label: 'Lock', accelerator: 'CmdOrCtrl+L', click: lockNow }, { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' }] },
      { role: 'editMenu' },
      { role: 'windowMenu' },
    ]),
  );
}

function watchPower(): void {
  powerMonitor.on('suspend', () => {
    if (desktop.settings().lockOnSuspend) void desktop.lock('suspend');
  });
  powerMonitor.on('lock-screen', () => void desktop.lock('screen-lock'));
}

let quitting = false;
// Quitting locks first: the clipboard is cleared if it still holds a copied value, and the
// keys are wiped. before-quit cannot wait for a promise, so quit again once done.
app.on('before-quit', (event) => {
  if (quitting || !desktop.isUnlocked) return;
  event.preventDefault();
  quitting = true;
  desktop.lock('quit').finally(() => app.quit());
});

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1024,
    height: 720,
    show: false,
    title: 'Tessera',
    webPreferences: {
      // electronegativity: PRELOAD_JS_CHECK: the sandboxed preload exposes only the typed API
      // (no ipcRenderer, no Node), and main validates every call and its sender.
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // Middle-click would otherwise open links in a new window, bypassing will-navigate.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  const forward = (event: AppEvent) => {
    if (!win.isDestroyed()) win.webContents.send(CHANNELS.event, event);
  };
  const unsubscribe = desktop.onEvent(forward);
  win.on('closed', unsubscribe);
  const loaded = devOrigin !== null ? win.loadURL(devOrigin) : win.loadURL(`${APP_ORIGIN}/index.html`);
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
    // A link meant for a new window opens in the system browser if it is a plain http(s)
    // URL (checked with the URL parser); the app itself never opens a second window.
    contents.setWindowOpenHandler(({ url }) => {
      try {
        // electronegativity: OPEN_EXTERNAL_JS_CHECK: only what safeExternalUrl accepts (http(s), no credentials).
        void shell.openExternal(safeExternalUrl(url).href);
      } catch {
        // Not a web link: ignored.
      }
      return { action: 'deny' };
    });
  });

  app.on('window-all-closed', () => app.quit());

  app
    .whenReady()
    .then(() => {
      // A secrets vault needs no camera, notifications, geolocation or the like. The one
      // exception: the app's own page may write plain text to the clipboard (an invite code);
      // secret values never go that way, main copies them itself (ClipboardService).
      const allowed = (permission: string, url: string) => permission === 'clipboard-sanitized-write' && (isAppPage(url) || (devOrigin !== null && url.startsWith(devOrigin)));
      session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) => callback(allowed(permission, details.requestingUrl)));
      session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) => allowed(permission, requestingOrigin));
      serveAppScheme();
      serveApi();
      buildMenu();
      watchPower();
      return desktop.start().then(() => createWindow());
    })
    .then(() => {
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((error: unknown) => {
      console.error('Tessera failed to start:', error);
      app.exit(1);
    });
}
