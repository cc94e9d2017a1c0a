/**
 * The end-to-end test host: serves the built renderer over http://127.0.0.1 and the same
 * typed API the Electron preload exposes, from the real main-process services (Desktop:
 * real profile and store, the OS keychain, a real relay), over a WebSocket on the same
 * origin. A random token guards the socket; a page gets it through the bridge script the
 * test injects in place of the preload, so nothing else on the machine can drive the host.
 *
 * Only the clipboard is in memory: a headless browser has no system clipboard to watch, and
 * the test needs to see what the ClipboardService put there and when it cleared it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppEvent } from '../../src-shared/api/types';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { MemoryClipboard } from '../../src-main/desktop/clipboard-service';
import { Desktop } from '../../src-main/desktop/desktop';
import { desktopAudit, type DesktopAudit } from '../../src-main/desktop/desktop-audit';
import { dispatch } from '../../src-main/desktop/dispatch';
import { fileUnder } from '../../src-main/electron/app-url';
import type { Keychain } from '../../src-main/keychain/keychain';
import type { Session } from '../../src-main/profile/profile';

const RENDERER = resolve(new URL('../../out/renderer', import.meta.url).pathname);
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

export interface TestHost {
  readonly url: string;
  readonly desktop: Desktop;
  readonly clipboard: MemoryClipboard;
  /** The script that gives a page `window.tessera` (pass to page.addInitScript). */
  readonly bridgeScript: string;
  close(): Promise<void>;
}

let bridgeBundle: Promise<string> | undefined;
/** test/e2e/bridge.ts bundled for the browser, once per run. */
function bundleBridge(): Promise<string> {
  bridgeBundle ??= build({
    entryPoints: [new URL('./bridge.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'warning',
  }).then((r) => r.outputFiles[0]!.text);
  return bridgeBundle;
}

export async function startHost(opts: { home: string; keychain: Keychain; auditFor?: (s: Session) => Promise<DesktopAudit> }): Promise<TestHost> {
  const clipboard = new MemoryClipboard();
  const desktop = new Desktop({ home: opts.home, suite: nodeSuite, keychain: opts.keychain, clipboard, appVersion: 'e2e', auditFor: opts.auditFor ?? desktopAudit });
  await desktop.start();
  const token = randomBytes(24).toString('base64url');

  const server: Server = createServer((req, res) => {
    void (async () => {
      const file = fileUnder(RENDERER, new URL(req.url ?? '/', 'http://x').pathname);
      if (!file) return void res.writeHead(404).end();
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const wss = new WebSocketServer({
    server,
    path: '/api',
    maxPayload: 8 * 1024 * 1024,
    verifyClient: ({ origin: from, req }: { origin: string; req: IncomingMessage }) => {
      const given = Buffer.from(new URL(req.url ?? '', origin).searchParams.get('token') ?? '');
      const ok = given.length === token.length && timingSafeEqual(given, Buffer.from(token));
      return ok && from === origin;
    },
  });
  const sockets = new Set<WebSocket>();
  const unsubscribe = desktop.onEvent((event: AppEvent) => {
    for (const ws of sockets) ws.send(JSON.stringify({ event }));
  });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      void (async () => {
        let msg: { id?: unknown; method?: unknown; payload?: unknown };
        try {
          msg = JSON.parse(String(data));
        } catch {
          return ws.close(1003, 'not JSON');
        }
        const reply = await dispatch(desktop, msg.method, msg.payload, (e) => console.error('host: internal error', e));
        ws.send(JSON.stringify({ id: msg.id, reply }));
      })();
    });
  });

  const bridge = (await bundleBridge()).replace('__TESSERA_API_URL__', `ws://127.0.0.1:${port}/api?token=${token}`);
  return {
    url: `${origin}/`,
    desktop,
    clipboard,
    bridgeScript: bridge,
    close: async () => {
      unsubscribe();
      await desktop.lock('quit');
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const rendererBuilt = (): Promise<boolean> => readFile(join(RENDERER, 'index.html')).then(() => true, () => false);
