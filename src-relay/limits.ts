/**
 * The relay's answers to abuse: how big a frame, how many messages, how many sockets, how
 * long a socket may stay silent, how much one vault or key may store, how many vaults a key
 * or an address may register. Every limit is configurable; the defaults suit one team's
 * relay on a small machine.
 */
import { DEFAULT_MAX_FRAME_BYTES } from '../src-shared/protocol/messages';

export interface RelayLimits {
  /** Largest WebSocket message accepted (and so largest envelope); ws closes with 1009 above it. */
  readonly maxFrameBytes: number;
  /** Open sockets, all addresses together. */
  readonly maxConnections: number;
  /**
   * Open sockets from one remote address. Behind a reverse proxy every client shares the
   * proxy's address: raise this there.
   */
  readonly maxConnectionsPerAddress: number;
  /** Token bucket per socket: sustained messages per second… */
  readonly messagesPerSecond: number;
  /** …and the burst it allows. */
  readonly messageBurst: number;
  /** A socket that has not authenticated by then is closed. */
  readonly authTimeoutMs: number;
  /** How often the relay pings; a socket that missed the previous pong is dropped. */
  readonly pingIntervalMs: number;
  /**
   * Requests from one socket received and not yet answered before the relay stops reading it;
   * also the most of its pipelined pushes that are checked at once.
   */
  readonly maxQueuedRequests: number;
  /**
   * Bytes waiting to go out to one socket before a live delivery drops it (it resumes with
   * its cursors). Backfill waits for the socket instead.
   */
  readonly maxBufferedBytes: number;
  /** On shutdown, how long requests already received may take to finish. */
  readonly shutdownGraceMs: number;
  /** Bytes one vault may keep: its envelopes, snapshots and membership log (storage.ts: Quotas). */
  readonly maxVaultBytes: number;
  /** Bytes the changes signed by one key may take, across every vault. */
  readonly maxKeyBytes: number;
  /** Vaults one key may register (registration.ts). */
  readonly maxVaultsPerKey: number;
  /**
   * New vaults one address (an IPv6 /64) may register per hour, and in a burst. Behind a
   * reverse proxy every client shares the proxy's address: raise this there.
   */
  readonly registrationsPerHour: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxConnections: 1000,
  maxConnectionsPerAddress: 64,
  messagesPerSecond: 200,
  messageBurst: 400,
  authTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  maxQueuedRequests: 64,
  maxBufferedBytes: 64 * 1024 * 1024,
  shutdownGraceMs: 5_000,
  // A vault of 10,000 secrets in three environments, three versions each, is a few MB with
  // its history; a gigabyte leaves room for years of changes between snapshots, and stops
  // one registration from filling the disk.
  maxVaultBytes: 1024 ** 3,
  // A member of several large vaults, never the whole disk for one fresh key.
  maxKeyBytes: 2 * 1024 ** 3,
  // A person or a team has tens of vaults; each is registered once, by its creator.
  maxVaultsPerKey: 100,
  registrationsPerHour: 20,
};

/** The defaults with `overrides` applied; throws on a value that is not a positive number. */
export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof RelayLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`Unknown relay limit ${key}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`Relay limit ${key} must be a positive number`);
    (limits as Record<keyof RelayLimits, number>)[key] = value;
  }
  if (limits.maxFrameBytes < 1024) throw new RangeError('Relay limit maxFrameBytes must be at least 1024');
  return limits;
}

/** Classic token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
