/**
 * A minimal relay client for tests: a `ws` socket speaking the wire protocol, an inbox to
 * wait on (every wait has a timeout, so a silent relay fails the test instead of hanging it),
 * and authors that seal real envelopes with their own hash chains.
 */
import WebSocket from 'ws';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex } from '../../src-shared/crypto/bytes';
import type { PublicIdentity } from '../../src-shared/crypto/identity';
import { createGenesis } from '../../src-shared/membership/builders';
import { envelopeHash, NO_LOG_HEAD, sealEnvelope, ZERO_HASH, type LogHeadRef, type SigningKey } from '../../src-shared/envelope/envelope';
import {
  authMessage,
  decodeRelayMessage,
  encodeClientMessage,
  type ClientMessage,
  type Cursor,
  type RelayMessage,
} from '../../src-shared/protocol/messages';
import type { RelayLimits } from '../../src-relay/limits';
import { startRelay, type RunningRelay } from '../../src-relay/main';
import { freshPgDatabase } from './storage-backends';

export type Deliver = Extract<RelayMessage, { type: 'deliver' }>;
export type DeliverRun = Extract<RelayMessage, { type: 'deliver-run' }>;

export interface ConnectOptions {
  readonly maxPayload?: number;
  /** WebSocket subprotocols to offer, e.g. CLIENT_SUBPROTOCOLS. */
  readonly protocols?: readonly string[];
}

/** The deliveries a `deliver` or `deliver-run` frame brings, one per envelope. */
export function deliveriesOf(m: Deliver | DeliverRun): Deliver[] {
  if (m.type === 'deliver') return [m];
  return m.envelopes.map((envelope, i) => ({ type: 'deliver', vaultId: m.vaultId, scopeId: m.scopeId, seq: m.firstSeq + i, envelope }));
}
export type Closed = { code: number; reason: string };

export function newIdentity(): SigningKey {
  const seed = nodeSuite.randomBytes(32);
  return { seed, publicKey: nodeSuite.ed25519.publicKeyFromSeed(seed) };
}

export const randomId = (): Uint8Array => nodeSuite.randomBytes(16);

const DEFAULT_WAIT_MS = 5_000;

export class RelayTestClient {
  readonly closed: Promise<Closed>;
  challenge: Uint8Array = new Uint8Array();
  private readonly inbox: RelayMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private nextRequestId = 1;
  private closedWith: Closed | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      this.inbox.push(decodeRelayMessage(new Uint8Array(data)));
      this.wakeAll();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
        this.wakeAll();
      }),
    );
  }

  /** Opens a socket (offering `protocols`, none by default: the oldest clients') and waits for the relay's challenge. */
  static async connect(url: string, opts: ConnectOptions = {}): Promise<RelayTestClient> {
    const ws = new WebSocket(url, [...(opts.protocols ?? [])], { maxPayload: opts.maxPayload ?? 256 * 1024 * 1024 });
    const client = new RelayTestClient(ws);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      DEFAULT_WAIT_MS,
      'connect',
    );
    const first = await client.next(() => true);
    if (first.type !== 'challenge') throw new Error(`expected a challenge, got ${first.type}`);
    client.challenge = first.nonce;
    return client;
  }

  /** Connects and authenticates as `id`. */
  static async connectAs(url: string, id: SigningKey, opts: ConnectOptions = {}): Promise<RelayTestClient> {
    const c = await RelayTestClient.connect(url, opts);
    await c.auth(id);
    return c;
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Takes the first message in the inbox that matches, waiting for one if needed. */
  async next(match: (m: RelayMessage) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<RelayMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith) {
        const seen = this.inbox.map((m) => m.type).join(', ') || 'nothing';
        throw new Error(`no matching message (inbox: ${seen}; ${this.closedWith ? `closed ${this.closedWith.code}` : 'timed out'})`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          this.waiters.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Messages received and not taken yet. */
  pending(): readonly RelayMessage[] {
    return this.inbox;
  }

  send(m: ClientMessage): void {
    this.ws.send(encodeClientMessage(m));
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  async auth(id: SigningKey): Promise<void> {
    this.send({ type: 'auth', publicKey: id.publicKey, signature: nodeSuite.ed25519.sign(authMessage(this.challenge), id.seed, id.publicKey) });
    const m = await this.next((x) => x.type === 'auth-ok' || x.type === 'error');
    if (m.type !== 'auth-ok') throw new Error(`auth failed: ${JSON.stringify(m)}`);
  }

  /** Sends a request and waits for the answer carrying its id. */
  async request(m: Extract<ClientMessage, { requestId: number }> | DistributiveOmit<Extract<ClientMessage, { requestId: number }>, 'requestId'>, timeoutMs?: number): Promise<RelayMessage> {
    const requestId = this.nextRequestId++;
    this.send({ ...m, requestId } as ClientMessage);
    return this.next((x) => 'requestId' in x && x.requestId === requestId, timeoutMs);
  }

  register(vaultId: Uint8Array): Promise<RelayMessage> {
    return this.request({ type: 'register', vaultId });
  }

  push(envelope: Uint8Array, timeoutMs?: number): Promise<RelayMessage> {
    return this.request({ type: 'push', envelope }, timeoutMs);
  }

  /** Subscribes; resolves with the backfill (in order) and the `synced` that ended it, or the error. */
  async subscribe(vaultId: Uint8Array, cursors: Cursor[] = [], timeoutMs?: number): Promise<{ delivers: Deliver[]; synced: RelayMessage }> {
    const requestId = this.nextRequestId++;
    this.send({ type: 'subscribe', requestId, vaultId, cursors });
    const synced = await this.next((x) => 'requestId' in x && x.requestId === requestId, timeoutMs);
    // Everything delivered before `synced` is the backfill; the inbox keeps its order.
    const delivers: Deliver[] = [];
    for (let m = this.inbox[0]; m && m.type === 'deliver'; m = this.inbox[0]) delivers.push(this.inbox.shift() as Deliver);
    return { delivers, synced };
  }

  nextDeliver(timeoutMs?: number): Promise<Deliver> {
    return this.next((x) => x.type === 'deliver', timeoutMs) as Promise<Deliver>;
  }

  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<Closed> {
    return withTimeout(this.closed, timeoutMs, 'close');
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** One author writing one scope: seals updates that follow its own hash chain. */
export class Author {
  counter = 0;
  prevHash: Uint8Array = ZERO_HASH;

  constructor(
    readonly id: SigningKey,
    readonly vaultId: Uint8Array,
    readonly scopeId: Uint8Array,
    readonly key: Uint8Array = nodeSuite.randomBytes(32),
    public epoch = 1,
    /** The membership head it writes under (none: a vault registered without a log). */
    public logHead: LogHeadRef = NO_LOG_HEAD,
  ) {}

  /** Seals an update with explicit chain fields, without moving the chain. */
  seal(plaintext: Uint8Array, over: { counter?: number; prevHash?: Uint8Array; epoch?: number; logHead?: LogHeadRef } = {}): Uint8Array {
    return sealEnvelope(
      nodeSuite,
      {
        kind: 'update',
        vaultId: this.vaultId,
        scopeId: this.scopeId,
        epoch: over.epoch ?? this.epoch,
        counter: over.counter ?? this.counter + 1,
        prevHash: over.prevHash ?? this.prevHash,
        covers: 0,
        logHead: over.logHead ?? this.logHead,
      },
      plaintext,
      this.key,
      this.id,
    );
  }

  /** The next update of the chain (and moves the chain past it). */
  next(plaintext: Uint8Array | string = nodeSuite.randomBytes(24)): Uint8Array {
    const bytes = this.seal(typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext);
    this.counter++;
    this.prevHash = envelopeHash(bytes);
    return bytes;
  }

  snapshot(covers: number, plaintext: Uint8Array | string = 'snapshot'): Uint8Array {
    return sealEnvelope(
      nodeSuite,
      { kind: 'snapshot', vaultId: this.vaultId, scopeId: this.scopeId, epoch: this.epoch, counter: 0, prevHash: ZERO_HASH, covers, logHead: this.logHead },
      typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext,
      this.key,
      this.id,
    );
  }
}

/**
 * An in-process relay on an ephemeral 127.0.0.1 port with an in-memory database, or with
 * TESSERA_TEST_RELAY_BACKEND=postgres a fresh PostgreSQL database (TESSERA_TEST_PG), dropped
 * on close: CI runs the relay's tests both ways.
 */
export async function startTestRelay(limits: Partial<RelayLimits> = {}, opts: { trustProxy?: boolean } = {}): Promise<RunningRelay & { logs: string[] }> {
  const logs: string[] = [];
  const pg = process.env.TESSERA_TEST_RELAY_BACKEND === 'postgres' ? await freshPgDatabase() : undefined;
  const running = await startRelay({ host: '127.0.0.1', port: 0, db: pg?.url ?? ':memory:', limits, ...opts, log: (l) => logs.push(l), out: () => undefined });
  if (pg) {
    const close = running.close;
    return Object.assign(running, { logs, close: async () => (await close(), await pg.drop()) });
  }
  return Object.assign(running, { logs });
}

/** A registered vault with its owner's socket and an author writing one scope of it. */
export async function ownedVault(url: string): Promise<{ owner: SigningKey; client: RelayTestClient; vaultId: Uint8Array; scopeId: Uint8Array; author: Author }> {
  const owner = newIdentity();
  const client = await RelayTestClient.connectAs(url, owner);
  const vaultId = randomId();
  const scopeId = randomId();
  const reply = await client.register(vaultId);
  if (reply.type !== 'registered') throw new Error(`register failed: ${JSON.stringify(reply)}`);
  return { owner, client, vaultId, scopeId, author: new Author(owner, vaultId, scopeId) };
}

/** Someone who may become a member: a signing key and a box key. */
export function person(): { signing: SigningKey; identity: PublicIdentity } {
  const signing = newIdentity();
  const boxSecret = nodeSuite.randomBytes(32);
  return { signing, identity: { signPublicKey: signing.publicKey, boxPublicKey: nodeSuite.box.publicKeyFromSecret(boxSecret) } };
}

/** A vault with a membership log (a metadata scope and one environment), registered on the relay by `creator`. */
export async function sharedVault(url: string, creator: ReturnType<typeof person>): Promise<{ vaultId: Uint8Array; meta: string; dev: string; genesis: ReturnType<typeof createGenesis>; owner: RelayTestClient }> {
  const vaultId = nodeSuite.randomBytes(16);
  const [meta, dev] = [toHex(nodeSuite.randomBytes(16)), toHex(nodeSuite.randomBytes(16))];
  const genesis = createGenesis(nodeSuite, creator.signing, { vaultId, metaScope: meta, envScopes: [dev], creator: creator.identity, name: 'Alice' });
  const owner = await RelayTestClient.connectAs(url, creator.signing);
  const reply = await owner.request({ type: 'register', vaultId, genesis: genesis.bytes });
  if (reply.type !== 'registered') throw new Error(`register failed: ${JSON.stringify(reply)}`);
  return { vaultId, meta, dev, genesis, owner };
}
