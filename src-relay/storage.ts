/**
 * What the relay keeps, behind one interface: SQLite (sqlite-storage.ts) by default, and
 * room for a PostgreSQL backend for deployments that outgrow one machine.
 *
 * The relay is blind, so this is all metadata plus opaque sealed bytes: vault and scope ids,
 * public keys, per-scope sequence numbers, each author's hash chain, and the envelopes.
 *
 * Every method returns a promise even though better-sqlite3 answers synchronously: a network
 * database cannot, and the relay's logic should not change when one arrives. Because another
 * relay process may share such a database, the two writes carry their own preconditions and
 * re-check them inside their transaction (see appendUpdates and putSnapshot).
 *
 * Quotas are the same kind of precondition. A backend keeps each vault's and each key's stored
 * bytes (envelopes, snapshots, membership log entries; see Quotas) in the database, moved in
 * the transaction that stores or deletes the bytes, and every write checks the quotas the
 * relay passes it against those totals inside that transaction: pushes racing each other, or
 * another relay process, cannot overshoot. Bytes a snapshot prunes are credited back.
 */

import { toHex } from '../src-shared/crypto/bytes';
import type { Memberships } from './membership';
export type Role = 'owner' | 'admin' | 'editor' | 'viewer';

export interface VaultRecord {
  readonly id: Uint8Array;
  /** The key that registered the vault. */
  readonly owner: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface ScopeState {
  readonly scopeId: Uint8Array;
  /** The highest sequence number assigned in this scope (sequence numbers start at 1). */
  readonly lastSeq: number;
  /** The epoch every envelope of this scope must carry: set by its first accepted envelope. */
  readonly epoch: number;
}

/** An author's place in their per-scope hash chain; kept after the envelopes are pruned. */
export interface ChainHead {
  readonly counter: number;
  /** envelopeHash of the author's last accepted update: the next one's prevHash. */
  readonly hash: Uint8Array;
  /** The sequence number that update was given. */
  readonly seq: number;
}

export interface StoredEnvelope {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export interface StoredSnapshot {
  /** The sequence number the snapshot covers up to (inclusive). */
  readonly covers: number;
  readonly bytes: Uint8Array;
}

/** An update the relay has checked and wants to store. */
export interface NewUpdate {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  readonly author: Uint8Array;
  readonly counter: number;
  readonly epoch: number;
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
}

/** A snapshot the relay has checked and wants to store. */
export interface NewSnapshot {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
  /** Who signed it: charged for its bytes. */
  readonly author: Uint8Array;
  /** The sequence number it covers up to (inclusive). */
  readonly covers: number;
  readonly bytes: Uint8Array;
}

/**
 * What the relay lets one vault and one key keep (limits.ts). A vault's bytes are its
 * envelopes, snapshots and membership log; a key's are those it signed, in every vault.
 */
export interface Quotas {
  readonly maxVaultBytes: number;
  readonly maxKeyBytes: number;
}

/** A write refused because it would take a vault's or a key's stored bytes past its quota. */
export interface OverQuota {
  readonly quota: 'vault' | 'key';
  readonly limit: number;
  /** Stored before the write. */
  readonly used: number;
  /** What the write would add (net of what it frees). */
  readonly adding: number;
}

/** One key's share of a write: bytes added (positive) or freed (negative). Null: freed bytes of no known author. */
export interface Charge {
  readonly key: Uint8Array | null;
  readonly bytes: number;
}

/** A write's charges summed: the vault's total, and each key's (in byte order, the order backends lock them in). */
export function sumCharges(charges: readonly Charge[]): { total: number; perKey: { key: Uint8Array; bytes: number }[] } {
  const perKey = new Map<string, { key: Uint8Array; bytes: number }>();
  let total = 0;
  for (const c of charges) {
    total += c.bytes;
    if (!c.key) continue;
    const k = toHex(c.key);
    perKey.set(k, { key: c.key, bytes: (perKey.get(k)?.bytes ?? 0) + c.bytes });
  }
  return { total, perKey: [...perKey.entries()].sort(([a], [z]) => (a < z ? -1 : 1)).map(([, k]) => k) };
}

/** The refusal when `adding` would take `used` past `limit`; only growth is ever refused. */
export function overQuota(quota: OverQuota['quota'], limit: number, used: number, adding: number): OverQuota | undefined {
  return adding > 0 && used + adding > limit ? { quota, limit, used, adding } : undefined;
}

export type AppendResult =
  | { readonly ok: true; readonly seq: number }
  /**
   * Without `over`: the author's head or the scope's epoch moved since the relay looked, check
   * again. With it: storing it would exceed a quota.
   */
  | { readonly ok: false; readonly over?: OverQuota };

export type SnapshotResult =
  /** stored: false when the scope already has a snapshot covering as much. */
  | { readonly ok: true; readonly stored: boolean }
  | { readonly ok: false; readonly over: OverQuota };

export type CreateVaultResult =
  /** The vault as stored: a caller that lost a race sees the winner's owner. */
  | { readonly ok: true; readonly vault: VaultRecord; readonly created: boolean }
  /** The owner has registered `limit` vaults already. */
  | { readonly ok: false; readonly limit: number };

/**
 * What another relay process sharing the database has committed: an update (its bytes are in
 * the store under `seq`) or a membership log entry. `at`: when it committed, in the
 * database's clock (milliseconds), for the fan-out lag.
 */
export type Notice =
  | { readonly kind: 'update'; readonly vaultId: Uint8Array; readonly scopeId: Uint8Array; readonly seq: number; readonly at: number }
  | { readonly kind: 'log'; readonly vaultId: Uint8Array; readonly seq: number; readonly at: number };

export interface NoticeHandlers {
  notice(n: Notice): void;
  /**
   * Listening started again after a break (the database restarted, the connection dropped):
   * notices of that time are lost, so what they would have said must be read from the store.
   */
  resumed(): void;
}

export interface RelayStorage {
  /** Each vault's membership log and what follows from it (membership.ts). */
  readonly memberships: Memberships;
  /**
   * For a database several relay processes share (PostgreSQL): calls `handlers` with what the
   * others commit, until close. Absent for a backend only one process can open (SQLite).
   */
  listen?(handlers: NoticeHandlers): Promise<void>;
  getVault(vaultId: Uint8Array): Promise<VaultRecord | undefined>;
  /**
   * Creates the vault with `owner` as its only member (role owner), unless it exists, and
   * unless `owner` already owns `maxVaultsPerKey` vaults (counted in the same transaction).
   */
  createVault(vaultId: Uint8Array, owner: Uint8Array, createdAt: number, maxVaultsPerKey: number): Promise<CreateVaultResult>;
  memberRole(vaultId: Uint8Array, publicKey: Uint8Array): Promise<Role | undefined>;

  scope(vaultId: Uint8Array, scopeId: Uint8Array): Promise<ScopeState | undefined>;
  /** Every scope of the vault that has had an envelope. */
  scopes(vaultId: Uint8Array): Promise<ScopeState[]>;
  chainHead(vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array): Promise<ChainHead | undefined>;
  /** The stored update at (author, counter), unless never stored or pruned by a snapshot. */
  findUpdate(vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array, counter: number): Promise<{ seq: number; hash: Uint8Array } | undefined>;

  /**
   * In one durable transaction, each in turn: assigns the scope's next sequence number, stores
   * the bytes, moves the author's head and charges the bytes to the vault and the author.
   * Refuses one ({ ok: false }) unless the author's head counter is then `counter - 1` and the
   * scope's epoch `epoch` (or the scope is new), or ({ ok: false, over }) if it would take the
   * vault or the author past `quotas`; the others go on, so an update right after a refused one
   * of the same chain is refused too. Resolves with one result per update, in order, once the
   * transaction is durable. Several updates per transaction let the relay pay one fsync for all
   * the pushes waiting at that moment.
   */
  appendUpdates(updates: readonly NewUpdate[], quotas: Quotas): Promise<AppendResult[]>;
  /**
   * In one durable transaction: if `covers` is above the scope's current snapshot, stores
   * this one instead and deletes the envelopes with seq <= covers, crediting their bytes and
   * the replaced snapshot's to their authors and charging this one's to its author; refused
   * (over) if that leaves the vault or the author past `quotas` and holding more than before.
   * The caller has checked 1 <= covers <= lastSeq, which stays true (lastSeq only grows).
   */
  putSnapshot(snapshot: NewSnapshot, quotas: Quotas): Promise<SnapshotResult>;
  latestSnapshot(vaultId: Uint8Array, scopeId: Uint8Array): Promise<StoredSnapshot | undefined>;
  /**
   * Stored envelopes with seq > since, in order: at most `page.count` of them, and no more
   * once `page.bytes` is reached (but always at least one, if there is one).
   */
  envelopesAfter(vaultId: Uint8Array, scopeId: Uint8Array, since: number, page: { count: number; bytes: number }): Promise<StoredEnvelope[]>;

  /** Bytes the vault holds, as the quota counts them. */
  vaultBytes(vaultId: Uint8Array): Promise<number>;
  /** Bytes signed by `key` held in every vault, as the quota counts them. */
  keyBytes(key: Uint8Array): Promise<number>;

  counts(): Promise<{ vaults: number }>;
  close(): Promise<void>;
}
