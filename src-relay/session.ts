/**
 * One client socket: challenge and auth, then its requests one at a time, in order.
 *
 * Handling a socket's requests in order lets a client pipeline (register, then push, without
 * waiting) and keeps an author's pushes in counter order. Per-request failures answer with an
 * `error` frame and keep the socket; protocol abuse (a frame that does not parse, a text frame,
 * a flood, talking before auth) answers with an `error` frame and closes it.
 */
import type { WebSocket, RawData } from 'ws';
import { nodeSuite } from '../src-main/crypto/node-suite';
import { toHex } from '../src-shared/crypto/bytes';
import { isTesseraError } from '../src-shared/errors';
import { authMessage, CHALLENGE_BYTES, decodeClientMessage, encodeRelayMessage, type ClientMessage, type RelayErrorCode, type RelayMessage } from '../src-shared/protocol/messages';
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

/** What a session asks of the relay around it. */
export interface SessionHost {
  readonly limits: RelayLimits;
  readonly closing: boolean;
  log(line: string): void;
  /** Runs an authenticated request; throws RelayFailure for an `error` answer. */
  handle(session: Session, message: Exclude<ClientMessage, { type: 'auth' }>): Promise<void>;
  closed(session: Session): void;
}

export class Session implements Outbox {
  publicKey: Uint8Array | undefined;
  /** Hex ids of the vaults this socket is subscribed to (kept by the relay). */
  readonly vaults = new Set<string>();
  private readonly nonce = nodeSuite.randomBytes(CHALLENGE_BYTES);
  private readonly bucket: TokenBucket;
  private readonly queue: Exclude<ClientMessage, { type: 'auth' }>[] = [];
  private draining: Promise<void> | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private alive = true;
  private ending = false;
  private frames = 0;
  private readonly openedAt = Date.now();

  constructor(
    readonly id: number,
    readonly address: string,
    readonly ws: WebSocket,
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

  /** Pings; false when the previous ping went unanswered (the caller terminates). */
  heartbeat(): boolean {
    if (!this.alive) return false;
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    return true;
  }

  /** Resolves once every request received so far has been handled. */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
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
    if (this.host.closing) {
      if ('requestId' in message) this.send({ type: 'error', requestId: message.requestId, code: 'SHUTTING_DOWN', message: 'The relay is shutting down' });
      return;
    }
    this.queue.push(message);
    // Stop reading a socket whose requests pile up: TCP then slows the client down.
    if (this.queue.length >= this.host.limits.maxQueuedRequests && !this.ws.isPaused) this.ws.pause();
    this.draining ??= this.drain().catch((e: unknown) => {
      // run() answers every failure; this is the last guard against an unhandled rejection.
      this.log(`INTERNAL: ${(e as Error)?.name ?? 'Error'} while handling requests`);
      this.close(CLOSE.internalError, 'INTERNAL');
    });
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

  private async drain(): Promise<void> {
    try {
      for (let m = this.queue.shift(); m && !this.ending; m = this.queue.shift()) {
        if (this.ws.isPaused && this.queue.length < this.host.limits.maxQueuedRequests / 2) this.ws.resume();
        await this.run(m);
      }
      this.queue.length = 0;
    } finally {
      this.draining = undefined;
    }
  }

  private async run(m: Exclude<ClientMessage, { type: 'auth' }>): Promise<void> {
    const requestId = 'requestId' in m ? m.requestId : 0;
    try {
      await this.host.handle(this, m);
    } catch (e) {
      if (e instanceof RelayFailure) {
        this.log(`${e.code}: ${e.message}`);
        this.send({ type: 'error', requestId, code: e.code, message: e.message });
      } else {
        // Storage trouble, a bug: the socket survives and the log says what kind, no content.
        this.log(`INTERNAL: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
        this.send({ type: 'error', requestId, code: 'INTERNAL', message: 'The relay could not handle this request' });
      }
    }
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
