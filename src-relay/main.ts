/**
 * Running the relay as a service: an HTTP server (GET /healthz, WebSocket upgrades on any
 * other path), the relay, a SQLite file, and a graceful stop on SIGTERM/SIGINT. Used by
 * `tessera relay` (src-cli/commands/relay.ts) and by the standalone bundle (bin.ts).
 *
 * It speaks plain ws:// on loopback by default. Listening beyond loopback (--host 0.0.0.0) is
 * meant for behind a TLS-terminating reverse proxy; clients accept wss:// URLs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { TesseraError, isTesseraError } from '../src-shared/errors';
import { RELAY_DEFAULTS, RELAY_FLAG_HELP, relayOptionsFromFlags, type RelayFlags, type StartRelayOptions } from './options';
import { createRelay, type Relay } from './relay';
import { openSqliteStorage } from './sqlite-storage';
import { isPostgresUrl, openPgStorage } from './pg-storage';
import type { RelayStorage } from './storage';

export { RELAY_DEFAULTS, relayOptionsFromFlags, type RelayFlags, type StartRelayOptions } from './options';

export interface RunningRelay {
  readonly host: string;
  readonly port: number;
  /** ws://host:port */
  readonly url: string;
  readonly db: string;
  readonly server: Server;
  readonly relay: Relay;
  readonly storage: RelayStorage;
  /** Graceful stop: no new sockets, requests in flight finish, sockets get 1001, the DB closes. */
  close(): Promise<void>;
}

const stdoutLine = (line: string) => process.stdout.write(`${line}\n`);
const stderrLine = (line: string) => process.stderr.write(`${line}\n`);

/** GET /healthz (whether the database answers, for a load balancer) and GET /metrics (Prometheus). */
function endpoints(server: Server, relay: Relay, storage: RelayStorage): void {
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"error":"not found"}');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"ok":false,"error":"method not allowed"}');
      return;
    }
    if (path === '/metrics') {
      relay.metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': relay.metrics.contentType, 'cache-control': 'no-store' }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    storage.counts().then(
      ({ vaults }) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ ok: true, vaults, connections: relay.stats().connections }));
      },
      () => {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false}');
      },
    );
  });
}

/** The database as logs may show it: a PostgreSQL URL without its password. */
export function shownDb(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Opens the database, starts listening and prints `tessera relay listening on ws://HOST:PORT (db: …)`. */
export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const host = options.host ?? RELAY_DEFAULTS.host;
  const db = options.db ?? RELAY_DEFAULTS.db;
  let storage: RelayStorage;
  try {
    storage = isPostgresUrl(db) ? await openPgStorage(db, { cachedVaults: options.cachedVaults }) : openSqliteStorage(db, { cachedVaults: options.cachedVaults });
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new TesseraError('IO', `Cannot open the relay database ${shownDb(db)}: ${(e as Error).message}`);
  }
  const relay = createRelay({ storage, limits: options.limits, log: options.log ?? stderrLine, trustProxy: options.trustProxy ?? false });
  const server = createServer();
  endpoints(server, relay, storage);
  relay.attach(server);
  try {
    await relay.ready;
  } catch (e) {
    await relay.close();
    await storage.close();
    throw new TesseraError('IO', `Cannot listen for other relay processes on ${shownDb(db)}: ${(e as Error).message}`);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? RELAY_DEFAULTS.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await relay.close();
    await storage.close();
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new TesseraError('IO', `Cannot listen on ${host}:${options.port ?? RELAY_DEFAULTS.port} (${code})`);
  }
  server.on('error', (e) => (options.log ?? stderrLine)(`relay: server error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  const port = (server.address() as AddressInfo).port;
  const url = `ws://${urlHost(host)}:${port}`;
  (options.out ?? stdoutLine)(`tessera relay listening on ${url} (db: ${shownDb(db)})`);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    await relay.close();
    server.closeAllConnections();
    await serverClosed;
    await storage.close();
  };
  return { host, port, url, db, server, relay, storage, close: () => (closing ??= close()) };
}

/** Starts the relay and resolves once a SIGTERM or SIGINT has shut it down gracefully. */
export async function serveRelayUntilSignal(options: StartRelayOptions = {}): Promise<void> {
  const running = await startRelay(options);
  const log = options.log ?? stderrLine;
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      // A second signal during the (bounded) shutdown is ignored rather than killing writes.
      process.on('SIGTERM', ignore);
      process.on('SIGINT', ignore);
      log(`relay: ${signal}: shutting down`);
      running.close().then(resolve, (e) => {
        log(`relay: shutdown error ${(e as Error).message}`);
        resolve();
      });
    };
    const ignore = () => undefined;
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

const USAGE = `Usage: tessera-relay [--host 127.0.0.1] [--port 8787] [--db ./tessera-relay.db | --db postgres://USER@HOST/DB (or TESSERA_RELAY_DB)] [--max-frame-bytes N] [--max-connections N]
  [--messages-per-second N] [--message-burst N] [--max-vault-bytes N] [--max-key-bytes N] [--max-vaults-per-key N]
  [--registrations-per-hour N] [--cached-vaults N] [--trust-proxy]
--host 0.0.0.0 listens beyond loopback: put a TLS-terminating reverse proxy in front (clients accept wss:// URLs).
  --max-vault-bytes N         ${RELAY_FLAG_HELP.maxVaultBytes}
  --max-key-bytes N           ${RELAY_FLAG_HELP.maxKeyBytes}
  --max-vaults-per-key N      ${RELAY_FLAG_HELP.maxVaultsPerKey}
  --registrations-per-hour N  ${RELAY_FLAG_HELP.registrationsPerHour}
  --cached-vaults N           ${RELAY_FLAG_HELP.cachedVaults}
  --trust-proxy               ${RELAY_FLAG_HELP.trustProxy}
GET /healthz says whether the database answers; GET /metrics is in the Prometheus text format.
`;

/** The standalone entry point: parses argv, serves until a signal. Resolves with the exit code. */
export async function runRelayCli(argv: readonly string[]): Promise<number> {
  let flags: RelayFlags & { help?: boolean };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        'max-frame-bytes': { type: 'string' },
        'max-connections': { type: 'string' },
        'messages-per-second': { type: 'string' },
        'message-burst': { type: 'string' },
        'max-vault-bytes': { type: 'string' },
        'max-key-bytes': { type: 'string' },
        'max-vaults-per-key': { type: 'string' },
        'registrations-per-hour': { type: 'string' },
        'cached-vaults': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    flags = {
      ...values,
      maxFrameBytes: values['max-frame-bytes'],
      maxConnections: values['max-connections'],
      messagesPerSecond: values['messages-per-second'],
      messageBurst: values['message-burst'],
      maxVaultBytes: values['max-vault-bytes'],
      maxKeyBytes: values['max-key-bytes'],
      maxVaultsPerKey: values['max-vaults-per-key'],
      registrationsPerHour: values['registrations-per-hour'],
      cachedVaults: values['cached-vaults'],
      trustProxy: values['trust-proxy'],
    };
  } catch (e) {
    process.stderr.write(`tessera relay: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    await serveRelayUntilSignal(relayOptionsFromFlags(flags));
    return 0;
  } catch (e) {
    if (isTesseraError(e)) process.stderr.write(`tessera relay: ${e.message} [${e.code}]\n`);
    else process.stderr.write(`tessera relay: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return isTesseraError(e, 'INVALID_INPUT') ? 2 : 1;
  }
}
