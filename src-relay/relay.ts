/**
 * The blind relay (DESIGN.md, "The relay"): authenticates sockets by a signed challenge,
 * checks each envelope's signature, chain and the author's write right, assigns per-scope
 * sequence numbers, stores (the pushes waiting at one moment in one transaction: writer.ts),
 * and fans out to the vault's subscribers. It never holds a key that opens an envelope. Wire
 * format: src-shared/protocol/messages.ts.
 *
 * Nothing a client sends may crash it or disturb other clients: every handler's failure is
 * caught and answered, and frames, rates, sockets and buffers are bounded (limits.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHex } from '../src-shared/crypto/bytes';
import type { Envelope } from '../src-shared/envelope/envelope';
import { encodeRelayMessage, SUBPROTOCOL, type RelayMessage } from '../src-shared/protocol/messages';
import { checkRemovalPins } from './authorship';
import { assertMember, RelayFailure } from './access';
import { resolveLimits, type RelayLimits } from './limits';
import { checkPush } from './push';
import { Registrations } from './registration';
import { RelayMetrics } from './metrics';
import { RemoteFeed } from './remote-feed';
import { encodeRun, splitRuns, type Stored } from './runs';
import { CLOSE, Session, storageUnavailable, type Handling, type Request, type SessionHost } from './session';
import type { Notice, RelayStorage } from './storage';
import { Subscription, type Run } from './subscription';
import { PushWriter, type StoredPush } from './writer';

export interface RelayOptions {
  readonly storage: RelayStorage;
  readonly limits?: Partial<RelayLimits>;
  /**
   * Behind a reverse proxy every socket comes from the proxy's address, so per-address limits
   * would count all clients as one: with this, the address is the last X-Forwarded-For entry
   * (the one the proxy added). Only when nothing reaches the relay except through the proxy:
   * anyone else could name any address.
   */
  readonly trustProxy?: boolean;
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
  readonly metrics: RelayMetrics;
  /**
   * Settles once the relay hears other relay processes sharing its database (at once for a
   * database only one process opens); rejects when it cannot. Serve only after it.
   */
  readonly ready: Promise<void>;
  /** Serves WebSocket upgrades on `server` (any path). */
  attach(server: Server): void;
  /** Stops accepting, lets requests already received finish, closes every socket with 1001. */
  close(): Promise<void>;
  stats(): RelayStats;
}

const DELIVER_OVERHEAD = 64;

/** An envelope to deliver, and the socket that pushed it (none when another process did). */
interface Delivered extends Stored {
  readonly from?: Session;
}

/**
 * The subprotocol to answer with: the richest of those offered that this relay speaks. A
 * client that offers none (an older one) gets none and the plain protocol.
 */
export function pickSubprotocol(offered: ReadonlySet<string>): string | false {
  if (offered.has(SUBPROTOCOL.runs)) return SUBPROTOCOL.runs;
  if (offered.has(SUBPROTOCOL.plain)) return SUBPROTOCOL.plain;
  return false;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The address the nearest proxy saw: the last X-Forwarded-For entry, if it is an IP address. */
export function forwardedFor(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const header = req.headers['x-forwarded-for'];
  const last = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').at(-1)?.trim();
  return last && isIP(last) ? last : undefined;
}

export function createRelay(options: RelayOptions): Relay {
  const { storage } = options;
  const limits = resolveLimits(options.limits);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Every accepted envelope must fit in a `deliver` frame within the same limit, which adds
  // two ids, a seq and a length to it.
  const maxEnvelopeBytes = limits.maxFrameBytes - DELIVER_OVERHEAD;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false, handleProtocols: pickSubprotocol });
  const sessions = new Set<Session>();
  const perAddress = new Map<string, number>();
  const subscribers = new Map<string, Map<Session, Subscription>>();
  // Stores every push, several per transaction, and fans each out as soon as it is durable, in
  // sequence order: every subscriber gets a scope's envelopes in order.
  const writer = new PushWriter<Session>(storage, limits, (pushes) => fanOut(pushes), (ms) => metrics.database.observe(ms / 1000));
  const registrations = new Registrations(storage, limits);
  const servers = new Set<Server>();
  let nextId = 1;
  let accepted = 0;
  let refused = 0;
  let closing: Promise<void> | undefined;
  const metrics = new RelayMetrics({
    connections: () => stats().connections,
    authenticated: () => stats().authenticated,
    subscriptions: () => stats().subscriptions,
  });
  // What other relay processes on the same database store, for this one's subscribers.
  const feed = new RemoteFeed(storage, {
    wanted: (vaultKey) => subscribers.has(vaultKey),
    deliver: ({ vaultId, scopeId, envelopes, at }) => {
      metrics.fanOutLag.observe(Math.max(0, Date.now() - at) / 1000);
      deliver(vaultId, scopeId, envelopes, 'remote');
    },
    failed: (vaultKey) => resubscribeAll(vaultKey, 'missed a delivery: resubscribe'),
  });
  const ready = storage.listen ? storage.listen({ notice: onNotice, resumed: catchUp }) : Promise.resolve();
  ready.catch(() => undefined); // the caller awaits it

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
    handle(session, m, turn) {
      const { placed, answer } = m.type === 'push' ? push(session, m, turn) : alone(session, m);
      return {
        placed,
        answer: answer.then(
          (a) => {
            if (m.type === 'push') metrics.pushes.inc({ outcome: 'accepted' });
            return a;
          },
          (e: unknown) => {
            refused++;
            const code = e instanceof RelayFailure ? e.code : storageUnavailable(e) ? 'STORAGE_UNAVAILABLE' : 'INTERNAL';
            metrics.refusals.inc({ code });
            if (m.type === 'push') metrics.pushes.inc({ outcome: code });
            throw e;
          },
        ),
      };
    },
    closed(session) {
      sessions.delete(session);
      const n = (perAddress.get(session.address) ?? 1) - 1;
      if (n > 0) perAddress.set(session.address, n);
      else perAddress.delete(session.address);
      for (const vaultKey of [...session.vaults]) unsubscribe(session, vaultKey);
    },
  };

  function alone(session: Session, m: Exclude<Request, { type: 'push' }>): Handling {
    const answer = handle(session, m);
    return { placed: answer.catch(() => undefined), answer };
  }

  async function handle(session: Session, m: Exclude<Request, { type: 'push' }>): Promise<RelayMessage | undefined> {
    const key = session.publicKey!;
    switch (m.type) {
      case 'register':
        // With a genesis, membership comes from the signed log; without (a vault made before
        // sharing), the registering key is the only member.
        await registrations.register(key, session.address, m.vaultId, m.genesis);
        return { type: 'registered', requestId: m.requestId };
      case 'log-append': {
        await assertMember(storage, m.vaultId, key);
        await checkRemovalPins(storage, m.vaultId, m.entry);
        const seq = await storage.memberships.append(m.vaultId, m.entry, limits);
        announceLog(m.vaultId, seq, [m.entry], session);
        return { type: 'logged', requestId: m.requestId, seq };
      }
      case 'log-fetch': {
        // Members only: the log holds public keys and wrapped keys, and whom the vault has.
        await assertMember(storage, m.vaultId, key);
        const entries = await storage.memberships.entries(m.vaultId, m.from);
        const state = await storage.memberships.state(m.vaultId);
        return { type: 'log', requestId: m.requestId, vaultId: m.vaultId, from: m.from, entries, length: state ? state.head.seq + 1 : 0 };
      }
      case 'join':
        await storage.memberships.requestJoin(m.vaultId, m.request);
        return { type: 'join-ok', requestId: m.requestId };
      case 'join-list':
        return { type: 'joins', requestId: m.requestId, vaultId: m.vaultId, requests: await storage.memberships.joinRequests(m.vaultId, key) };
      case 'subscribe': {
        if (!(await storage.getVault(m.vaultId))) throw new RelayFailure('UNKNOWN_VAULT', 'No such vault on this relay');
        await assertMember(storage, m.vaultId, key);
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
        return undefined; // backfill sent `synced`
      }
      case 'unsubscribe':
        unsubscribe(session, toHex(m.vaultId));
        return undefined;
    }
  }

  /**
   * The checks that need no scope state start at once, beside the socket's other pushes; the
   * push goes to the writer only after the socket's previous one (`turn`), so a chain's links
   * reach it in the order they were sent whatever order their signatures verify in.
   */
  function push(session: Session, m: Extract<Request, { type: 'push' }>, turn: Promise<unknown>): Handling {
    const checked = check(session.publicKey!, m.envelope);
    checked.catch(() => undefined); // awaited in turn below; a refusal before then is not unhandled
    // Wrapped, so that `handed` settles when the writer has the push, not when it is stored.
    const handed = turn.then(async () => ({ outcome: writer.submit(await checked, session) }));
    return {
      placed: handed.catch(() => undefined),
      answer: handed.then(async ({ outcome }) => {
        const { envelope, seq } = await outcome;
        return { type: 'ack', requestId: m.requestId, scopeId: envelope.scopeId, seq };
      }),
    };
  }

  async function check(pusher: Uint8Array, bytes: Uint8Array): Promise<Envelope> {
    if (bytes.length > maxEnvelopeBytes) {
      throw new RelayFailure('FRAME_TOO_LARGE', `The envelope is ${bytes.length} bytes; this relay delivers at most ${maxEnvelopeBytes}`);
    }
    return checkPush(storage, pusher, bytes);
  }

  /** Subscribers learn of a membership change at once: a removal or rotation changes which keys seal what follows. */
  function announceLog(vaultId: Uint8Array, from: number, entries: Uint8Array[], except?: Session): void {
    const news = encodeRelayMessage({ type: 'log', requestId: 0, vaultId, from, entries, length: from + entries.length });
    for (const other of subscribers.get(toHex(vaultId))?.keys() ?? []) if (other !== except) other.sendLive(news);
  }

  /** Drops the vault's subscribers here: they may have missed deliveries, and resume from their cursors. */
  function resubscribeAll(vaultKey: string, reason: string): void {
    for (const other of subscribers.get(vaultKey)?.keys() ?? []) other.resubscribe(reason);
  }

  function onNotice(n: Notice): void {
    if (n.kind === 'update') return feed.notice(n);
    // Another process appended to the log: what this one knows of the vault's members is stale.
    storage.memberships.forget(n.vaultId);
    if (!subscribers.has(toHex(n.vaultId))) return;
    storage.memberships.entries(n.vaultId, n.seq).then(
      (entries) => entries.length > 0 && announceLog(n.vaultId, n.seq, entries),
      () => undefined, // the clients pull the log on their next envelope sealed under it
    );
  }

  /** After a break in hearing the other processes: whatever they said meanwhile, read it. */
  function catchUp(): void {
    metrics.noticeResumes.inc();
    storage.memberships.forget();
    for (const [vaultKey, subs] of subscribers) {
      const vaultId = [...subs.values()][0]!.vaultId;
      storage.scopes(vaultId).then(
        (scopes) => {
          for (const sub of subscribers.get(vaultKey)?.values() ?? []) sub.catchUp(scopes);
        },
        () => resubscribeAll(vaultKey, 'missed deliveries: resubscribe'),
      );
      // A membership change may be among what was missed: the clients look (they pull the log).
      void announceHead(vaultId, vaultKey).catch(() => undefined);
    }
  }

  async function announceHead(vaultId: Uint8Array, vaultKey: string): Promise<void> {
    const state = await storage.memberships.state(vaultId);
    if (!state || !subscribers.has(vaultKey)) return;
    announceLog(vaultId, state.head.seq, await storage.memberships.entries(vaultId, state.head.seq));
  }

  /** A round's stored pushes, to each vault's subscribers, a scope's as runs. */
  function fanOut(pushes: readonly { readonly push: StoredPush; readonly from: Session }[]): void {
    accepted += pushes.length;
    const byScope = new Map<string, { vaultId: Uint8Array; scopeId: Uint8Array; items: Delivered[] }>();
    for (const { push, from } of pushes) {
      const { vaultId, scopeId } = push.envelope;
      const key = toHex(vaultId) + toHex(scopeId);
      let scope = byScope.get(key);
      if (!scope) byScope.set(key, (scope = { vaultId, scopeId, items: [] }));
      scope.items.push({ seq: push.seq, bytes: push.envelope.bytes, from });
    }
    for (const { vaultId, scopeId, items } of byScope.values()) deliver(vaultId, scopeId, items, 'local');
  }

  /** Offers `items` (one scope's, ascending seqs) to the vault's subscribers here. */
  function deliver(vaultId: Uint8Array, scopeId: Uint8Array, items: readonly Delivered[], source: 'local' | 'remote'): void {
    const vaultKey = toHex(vaultId);
    const subs = subscribers.get(vaultKey);
    if (!subs) return;
    const scopeKey = toHex(scopeId);
    try {
      metrics.deliveries.inc({ source }, subs.size * items.length);
      for (const run of splitRuns(items, limits.maxFrameBytes)) {
        let frame: Uint8Array | undefined;
        const whole: Run = { scopeId, scopeKey, firstSeq: run[0]!.seq, lastSeq: run.at(-1)!.seq, frame: () => (frame ??= encodeRun(vaultId, scopeId, run)) };
        const singles: (Uint8Array | undefined)[] = [];
        const single = (i: number) => (singles[i] ??= run.length === 1 ? whole.frame() : encodeRun(vaultId, scopeId, [run[i]!]));
        for (const [other, sub] of subs) {
          // The pusher has the ack for its own: its live subscription only moves past their seqs.
          const own = run.some((d) => d.from === other);
          if (!own && sub.offerRun(whole)) continue;
          run.forEach((d, i) => sub.offer(scopeId, scopeKey, d.seq, d.from === other && sub.isLive ? null : single(i)));
        }
      }
    } catch (e) {
      // The pushes are durable and get their acks; subscribers must not go on past a gap, so
      // they reconnect and resume from their cursors.
      log(`relay: INTERNAL: ${(e as Error)?.name ?? 'Error'} while delivering`);
      resubscribeAll(vaultKey, 'missed a delivery: resubscribe');
    }
  }

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = (options.trustProxy ? forwardedFor(req) : undefined) ?? req.socket.remoteAddress ?? 'unknown';
    const id = nextId++;
    if (sessions.size >= limits.maxConnections || (perAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) {
      ws.on('error', () => undefined);
      log(`relay: conn ${id} (${address}) TOO_MANY_CONNECTIONS: refused`);
      ws.send(encodeRelayMessage({ type: 'error', requestId: 0, code: 'TOO_MANY_CONNECTIONS', message: 'The relay has too many connections; try again later' }));
      ws.close(CLOSE.tryAgainLater, 'TOO_MANY_CONNECTIONS');
      return;
    }
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    sessions.add(new Session(id, address, ws, req.socket, host));
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

  function stats(): RelayStats {
    let subscriptions = 0;
    for (const subs of subscribers.values()) subscriptions += subs.size;
    let authenticated = 0;
    for (const s of sessions) if (s.authenticated) authenticated++;
    return { connections: sessions.size, authenticated, subscriptions, accepted, refused };
  }

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
    metrics,
    ready,
    attach(server) {
      servers.add(server);
      server.on('upgrade', onUpgrade);
    },
    close() {
      closing ??= shutDown();
      return closing;
    },
    stats,
  };
}
