/**
 * One authenticated connection to a relay: the challenge handshake, requests matched to
 * their answers by id, and the stream of delivered envelopes. Reconnecting is the caller's
 * business (vault-sync.ts), so a closed client stays closed.
 *
 * A vault's relay may be a list (relay processes on one database): connecting tries them in
 * turn, starting with the one that answered last, and moves on when one is unreachable or
 * too busy. Nothing is applied twice when a change is pushed again through another: each
 * author's counters make a re-push of the same bytes a duplicate that the relay acks as is.
 */
import WebSocket from 'ws';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import type { SigningKey } from '../../src-shared/envelope/envelope';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import { relayUrls } from './sync-state';
import {
  authMessage, CLIENT_SUBPROTOCOLS, decodeRelayMessage, encodeClientMessage,
  type ClientMessage, type RelayMessage,
} from '../../src-shared/protocol/messages';

export type Delivery = Extract<RelayMessage, { type: 'deliver' }>;
export type LogNews = Extract<RelayMessage, { type: 'log' }>;
type Answer = Extract<RelayMessage, { type: 'ack' | 'registered' | 'synced' | 'logged' | 'log' | 'join-ok' | 'joins' }>;
type Request = Extract<ClientMessage, { requestId: number }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Refusals at connecting that another relay of the list may not give. */
const MOVE_ON = new Set(['TOO_MANY_CONNECTIONS', 'SHUTTING_DOWN', 'STORAGE_UNAVAILABLE']);
/** Per relay list, the relay that answered last: tried first next time (this process only). */
const lastAnswered = new Map<string, string>();

export interface RelayClientOptions {
  /** Give up on connecting or on any answer after this long. */
  timeoutMs?: number;
}

export class RelayClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: Answer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private deliveryHandler: (d: Delivery) => void = () => {};
  private logHandler: (m: LogNews) => void = () => {};
  private closeHandlers: ((reason: string) => void)[] = [];
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly timeoutMs: number,
    /** The relay this connection reached (one of the list it was given). */
    readonly url: string,
  ) {}

  /**
   * Connects to the first relay of `relays` (one URL, or several comma-separated) that
   * answers, and authenticates. Throws RELAY_UNREACHABLE (none answered: the last one's
   * error) or RELAY_REJECTED.
   */
  static async connect(relays: string, suite: CryptoSuite, signer: SigningKey, opts: RelayClientOptions = {}): Promise<RelayClient> {
    const list = relayUrls(relays);
    const start = Math.max(0, list.indexOf(lastAnswered.get(relays) ?? ''));
    let failure: unknown;
    for (let i = 0; i < list.length; i++) {
      const url = list[(start + i) % list.length]!;
      try {
        const client = await RelayClient.connectTo(url, suite, signer, opts);
        lastAnswered.set(relays, url);
        return client;
      } catch (e) {
        if (!isTesseraError(e) || !(e.code === 'RELAY_UNREACHABLE' || MOVE_ON.has(String(e.details.relayCode)))) throw e;
        failure = e;
      }
    }
    throw failure;
  }

  private static connectTo(url: string, suite: CryptoSuite, signer: SigningKey, opts: RelayClientOptions): Promise<RelayClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      // `deliver-run` frames where the relay has them (messages.ts): a relay that predates them picks the plain protocol.
      const ws = new WebSocket(url, [...CLIENT_SUBPROTOCOLS], { handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 * 1024 });
      ws.binaryType = 'nodebuffer';
      const client = new RelayClient(ws, timeoutMs, url);
      let authed = false;
      const fail = (e: TesseraError) => {
        clearTimeout(timer);
        ws.terminate();
        reject(e);
      };
      const timer = setTimeout(() => fail(new TesseraError('RELAY_UNREACHABLE', `No answer from the relay at ${url}`)), timeoutMs);
      ws.on('error', (e) => {
        if (!authed) fail(new TesseraError('RELAY_UNREACHABLE', `Cannot reach the relay at ${url} (${(e as NodeJS.ErrnoException).code ?? e.message})`));
      });
      ws.on('close', (code, reason) => {
        if (!authed) fail(new TesseraError('RELAY_UNREACHABLE', `The relay at ${url} closed the connection (${code} ${reason.toString()})`));
        client.onClosed(`${code} ${reason.toString()}`.trim());
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        let m: RelayMessage;
        try {
          if (!isBinary) throw new Error('text frame');
          m = decodeRelayMessage(data);
        } catch {
          ws.close(1002, 'malformed message');
          return;
        }
        if (!authed) {
          if (m.type === 'challenge') {
            let signature: Uint8Array;
            try {
              signature = suite.ed25519.sign(authMessage(m.nonce), signer.seed, signer.publicKey);
            } catch {
              // The session locked (its keys wiped) while this connection was on its way.
              fail(new TesseraError('VAULT_LOCKED', 'Tessera locked before the relay connection was made'));
              return;
            }
            ws.send(encodeClientMessage({ type: 'auth', publicKey: signer.publicKey, signature }));
          } else if (m.type === 'auth-ok') {
            authed = true;
            clearTimeout(timer);
            resolve(client);
          } else if (m.type === 'error') {
            fail(new TesseraError('RELAY_REJECTED', `The relay refused this device: ${m.message}`, { relayCode: m.code }));
          }
          return;
        }
        client.onMessage(m);
      });
    });
  }

  onDelivery(handler: (d: Delivery) => void): void {
    this.deliveryHandler = handler;
  }

  /** Membership entries the relay announces as they are appended (not answers). */
  onLog(handler: (m: LogNews) => void): void {
    this.logHandler = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request and waits for its answer; an `error` answer throws RELAY_REJECTED. */
  request<T extends Answer['type']>(m: DistributiveOmit<Request, 'requestId'>, expect: T): Promise<Extract<Answer, { type: T }>> {
    if (this.closed) return Promise.reject(new TesseraError('RELAY_UNREACHABLE', 'The connection to the relay is closed'));
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new TesseraError('RELAY_UNREACHABLE', 'The relay did not answer in time'));
      }, this.timeoutMs);
      this.waiting.set(requestId, {
        resolve: (a) => (a.type === expect ? resolve(a as Extract<Answer, { type: T }>) : reject(new TesseraError('MALFORMED', `Unexpected ${a.type} from the relay`))),
        reject,
        timer,
      });
      this.ws.send(encodeClientMessage({ ...m, requestId } as Request));
    });
  }

  close(): void {
    if (!this.closed) this.ws.close(1000, 'done');
    this.onClosed('closed by this device');
  }

  private onMessage(m: RelayMessage): void {
    if (m.type === 'deliver') return this.deliveryHandler(m);
    if (m.type === 'deliver-run') {
      // The same deliveries, one by one, as if each had come in a frame of its own.
      const { vaultId, scopeId, firstSeq } = m;
      m.envelopes.forEach((envelope, i) => this.deliveryHandler({ type: 'deliver', vaultId, scopeId, seq: firstSeq + i, envelope }));
      return;
    }
    if (m.type === 'log' && m.requestId === 0) return this.logHandler(m);
    if (m.type !== 'challenge' && m.type !== 'auth-ok') {
      const w = this.waiting.get(m.requestId);
      if (!w) return;
      this.waiting.delete(m.requestId);
      clearTimeout(w.timer);
      if (m.type === 'error') w.reject(new TesseraError('RELAY_REJECTED', `The relay refused: ${m.message} [${m.code}]`, { relayCode: m.code }));
      else w.resolve(m);
    }
  }

  private onClosed(reason: string): void {
    if (this.closed && this.waiting.size === 0 && this.closeHandlers.length === 0) return;
    this.closed = true;
    for (const [, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new TesseraError('RELAY_UNREACHABLE', `The connection to the relay closed (${reason})`));
    }
    this.waiting.clear();
    const handlers = this.closeHandlers;
    this.closeHandlers = [];
    for (const h of handlers) h(reason);
  }
}
