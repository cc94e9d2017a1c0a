/**
 * The blind relay (DESIGN.md, "The relay"): authenticates sockets by a signed challenge,
 * checks each envelope's signature, chain and the author's write right, assigns per-scope
 * sequence numbers, stores, and fans out to the vault's subscribers. It never holds a key
 * that opens an envelope. Wire format: src-shared/protocol/messages.ts.
 *
 * Nothing a client sends may crash it or disturb other clients: every handler's failure is
 * caught and answered, and frames, rates, sockets and buffers are bounded (limits.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { equalBytes, toHex } from '../src-shared/crypto/bytes';
import { encodeRelayMessage, type ClientMessage } from '../src-shared/protocol/messages';
import { isMember, RelayFailure } from './access';
import { resolveLimits, type RelayLimits } from './limits';
import { applyPush, checkPush } from './push';
import { CLOSE, Session, type SessionHost } from './session';
import type { RelayStorage } from './storage';
import { Subscription } from './subscription';

export interface RelayOptions {
  readonly storage: RelayStorage;
  readonly limits?: Partial<RelayLimits>;
  /** One line per connection and per error, never envelope content. Default: stderr. */
  readonly log?: (line: string) => void;
}

export interface RelayStats {
  readonly connections: number;
  readonly authenticated: number;
  readonly subscriptions: number;
  /** Updates stored since start. */
  readonly accepted: number;
  /** Requests answered with an error since start. */
  readonly refused: number;
}

export interface Relay {
  readonly limits: RelayLimits;
  /** Serves WebSocket upgrades on `server` (any path). */
  attach(server: Server): void;
  /** Stops accepting, lets requests already received finish, closes every socket with 1001. */
  close(): Promise<void>;
  stats(): RelayStats;
}

/** Runs tasks with the same key one after another, in the order they were queued. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

const DELIVER_OVERHEAD = 64;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createRelay(options: RelayOptions): Relay {
  const { storage } = options;
  const limits = resolveLimits(options.limits);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Every accepted envelope must fit in a `deliver` frame within the same limit, which adds
  // two ids, a seq and a length to it.
  const maxEnvelopeBytes = limits.maxFrameBytes - DELIVER_OVERHEAD;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const sessions = new Set<Session>();
  const perAddress = new Map<string, number>();
  const subscribers = new Map<string, Map<Session, Subscription>>();
  // Pushes to one scope check, store and fan out one at a time, so that every subscriber
  // gets the scope's envelopes in sequence order.
  const scopeLocks = new KeyedQueue();
  const servers = new Set<Server>();
  let nextId = 1;
  let accepted = 0;
  let refused = 0;
  let closing: Promise<void> | undefined;

  const unsubscribe = (session: Session, vaultKey: string): void => {
    session.vaults.delete(vaultKey);
    const subs = subscribers.get(vaultKey);
    subs?.get(session)?.cancel();
    subs?.delete(session);
    if (subs?.size === 0) subscribers.delete(vaultKey);
  };

  const host: SessionHost = {
    limits,
    get closing() {
      return closing !== undefined;
    },
    log,
    async handle(session, m) {
      try {
        await handle(session, m);
      } catch (e) {
        refused++;
        throw e;
      }
    },
    closed(session) {
      sessions.delete(session);
      const n = (perAddress.get(session.address) ?? 1) - 1;
      if (n > 0) perAddress.set(session.address, n);
      else perAddress.delete(session.address);
      for (const vaultKey of [...session.vaults]) unsubscribe(session, vaultKey);
    },
  };

  async function handle(session: Session, m: Exclude<ClientMessage, { type: 'auth' }>): Promise<void> {
    const key = session.publicKey!;
    switch (m.type) {
      case 'register': {
        const vault = (await storage.getVault(m.vaultId)) ?? (await storage.createVault(m.vaultId, key, Date.now()));
        if (!equalBytes(vault.owner, key)) throw new RelayFailure('VAULT_EXISTS', 'This vault id is registered by another key');
        session.send({ type: 'registered', requestId: m.requestId });
        return;
      }
      case 'subscribe': {
        if (!(await storage.getVault(m.vaultId))) throw new RelayFailure('UNKNOWN_VAULT', 'No such vault on this relay');
        if (!(await isMember(storage, m.vaultId, key))) throw new RelayFailure('NOT_A_MEMBER', 'Your key is not a member of this vault');
        const sub = new Subscription(m.vaultId, m.cursors, storage, session, limits.maxBufferedBytes);
        unsubscribe(session, sub.key);
        // Registered before reading, so nothing pushed during the backfill is missed.
        const subs = subscribers.get(sub.key) ?? new Map<Session, Subscription>();
        subscribers.set(sub.key, subs.set(session, sub));
        session.vaults.add(sub.key);
        if (!(await sub.backfill(m.requestId))) {
          unsubscribe(session, sub.key);
          session.close(CLOSE.tryAgainLater, 'could not catch up: resubscribe');
        }
        return;
      }
      case 'unsubscribe':
        unsubscribe(session, toHex(m.vaultId));
        return;
      case 'push': {
        if (m.envelope.length > maxEnvelopeBytes) {
          throw new RelayFailure('FRAME_TOO_LARGE', `The envelope is ${m.envelope.length} bytes; this relay delivers at most ${maxEnvelopeBytes}`);
        }
        const env = await checkPush(storage, key, m.envelope);
        const scopeKey = toHex(env.scopeId);
        const vaultKey = toHex(env.vaultId);
        await scopeLocks.run(`${vaultKey}/${scopeKey}`, async () => {
          const outcome = await applyPush(storage, env);
          session.send({ type: 'ack', requestId: m.requestId, scopeId: env.scopeId, seq: outcome.seq });
          if (outcome.kind !== 'stored') return;
          accepted++;
          const frame = encodeRelayMessage({ type: 'deliver', vaultId: env.vaultId, scopeId: env.scopeId, seq: outcome.seq, envelope: env.bytes });
          for (const [other, sub] of subscribers.get(vaultKey) ?? []) {
            // The pusher has the ack; a subscription of its own still backfilling takes it anyway.
            if (other !== session || !sub.isLive) sub.offer(env.scopeId, scopeKey, outcome.seq, frame);
          }
        });
        return;
      }
    }
  }

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const id = nextId++;
    if (sessions.size >= limits.maxConnections || (perAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) {
      ws.on('error', () => undefined);
      log(`relay: conn ${id} (${address}) TOO_MANY_CONNECTIONS: refused`);
      ws.send(encodeRelayMessage({ type: 'error', requestId: 0, code: 'TOO_MANY_CONNECTIONS', message: 'The relay has too many connections; try again later' }));
      ws.close(CLOSE.tryAgainLater, 'TOO_MANY_CONNECTIONS');
      return;
    }
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    sessions.add(new Session(id, address, ws, host));
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  }

  const heartbeat = setInterval(() => {
    for (const s of sessions) {
      if (!s.heartbeat()) {
        s.log('no pong: dropped');
        s.ws.terminate();
      }
    }
  }, limits.pingIntervalMs);
  heartbeat.unref();

  async function shutDown(): Promise<void> {
    for (const server of servers) server.off('upgrade', onUpgrade);
    clearInterval(heartbeat);
    // Requests already received finish (their acks promise durability); new ones are refused.
    await Promise.race([Promise.allSettled([...sessions].map((s) => s.idle())), wait(limits.shutdownGraceMs)]);
    const gone = [...sessions].map((s) => new Promise<void>((resolve) => s.ws.once('close', () => resolve())));
    for (const s of sessions) s.close(CLOSE.goingAway, 'relay shutting down');
    await Promise.race([Promise.all(gone), wait(2_000)]);
    for (const s of sessions) s.ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    limits,
    attach(server) {
      servers.add(server);
      server.on('upgrade', onUpgrade);
    },
    close() {
      closing ??= shutDown();
      return closing;
    },
    stats() {
      let subscriptions = 0;
      for (const subs of subscribers.values()) subscriptions += subs.size;
      let authenticated = 0;
      for (const s of sessions) if (s.authenticated) authenticated++;
      return { connections: sessions.size, authenticated, subscriptions, accepted, refused };
    },
  };
}
