/**
 * One client socket: challenge and auth, then its requests, answered in the order received.
 *
 * A client may pipeline (register, then push, without waiting). Pushes overlap each other: the
 * checks that need no scope state (the signature above all) run for several at once, and each
 * is handed to the writer in request order, which keeps an author's pushes in counter order and
 * lets the writer commit them together. Any other request runs alone: it waits until every
 * earlier one is answered, and the ones after it wait for it (a push right after `register`
 * needs the vault). Per-request failures answer with an `error` frame and keep the socket;
 * protocol abuse (a frame that does not parse, a text frame, a flood, talking before auth)
 * answers with an `error` frame and closes it.
 */
import type { Writable } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { toHex } from '../src-shared/crypto/bytes';
import { isTesseraError } from '../src-shared/errors';
import { authMessage, CHALLENGE_BYTES, decodeClientMessage, encodeRelayMessage, SUBPROTOCOL, type ClientMessage, type RelayErrorCode, type RelayMessage } from '../src-shared/protocol/messages';
import { RelayFailure } from './access';
import { TokenBucket, type RelayLimits } from './limits';
import type { Outbox } from './subscription';

/** Close codes (RFC 6455 §7.4.1) the relay uses; 1009 (too big) comes from ws itself. */
export const CLOSE = {
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;

// Past this much unsent data a paced (backfill) send waits for the socket to drain.
const PACE_HIGH_WATER = 1024 * 1024;

export type Request = Exclude<ClientMessage, { type: 'auth' }>;

/** A request under way. */
export interface Handling {
  /** Settles once the request holds its place in the socket's order (a push: handed to the writer). */
  readonly placed: Promise<unknown>;
  /**
   * What to answer: undefined when there is nothing to say or the request answered itself
   * (a subscription's `synced`). Rejects with RelayFailure for an `error` answer.
   */
  readonly answer: Promise<RelayMessage | undefined>;
}

/** What a session asks of the relay around it. */
export interface SessionHost {
  readonly limits: RelayLimits;
  readonly closing: boolean;
  log(line: string): void;
  /**
   * Starts an authenticated request. A push may start while the socket's earlier pushes are
   * under way: it does at once what needs no order and awaits `turn` (the previous request's
   * `placed`) before what does. Anything else starts only once every earlier request is answered.
   */
  handle(session: Session, message: Request, turn: Promise<unknown>): Handling;
  closed(session: Session): void;
}

/** A request received and not started yet; `late` ones arrived after shutdown began. */
interface Queued {
  readonly message: Request;
  readonly late: boolean;
}

/** A started request whose answer has not gone out yet. */
interface Started {
  readonly requestId: number;
  /** Anything but a push: nothing else starts until it is answered. */
  readonly alone: boolean;
  settled: boolean;
  answer: RelayMessage | undefined;
}

export class Session implements Outbox {
  publicKey: Uint8Array | undefined;
  /** Hex ids of the vaults this socket is subscribed to (kept by the relay). */
  readonly vaults = new Set<string>();
  private readonly nonce = nodeSuite.randomBytes(CHALLENGE_BYTES);
  private readonly bucket: TokenBucket;
  private readonly queue: Queued[] = [];
  /** In request order: answers leave from the front. */
  private readonly started: Started[] = [];
  private lastPlaced: Promise<unknown> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private authTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private alive = true;
  private ending = false;
  private frames = 0;
  private readonly openedAt = Date.now();

  constructor(
    readonly id: number,
    readonly address: string,
    readonly ws: WebSocket,
    /** The TCP socket under `ws`. */
    private readonly socket: Writable,
    private readonly host: SessionHost,
  ) {
    this.bucket = new TokenBucket(host.limits.messagesPerSecond, host.limits.messageBurst);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (e: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for an oversized frame, 1002/1007 for bad framing).
      this.ending = true;
      const code = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'FRAME_TOO_LARGE' : 'MALFORMED_FRAME';
      this.log(`${code}: ${e.message}`);
    });
    ws.on('close', (code) => {
      this.ending = true;
      clearTimeout(this.authTimer);
      const key = this.publicKey ? ` key ${toHex(this.publicKey).slice(0, 16)}` : '';
      this.log(`closed ${code}${key} after ${((Date.now() - this.openedAt) / 1000).toFixed(1)} s, ${this.frames} frames`);
      this.host.closed(this);
    });
    this.authTimer = setTimeout(() => this.abort('NOT_AUTHENTICATED', 'Authentication timed out', CLOSE.policyViolation), host.limits.authTimeoutMs);
    this.authTimer.unref();
    this.send({ type: 'challenge', nonce: this.nonce });
  }

  /** Negotiated in the handshake (relay.ts, pickSubprotocol). */
  get takesRuns(): boolean {
    return this.ws.protocol === SUBPROTOCOL.runs;
  }

  get maxFrameBytes(): number {
    return this.host.limits.maxFrameBytes;
  }

  get open(): boolean {
    return !this.ending && !this.host.closing && this.ws.readyState === this.ws.OPEN;
  }

  get authenticated(): boolean {
    return this.publicKey !== undefined;
  }

  send(message: RelayMessage): void {
    this.sendFrame(encodeRelayMessage(message));
  }

  sendLive(frame: Uint8Array): void {
    if (this.ending || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.host.limits.maxBufferedBytes) {
      this.log('dropped: too far behind on live deliveries');
      this.close(CLOSE.tryAgainLater, 'too slow: reconnect and resume');
      return;
    }
    this.corkUntilTick();
    this.sendFrame(frame);
  }

  sendPaced(frame: Uint8Array): Promise<void> {
    if (!this.open) return Promise.resolve();
    if (this.ws.bufferedAmount < PACE_HIGH_WATER) {
      this.sendFrame(frame);
      return Promise.resolve();
    }
    // ws calls back once the frame is written, or with an error when the socket closes.
    return new Promise((resolve) => this.ws.send(frame, { binary: true }, () => resolve()));
  }

  resubscribe(reason: string): void {
    this.log(`dropped: ${reason}`);
    this.close(CLOSE.tryAgainLater, reason);
  }

  /** Pings; false when the previous ping went unanswered (the caller terminates). */
  heartbeat(): boolean {
    if (!this.alive) return false;
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    return true;
  }

  /** Resolves once every request received so far has been answered (or dropped with the socket). */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get isIdle(): boolean {
    return this.started.length === 0 && (this.ending || this.queue.length === 0);
  }

  close(code: number, reason: string): void {
    this.ending = true;
    // A paused socket would never read the client's half of the closing handshake.
    if (this.ws.isPaused) this.ws.resume();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  /** Answers with an `error` frame, then closes the socket: the client broke the protocol. */
  abort(code: RelayErrorCode, message: string, closeCode: number, requestId = 0): void {
    if (this.ending) return;
    this.log(`${code}: ${message}`);
    this.send({ type: 'error', requestId, code, message });
    this.close(closeCode, code);
  }

  log(line: string): void {
    this.host.log(`relay: conn ${this.id} (${this.address}) ${line}`);
  }

  /**
   * Holds this tick's writes to the socket and sends them together: the writer fans out a whole
   * round of pushes at once, and one write per subscriber, rather than one per delivery, is most
   * of what fan-out costs.
   */
  private corkUntilTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  private sendFrame(frame: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: true });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.ending) return;
    this.frames++;
    if (!this.bucket.take()) return this.abort('RATE_LIMITED', 'Too many messages', CLOSE.policyViolation);
    if (!isBinary) return this.abort('MALFORMED_FRAME', 'Text frames are not part of the protocol', CLOSE.unsupportedData);
    let message: ClientMessage;
    try {
      message = decodeClientMessage(toBytes(data), this.host.limits.maxFrameBytes);
    } catch (e) {
      if (isTesseraError(e, 'UNSUPPORTED_VERSION')) return this.abort('UNSUPPORTED_VERSION', e.message, CLOSE.protocolError);
      return this.abort('MALFORMED_FRAME', isTesseraError(e) ? e.message : 'Unreadable frame', CLOSE.protocolError);
    }
    if (message.type === 'auth') return this.authenticate(message);
    if (!this.authenticated) return this.abort('NOT_AUTHENTICATED', 'Authenticate first', CLOSE.policyViolation);
    // Refused once shutdown has begun, but in turn: answers keep the order of the requests.
    const late = this.host.closing;
    if (late && !('requestId' in message)) return;
    this.queue.push({ message, late });
    // Stop reading a socket whose requests pile up: TCP then slows the client down.
    if (this.outstanding >= this.host.limits.maxQueuedRequests && !this.ws.isPaused) this.ws.pause();
    this.pump();
  }

  private authenticate(m: Extract<ClientMessage, { type: 'auth' }>): void {
    if (this.authenticated) return this.abort('AUTH_FAILED', 'Already authenticated', CLOSE.policyViolation);
    if (!nodeSuite.ed25519.verify(authMessage(this.nonce), m.signature, m.publicKey)) {
      return this.abort('AUTH_FAILED', 'The challenge signature does not verify', CLOSE.policyViolation);
    }
    clearTimeout(this.authTimer);
    this.publicKey = m.publicKey;
    this.send({ type: 'auth-ok' });
  }

  private get outstanding(): number {
    return this.queue.length + this.started.length;
  }

  /**
   * Starts what may start now: pushes beside pushes, anything else alone, and never more than
   * maxQueuedRequests at once (a paused socket still hands over the frames of its last read).
   */
  private pump(): void {
    while (!this.ending && this.queue.length > 0 && this.started.length < this.host.limits.maxQueuedRequests) {
      const { message, late } = this.queue[0]!;
      const alone = message.type !== 'push' && !late;
      if (this.started[0]?.alone || (alone && this.started.length > 0)) break;
      this.queue.shift();
      this.start(message, late, alone);
    }
    if (this.ending) this.queue.length = 0;
    if (this.ws.isPaused && this.outstanding < this.host.limits.maxQueuedRequests / 2) this.ws.resume();
    if (this.isIdle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private start(message: Request, late: boolean, alone: boolean): void {
    const entry: Started = { requestId: 'requestId' in message ? message.requestId : 0, alone, settled: false, answer: undefined };
    this.started.push(entry);
    let handling: Handling;
    try {
      if (late) throw new RelayFailure('SHUTTING_DOWN', 'The relay is shutting down');
      handling = this.host.handle(this, message, this.lastPlaced);
    } catch (e) {
      handling = { placed: this.lastPlaced, answer: Promise.reject(e) };
    }
    this.lastPlaced = handling.placed;
    handling.answer
      .then(
        (answer) => this.settle(entry, answer),
        (e: unknown) => this.settle(entry, this.failure(entry.requestId, e)),
      )
      .catch((e: unknown) => {
        // settle() sends; this is the last guard against an unhandled rejection.
        this.log(`INTERNAL: ${(e as Error)?.name ?? 'Error'} while answering requests`);
        this.close(CLOSE.internalError, 'INTERNAL');
      });
  }

  /** Answers leave in request order, whatever order they were ready in. */
  private settle(entry: Started, answer: RelayMessage | undefined): void {
    entry.settled = true;
    entry.answer = answer;
    while (this.started[0]?.settled) {
      const done = this.started.shift()!;
      if (done.answer) this.send(done.answer);
    }
    this.pump();
  }

  private failure(requestId: number, e: unknown): RelayMessage {
    if (e instanceof RelayFailure) {
      if (e.code !== 'SHUTTING_DOWN') this.log(`${e.code}: ${e.message}`);
      return { type: 'error', requestId, code: e.code, message: e.message };
    }
    if (storageUnavailable(e)) {
      this.log(`STORAGE_UNAVAILABLE: ${(e as Error)?.message ?? String(e)}`);
      return { type: 'error', requestId, code: 'STORAGE_UNAVAILABLE', message: 'The relay’s database is not answering; try again' };
    }
    // Storage trouble, a bug: the socket survives and the log says what kind, no content.
    this.log(`INTERNAL: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
    return { type: 'error', requestId, code: 'INTERNAL', message: 'The relay could not handle this request' };
  }
}

/**
 * A database that went away rather than a request that failed: the connection refused or
 * dropped, or PostgreSQL shutting down or starting (SQLSTATE classes 08 and 57P0x). The
 * client's retry (or another relay of its list) will do; it is not the relay's bug.
 */
export function storageUnavailable(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  if (/^08|^57P0[1-4]$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  const message = (e as Error)?.message ?? '';
  // A Unix socket's file is gone while the server is down: ENOENT, from connect only.
  if (code === 'ENOENT' && message.startsWith('connect ')) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|the database system is/i.test(message);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
