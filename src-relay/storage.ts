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
 */

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

export type AppendResult =
  | { readonly ok: true; readonly seq: number }
  /** The author's head or the scope's epoch moved since the relay looked: check again. */
  | { readonly ok: false };

export interface RelayStorage {
  /** Each vault's membership log and what follows from it (membership.ts). */
  readonly memberships: Memberships;
  getVault(vaultId: Uint8Array): Promise<VaultRecord | undefined>;
  /**
   * Creates the vault with `owner` as its only member (role owner), unless it exists.
   * Returns the vault as stored, so a caller that lost a race sees the winner's owner.
   */
  createVault(vaultId: Uint8Array, owner: Uint8Array, createdAt: number): Promise<VaultRecord>;
  memberRole(vaultId: Uint8Array, publicKey: Uint8Array): Promise<Role | undefined>;

  scope(vaultId: Uint8Array, scopeId: Uint8Array): Promise<ScopeState | undefined>;
  /** Every scope of the vault that has had an envelope. */
  scopes(vaultId: Uint8Array): Promise<ScopeState[]>;
  chainHead(vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array): Promise<ChainHead | undefined>;
  /** The stored update at (author, counter), unless never stored or pruned by a snapshot. */
  findUpdate(vaultId: Uint8Array, scopeId: Uint8Array, author: Uint8Array, counter: number): Promise<{ seq: number; hash: Uint8Array } | undefined>;

  /**
   * In one durable transaction, each in turn: assigns the scope's next sequence number, stores
   * the bytes and moves the author's head. Refuses one ({ ok: false }) unless the author's head
   * counter is then `counter - 1` and the scope's epoch `epoch` (or the scope is new); the others
   * go on, so an update right after a refused one of the same chain is refused too. Resolves
   * with one result per update, in order, once the transaction is durable. Several updates per
   * transaction let the relay pay one fsync for all the pushes waiting at that moment.
   */
  appendUpdates(updates: readonly NewUpdate[]): Promise<AppendResult[]>;
  /**
   * In one durable transaction: if `covers` is above the scope's current snapshot, stores
   * this one instead and deletes the envelopes with seq <= covers. Returns whether it was
   * stored. The caller has checked 1 <= covers <= lastSeq, which stays true (lastSeq only grows).
   */
  putSnapshot(vaultId: Uint8Array, scopeId: Uint8Array, covers: number, bytes: Uint8Array): Promise<boolean>;
  latestSnapshot(vaultId: Uint8Array, scopeId: Uint8Array): Promise<StoredSnapshot | undefined>;
  /**
   * Stored envelopes with seq > since, in order: at most `page.count` of them, and no more
   * once `page.bytes` is reached (but always at least one, if there is one).
   */
  envelopesAfter(vaultId: Uint8Array, scopeId: Uint8Array, since: number, page: { count: number; bytes: number }): Promise<StoredEnvelope[]>;

  counts(): Promise<{ vaults: number }>;
  close(): Promise<void>;
}
