/**
 * The relay's side of the membership log. It stores and serves each vault's log, appends an
 * entry only if it extends the current head by the log's own rules (applyEntry: signature,
 * link, the author's right to make that change), and derives from it who may read and write
 * what, and each scope's current epoch. It cannot forge an entry: clients verify the chain
 * from the genesis their invite pinned, so all the relay could do is refuse or withhold.
 */
import { nodeSuite } from '../src-node/crypto/node-suite';
import { toHex } from '../src-shared/crypto/bytes';
import { isTesseraError } from '../src-shared/errors';
import { applyEntry, genesisState } from '../src-shared/membership/chain';
import { decodeEntry } from '../src-shared/membership/entry';
import { readJoinRequest } from '../src-shared/membership/invite';
import { currentMember, type MembershipState } from '../src-shared/membership/state';
import { RelayFailure } from './access';
import { LruMap } from './lru';
import { quotaFailure } from './quota';
import type { OverQuota, Quotas } from './storage';

/** How long a join request waits for a manager. */
const JOIN_REQUEST_TTL_MS = 30 * 86_400_000;
/** Vaults whose membership state is kept in memory by default (the others are rebuilt on use). */
export const DEFAULT_CACHED_VAULTS = 10_000;

/** A genesis entry that passed checkGenesis. */
export interface CheckedGenesis {
  readonly bytes: Uint8Array;
  readonly state: MembershipState;
  readonly creator: Uint8Array;
}

export interface MembershipStore {
  /** Entries with seq >= from, in order; a long log comes in pages (ask again after the last). */
  logEntries(vaultId: Uint8Array, from: number): Promise<Uint8Array[]>;
  /**
   * Stores the entry and charges its bytes to the vault and to `author`, in one transaction.
   * Refused when an entry already holds `seq` (another append won), or (over) when it would
   * take the vault or the author past `quotas`.
   */
  appendLogEntry(vaultId: Uint8Array, seq: number, bytes: Uint8Array, author: Uint8Array, quotas: Quotas): Promise<{ ok: true } | { ok: false; over?: OverQuota }>;
  /** Keeps the newest requests per vault (a relay is not a mailbox): a stranger may send them. */
  putJoinRequest(vaultId: Uint8Array, joiner: Uint8Array, bytes: Uint8Array, at: number): Promise<void>;
  joinRequests(vaultId: Uint8Array, notBefore: number): Promise<Uint8Array[]>;
}

/**
 * Each vault's verified membership state, rebuilt from its stored log on use. Only vaults
 * with a log are kept, and only the most recently used `cachedVaults` of them: anyone may ask
 * about any vault id (a join, a log fetch), and a cache of every id asked about grows without
 * bound. An evicted state is rebuilt from the log, which is the truth; the cache only saves
 * checking its signatures again.
 */
export class Memberships {
  private readonly states: LruMap<string, MembershipState>;
  /** Moves on every change to a cached state: a rebuild that raced one is not cached. */
  private generation = 0;

  constructor(
    private readonly store: MembershipStore,
    cachedVaults = DEFAULT_CACHED_VAULTS,
  ) {
    this.states = new LruMap(cachedVaults);
  }

  /** How many vaults' states are in memory. */
  get cachedVaults(): number {
    return this.states.size;
  }

  /** The state of a vault with a log; null for an unknown vault or one registered without (before sharing). */
  async state(vaultId: Uint8Array): Promise<MembershipState | null> {
    const key = toHex(vaultId);
    const cached = this.states.get(key);
    if (cached) return cached;
    const generation = this.generation;
    let state: MembershipState | null = null;
    // Page by page until one comes back empty: a store may return fewer than asked for.
    for (let entries = await this.store.logEntries(vaultId, 0); entries.length > 0; entries = await this.store.logEntries(vaultId, state!.head.seq + 1)) {
      for (const e of entries) state = state ? applyEntry(nodeSuite, state, e) : genesisState(nodeSuite, e);
    }
    // An append that landed while the log was read may be missing from this state: answer
    // with it (it was true when asked) but let the next use read the log again.
    if (state && generation === this.generation) this.states.set(key, state);
    return state;
  }

  private remember(vaultId: Uint8Array, state: MembershipState | undefined): void {
    this.generation++;
    if (state) this.states.set(toHex(vaultId), state);
    else this.states.delete(toHex(vaultId));
  }

  /**
   * Forgets a vault's cached state (every vault's, without an id): another relay process
   * appended to its log, so the next use reads the log again.
   */
  forget(vaultId?: Uint8Array): void {
    if (vaultId) return this.remember(vaultId, undefined);
    this.generation++;
    this.states.clear();
  }

  /** Checks that `genesis` starts a log of `vaultId` created by `registrant`. Throws MEMBERSHIP_REFUSED. */
  checkGenesis(vaultId: Uint8Array, registrant: Uint8Array, genesis: Uint8Array): CheckedGenesis {
    let state: MembershipState;
    try {
      state = genesisState(nodeSuite, genesis);
    } catch (e) {
      throw new RelayFailure('MEMBERSHIP_REFUSED', isTesseraError(e) ? e.message : 'Not a genesis entry');
    }
    if (toHex(state.vaultId) !== toHex(vaultId) || currentMember(state, registrant)?.role !== 'owner') {
      throw new RelayFailure('MEMBERSHIP_REFUSED', 'The genesis names another vault or another creator');
    }
    return { bytes: genesis, state, creator: registrant };
  }

  /**
   * Stores a checked genesis as the vault's log, charged to its creator, unless the vault has
   * one; VAULT_EXISTS when that one is another. The caller has checked the vault is the creator's.
   */
  async register(vaultId: Uint8Array, genesis: CheckedGenesis, quotas: Quotas): Promise<MembershipState> {
    let existing = await this.state(vaultId);
    if (!existing) {
      const stored = await this.store.appendLogEntry(vaultId, 0, genesis.bytes, genesis.creator, quotas);
      if (stored.ok) {
        this.remember(vaultId, genesis.state);
        return genesis.state;
      }
      if (stored.over) throw quotaFailure(stored.over);
      existing = await this.state(vaultId); // another registration stored one first
    }
    if (!existing || toHex(existing.genesisHash) !== toHex(genesis.state.genesisHash)) throw new RelayFailure('VAULT_EXISTS', 'This vault id has another genesis');
    return existing;
  }

  /** Appends an entry that extends the head by the log's rules, charged to its author; returns its seq. */
  async append(vaultId: Uint8Array, entry: Uint8Array, quotas: Quotas): Promise<number> {
    const state = await this.state(vaultId);
    if (!state) throw new RelayFailure('UNKNOWN_VAULT', 'This vault has no membership log on this relay');
    let next: MembershipState;
    try {
      next = applyEntry(nodeSuite, state, entry);
    } catch (e) {
      throw new RelayFailure('MEMBERSHIP_REFUSED', isTesseraError(e) ? `${e.message} (${String(e.details.reason ?? e.code)})` : 'Refused');
    }
    const stored = await this.store.appendLogEntry(vaultId, next.head.seq, entry, decodeEntry(entry).author, quotas);
    if (!stored.ok && stored.over) throw quotaFailure(stored.over);
    if (!stored.ok) {
      this.remember(vaultId, undefined); // someone else appended: reload and let the client retry
      throw new RelayFailure('MEMBERSHIP_REFUSED', 'The log moved on; fetch it and try again');
    }
    this.remember(vaultId, next);
    return next.head.seq;
  }

  entries(vaultId: Uint8Array, from: number): Promise<Uint8Array[]> {
    return this.store.logEntries(vaultId, from);
  }

  /** Stores a join request after checking it parses and is signed by the key it names. */
  async requestJoin(vaultId: Uint8Array, bytes: Uint8Array): Promise<void> {
    if (!(await this.state(vaultId))) throw new RelayFailure('UNKNOWN_VAULT', 'No such vault on this relay');
    let joiner: Uint8Array;
    try {
      const req = readJoinRequest(nodeSuite, bytes);
      if (toHex(req.vaultId) !== toHex(vaultId)) throw new Error('another vault');
      joiner = req.identity.signPublicKey;
    } catch {
      throw new RelayFailure('BAD_ENVELOPE', 'Not a join request for this vault');
    }
    await this.store.putJoinRequest(vaultId, joiner, bytes, Date.now());
  }

  /**
   * The waiting requests, for a person who is a member: managers approve joiners, and every
   * member links their own devices through the same requests (a new device's request answers
   * the person's device invite). A request shows public keys and sealed bytes only; what may
   * be appended for it is decided by the log's rules, not here.
   */
  async joinRequests(vaultId: Uint8Array, asker: Uint8Array): Promise<Uint8Array[]> {
    const state = await this.state(vaultId);
    const me = state && currentMember(state, asker);
    if (!me || me.machine) throw new RelayFailure('NOT_A_MEMBER', 'Only the vault’s members see join requests');
    const joined = new Set([...state.members.keys()]);
    const requests = await this.store.joinRequests(vaultId, Date.now() - JOIN_REQUEST_TTL_MS);
    return requests.filter((b) => !joined.has(toHex(readJoinRequest(nodeSuite, b).identity.signPublicKey)));
  }
}
