/**
 * The relay's settings and command-line flags, apart from the server itself so that the
 * `tessera` CLI can declare `tessera relay` without loading ws and SQLite on every start.
 */
import { TesseraError } from '../src-shared/errors';
import type { RelayLimits } from './limits';

export const RELAY_DEFAULTS = { host: '127.0.0.1', port: 8787, db: './tessera-relay.db' } as const;

export interface StartRelayOptions {
  readonly host?: string;
  /** 0 picks a free port; the listening line and `port` say which. */
  readonly port?: number;
  /** The SQLite file (created if missing). */
  readonly db?: string;
  readonly limits?: Partial<RelayLimits>;
  /** Vaults whose membership state stays in memory (storage: Memberships). */
  readonly cachedVaults?: number;
  /** Behind a proxy: a connection's address is the last one in X-Forwarded-For (limits.ts counts per address). */
  readonly trustProxy?: boolean;
  /** Where the relay's per-connection log lines go. Default: stderr. */
  readonly log?: (line: string) => void;
  /** Where the listening line goes. Default: stdout. */
  readonly out?: (line: string) => void;
}

/** The command-line flags both entry points accept, as strings (or undefined when absent). */
export interface RelayFlags {
  readonly host?: string;
  readonly port?: string;
  readonly db?: string;
  readonly maxFrameBytes?: string;
  readonly maxConnections?: string;
  readonly messagesPerSecond?: string;
  readonly messageBurst?: string;
  readonly maxVaultBytes?: string;
  readonly maxKeyBytes?: string;
  readonly maxVaultsPerKey?: string;
  readonly registrationsPerHour?: string;
  readonly cachedVaults?: string;
  readonly trustProxy?: boolean;
}

/** The flags' help, shared by `tessera relay` and the standalone bundle. */
export const RELAY_FLAG_HELP = {
  maxVaultBytes: 'bytes one vault may store: envelopes, snapshots, membership log (default 1 GiB)',
  maxKeyBytes: 'bytes the changes one key signed may take, across vaults (default 2 GiB)',
  maxVaultsPerKey: 'vaults one key may register (default 100)',
  registrationsPerHour: 'new vaults one address (IPv6: /64) may register per hour (default 20)',
  cachedVaults: 'vaults whose membership state stays in memory (default 10000)',
  trustProxy: 'behind a reverse proxy or load balancer: take each connection’s address from the last X-Forwarded-For entry (only when every connection comes through the proxy)',
} as const;

function integer(value: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new TesseraError('INVALID_INPUT', `${flag} must be an integer from ${min} to ${max}`);
  return n;
}

/** Checks the flags; throws INVALID_INPUT naming the bad one. */
export function relayOptionsFromFlags(flags: RelayFlags): StartRelayOptions {
  const limits: { -readonly [K in keyof RelayLimits]?: RelayLimits[K] } = {};
  if (flags.maxFrameBytes !== undefined) limits.maxFrameBytes = integer(flags.maxFrameBytes, '--max-frame-bytes', 1024, 2 ** 31);
  if (flags.maxConnections !== undefined) limits.maxConnections = integer(flags.maxConnections, '--max-connections', 1, 1_000_000);
  if (flags.messagesPerSecond !== undefined) limits.messagesPerSecond = integer(flags.messagesPerSecond, '--messages-per-second', 1, 1_000_000);
  if (flags.messageBurst !== undefined) limits.messageBurst = integer(flags.messageBurst, '--message-burst', 1, 1_000_000);
  if (flags.maxVaultBytes !== undefined) limits.maxVaultBytes = integer(flags.maxVaultBytes, '--max-vault-bytes', 1024, Number.MAX_SAFE_INTEGER);
  if (flags.maxKeyBytes !== undefined) limits.maxKeyBytes = integer(flags.maxKeyBytes, '--max-key-bytes', 1024, Number.MAX_SAFE_INTEGER);
  if (flags.maxVaultsPerKey !== undefined) limits.maxVaultsPerKey = integer(flags.maxVaultsPerKey, '--max-vaults-per-key', 1, 1_000_000);
  if (flags.registrationsPerHour !== undefined) limits.registrationsPerHour = integer(flags.registrationsPerHour, '--registrations-per-hour', 1, 1_000_000);
  return {
    host: flags.host ?? RELAY_DEFAULTS.host,
    port: flags.port === undefined ? RELAY_DEFAULTS.port : integer(flags.port, '--port', 0, 65535),
    // A PostgreSQL URL may carry a password: TESSERA_RELAY_DB keeps it out of the process list.
    db: flags.db ?? process.env.TESSERA_RELAY_DB ?? RELAY_DEFAULTS.db,
    limits,
    ...(flags.cachedVaults === undefined ? {} : { cachedVaults: integer(flags.cachedVaults, '--cached-vaults', 1, 10_000_000) }),
    ...(flags.trustProxy ? { trustProxy: true } : {}),
  };
}

