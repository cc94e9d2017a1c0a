/**
 * Keeps one vault in step with its relay: pulls what others wrote (verified, opened and
 * stored as the same envelopes), pushes this device's changes, and hands the relay a
 * snapshot now and then so that new devices need not replay everything.
 *
 * Offline first: edits are made locally and pushed whenever a relay is reachable. A device
 * sharing its identity with another (a restored profile) may find its chain taken: it seals
 * the same change again as the next link and retries.
 */
import { equalBytes, fromHex, toBase64Url, toHex } from '../../src-shared/crypto/bytes';
import { ZERO_HASH, decodeEnvelope, envelopeHash } from '../../src-shared/envelope/envelope';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import { withProfileLock } from '../store/profile-lock';
import type { ScopeStore } from '../store/scope-store';
import type { Vault } from '../vaults/vault';
import { RelayClient, type Delivery } from './relay-client';
import { pullLog } from '../membership/log-sync';
import { bindEnvironmentNames } from '../membership/environment-names';
import { decodeEntry } from '../../src-shared/membership/entry';
import { accessScopeId } from '../../src-shared/membership/access-log';
import { cacheAccessPolicy, openAccessEnvelope } from '../membership/access-log';
import { readSyncState, scopeSync, writeSyncState, type SyncState } from './sync-state';

export interface SyncOptions {
  /** Upload a snapshot once this many changes went by since the last one. */
  snapshotEvery?: number;
  timeoutMs?: number;
}

export interface SyncSummary {
  readonly relay: string;
  pulled: number;
  pushed: number;
  /** Envelopes from the relay that failed verification and were skipped. */
  rejected: number;
  /**
   * Changes sealed under a newer key than the membership log here gives: the log is behind
   * what the relay served (a relay withholding a removal or rotation shows up this way).
   */
  behind: boolean;
  /**
   * The newest membership entry a change named that the relay would not hand over (it holds
   * it back), or 0. While set, this device pushes nothing: it would write under keys a
   * removal may have replaced.
   */
  withheldHead: number;
}

const CHAIN_TAKEN = new Set(['REPLAY', 'CHAIN_MISMATCH', 'COUNTER_GAP']);
/** Refusals of a signed change on its author's account (admission.ts): final, never waited for. */
const STEP_OVER = new Set(['AUTHOR_MAY_NOT_WRITE', 'WRONG_EPOCH', 'AFTER_REMOVAL', 'RECORD_AUTHOR_MISMATCH', 'FORK']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One device's sync session with the relay for one vault, over one connection. */
export class VaultSync {
  private queue: Delivery[] = [];
  /** The drain running or last run: drains go one after another, never two at once. */
  private draining: Promise<void> = Promise.resolve();
  /** A drain is due (a delivery landed) and has not started yet. */
  private drainDue = false;
  /** What the last drain started by a delivery failed with, for push() to throw. */
  private drainFailure: unknown = null;
  private stores = new Map<string, ScopeStore>();
  /** Scopes where a delivery failed verification: their cursor stays before it. */
  private readonly holes = new Set<string>();
  private readonly me: string;
  private readonly accessScope: string;
  readonly summary: SyncSummary;

  private constructor(
    private readonly vault: Vault,
    private readonly state: SyncState,
    private readonly client: RelayClient,
    private readonly opts: SyncOptions,
  ) {
    this.me = toBase64Url(vault.session.signingKey.publicKey);
    this.accessScope = toHex(accessScopeId(fromHex(vault.id)));
    this.summary = { relay: client.url, pulled: 0, pushed: 0, rejected: 0, behind: false, withheldHead: 0 };
    vault.holdUnpushed((scopeId) => scopeSync(state, scopeId).pushedLocal);
    client.onDelivery((d) => {
      this.queue.push(d);
      void this.drainSoon();
    });
    // A membership change (someone added, removed, keys rotated): take it in before the
    // envelopes sealed under it.
    client.onLog(() => void this.pullMembership().catch(() => undefined));
  }

  /** Brings the membership log (and with it the keyring) up to the relay's. */
  private async pullMembership(): Promise<void> {
    const log = this.vault.membership;
    if (!log) return;
    this.vault.setMembership(await pullLog(this.vault.session, this.client, this.vault.id, log));
  }

  /** Connects, registers the vault, pulls everything new, and returns with the subscription live. */
  static async start(vault: Vault, opts: SyncOptions = {}): Promise<VaultSync> {
    const state = await readSyncState(vault.session.home, vault.id);
    if (!state) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay: tessera vault relay ${vault.name} ws://HOST:PORT`);
    const client = await RelayClient.connect(state.relay, vault.session.suite, vault.session.signingKey, { timeoutMs: opts.timeoutMs ?? 10_000 });
    const sync = new VaultSync(vault, state, client, opts);
    try {
      await sync.subscribe();
    } catch (e) {
      client.close();
      throw e;
    }
    return sync;
  }

  get connected(): boolean {
    return this.client.isOpen;
  }

  onClose(handler: (reason: string) => void): void {
    this.client.onClose(handler);
  }

  close(): void {
    this.client.close();
  }

  private async subscribe(): Promise<void> {
    const vaultId = fromHex(this.vault.id);
    const genesis = this.vault.membership?.entries[0];
    // Only the creator registers the vault (idempotently); members who joined find it there.
    if (!genesis || equalBytes(decodeEntry(genesis).author, this.vault.session.signingKey.publicKey)) {
      try {
        await this.client.request({ type: 'register', vaultId, ...(genesis ? { genesis } : {}) }, 'registered');
      } catch (e) {
        // Someone else created it on the relay: fine if we are a member (subscribe will say).
        if (!(isTesseraError(e, 'RELAY_REJECTED') && e.details.relayCode === 'VAULT_EXISTS')) throw e;
      }
    }
    try {
      await this.pullMembership();
      await bindEnvironmentNames(this.vault, this.client);
      this.stores = await this.vault.scopeStores();
      const cursors = [...this.stores.keys()].map((id) => ({ scopeId: fromHex(id), since: scopeSync(this.state, id).cursor }));
      // The team access log: this device reads only its policy (reports are for owners and admins).
      if (this.vault.membership) cursors.push({ scopeId: accessScopeId(vaultId), since: scopeSync(this.state, this.accessScope).cursor });
      await this.client.request({ type: 'subscribe', vaultId, cursors }, 'synced');
    } catch (e) {
      if (isTesseraError(e, 'RELAY_REJECTED') && e.details.relayCode === 'NOT_A_MEMBER') {
        // What is here stays readable; nothing new will come.
        throw new TesseraError('NO_ACCESS', `You are no longer a member of ${this.vault.name || 'this vault'} (the relay refuses you): what this device holds stays, nothing new will sync`, { relayCode: 'NOT_A_MEMBER' });
      }
      throw e;
    }
    await this.drain(); // the backfill arrived before `synced`
  }

  /** Pushes this device's changes not yet on the relay, then snapshots where due. */
  async push(): Promise<number> {
    if (this.drainFailure !== null) {
      const e = this.drainFailure;
      this.drainFailure = null;
      throw e; // taking in a delivery failed: the caller reconnects and pulls again
    }
    await this.vault.refresh(); // changes other processes (a `tessera set`) made meanwhile
    // Someone wrote under a membership entry the relay will not show us: it may be a removal,
    // and writing under the keys we hold would hand the removed member what comes next.
    if (this.summary.withheldHead > (this.vault.membership?.state.head.seq ?? 0)) return 0;
    let pushed = 0;
    for (const [scopeId, store] of await this.vault.scopeStores()) {
      this.stores.set(scopeId, store);
      if (this.holes.has(scopeId)) continue; // behind on this scope: pull first (next sync)
      const ss = scopeSync(this.state, scopeId);
      for (const f of store.frames.filter((x) => x.origin === 'local' && x.author === this.me && x.counter > ss.pushedLocal)) {
        await this.pushOne(store, scopeId, f.bytes);
        ss.pushedLocal = f.counter;
        pushed++;
        await writeSyncState(this.vault.session.home, this.vault.id, this.state);
      }
      await this.maybeSnapshot(store, scopeId);
    }
    this.summary.pushed += pushed;
    return pushed;
  }

  private async pushOne(store: ScopeStore, scopeId: string, local: Uint8Array): Promise<void> {
    const ss = scopeSync(this.state, scopeId);
    for (let attempt = 0; ; attempt++) {
      const head = ss.relayHeads.get(this.me);
      const counter = (head?.counter ?? 0) + 1;
      const prevHash = head?.hash ?? ZERO_HASH;
      const env = decodeEnvelope(local);
      // On a single device the local chain is the relay chain: push the bytes as they are
      // (unless the scope's key was rotated since they were sealed).
      const bytes = env.counter === counter && equalBytes(env.prevHash, prevHash) && env.epoch === store.currentEpoch
        ? local
        : store.resealUpdate(local, this.vault.session.signingKey, counter, prevHash);
      try {
        const ack = await this.client.request({ type: 'push', envelope: bytes }, 'ack');
        ss.relayHeads.set(this.me, { counter, hash: envelopeHash(bytes) });
        if (ack.seq === ss.cursor + 1) ss.cursor = ack.seq; // nothing of anyone else's in between
        ss.sinceSnapshot++;
        return;
      } catch (e) {
        const code = isTesseraError(e) ? String(e.details.relayCode ?? '') : '';
        if (!CHAIN_TAKEN.has(code) || attempt >= 5) throw e;
        // Another device with this identity got there first: its envelopes are on their way
        // to us (we are subscribed); take them in, then try again as the next link.
        await sleep(100 * (attempt + 1));
        await this.drain();
      }
    }
  }

  private async maybeSnapshot(store: ScopeStore, scopeId: string): Promise<void> {
    const ss = scopeSync(this.state, scopeId);
    if (ss.cursor === 0 || ss.sinceSnapshot < (this.opts.snapshotEvery ?? 500)) return;
    const bytes = store.sealSnapshot(this.vault.session.signingKey, ss.relayHeads, ss.cursor);
    await this.client.request({ type: 'push', envelope: bytes }, 'ack');
    ss.sinceSnapshot = 0;
    await writeSyncState(this.vault.session.home, this.vault.id, this.state);
  }

  /**
   * A delivery landed: drain shortly (deliveries come in bursts), after any drain under way.
   * The due flag clears as the drain starts, so a delivery landing while one runs (even as it
   * saves the cursors) gets a drain of its own and never waits for a next that may not come.
   */
  private drainSoon(): void {
    if (this.drainDue) return;
    this.drainDue = true;
    const run = () => sleep(10).then(() => ((this.drainDue = false), this.drainNow()));
    this.draining = this.draining.then(run, run).catch((e: unknown) => {
      this.drainFailure ??= e;
    });
  }

  /** Applies the deliveries queued so far, after any drain under way. */
  drain(): Promise<void> {
    const run = () => this.drainNow();
    const done = this.draining.then(run, run);
    this.draining = done.catch(() => undefined);
    return done;
  }

  /** Applies queued deliveries under the profile lock, then saves the cursors. */
  private async drainNow(): Promise<void> {
    if (this.queue.length === 0) return;
    await this.catchUpWithHeads();
    await withProfileLock(this.vault.session.home, async () => {
      await this.vault.refresh();
      const snapshotted = new Set<ScopeStore>();
      while (this.queue.length) await this.apply(this.queue.shift()!, snapshotted);
      // A snapshot from the relay is only in memory so far: our own snapshot persists it.
      for (const s of snapshotted) await s.compact(this.vault.session.signingKey);
    });
    await writeSyncState(this.vault.session.home, this.vault.id, this.state);
  }

  /**
   * A change names the membership head it was written under: one past ours means entries we
   * have not seen (someone was added, removed, or keys rotated). Take them in before applying
   * it (outside the profile lock: pulling the log takes it). If the relay does not hand them
   * over, it is holding them back: apply() keeps those changes out and push() stops.
   */
  private async catchUpWithHeads(): Promise<void> {
    const ours = this.vault.membership?.state.head.seq;
    if (ours === undefined) return;
    let newest = 0;
    for (const d of this.queue) {
      try {
        newest = Math.max(newest, decodeEnvelope(d.envelope).logHead.seq);
      } catch {
        // apply() refuses what does not decode
      }
    }
    if (newest > ours) await this.pullMembership();
  }

  /** An access-log envelope: keeps the newest policy, so that reveals know whether to report. */
  private async applyAccess(d: Delivery): Promise<void> {
    const log = this.vault.membership;
    if (log) {
      try {
        const { record } = openAccessEnvelope(this.vault.session, log, d.envelope);
        if (record.kind === 'policy') await cacheAccessPolicy(this.vault.session.home, this.vault.id, record.policy);
      } catch (e) {
        if (!isTesseraError(e)) throw e;
        this.summary.rejected++;
      }
    }
    const ss = scopeSync(this.state, this.accessScope);
    ss.cursor = Math.max(ss.cursor, d.seq);
  }

  private async apply(d: Delivery, snapshotted: Set<ScopeStore>): Promise<void> {
    const scopeId = toHex(d.scopeId);
    // After a refused delivery, later ones of that scope wait for the next sync, which asks
    // again from before the hole: the cursor never moves past a change we do not have.
    if (this.holes.has(scopeId)) return;
    if (scopeId === this.accessScope) return this.applyAccess(d);
    const store = this.stores.get(scopeId) ?? (await this.vault.scopeStore(scopeId));
    if (!store) return; // a scope this profile has no key for: not ours to read
    this.stores.set(scopeId, store);
    const ss = scopeSync(this.state, scopeId);
    let snapshot = false;
    try {
      const env = decodeEnvelope(d.envelope);
      snapshot = env.kind === 'snapshot';
      if (env.epoch > store.currentEpoch) this.summary.behind = true;
      // Before opening it: a change under an entry we lack is likely sealed under keys it gave.
      const ours = this.vault.membership?.state.head.seq;
      if (ours !== undefined && env.logHead.seq > ours) {
        throw new TesseraError('MEMBERSHIP_BEHIND', `A change names membership entry ${env.logHead.seq}, past ours (${ours})`, { seq: env.logHead.seq });
      }
      if (env.kind === 'snapshot') {
        if (d.seq <= ss.cursor) return;
        for (const [a, h] of store.applyReceivedSnapshot(d.envelope)) {
          const known = ss.relayHeads.get(a);
          if (!known || h.counter > known.counter) ss.relayHeads.set(a, h);
        }
        snapshotted.add(store);
      } else {
        // The relay checked the author's right to write; the store checks it again from the
        // log we verified ourselves, at the head the author wrote under (admission.ts).
        const author = toBase64Url(env.author);
        const known = ss.relayHeads.get(author);
        // Our own change coming back: its content is here already.
        if (!(author === this.me && known && env.counter <= known.counter)) {
          const result = await store.appendReceived(d.envelope);
          if (result === 'stored') this.summary.pulled++;
          // A change this profile made before it was copied to another device, which pushed
          // it: the same bytes, so it is on the relay and need not be pushed again.
          if (result === 'local' && author === this.me) ss.pushedLocal = Math.max(ss.pushedLocal, env.counter);
        }
        if (!known || env.counter > known.counter) ss.relayHeads.set(author, { counter: env.counter, hash: envelopeHash(d.envelope) });
      }
    } catch (e) {
      if (isTesseraError(e, 'MEMBERSHIP_BEHIND')) {
        // Written under an entry the relay would not hand over: wait for it (the cursor stays).
        this.summary.withheldHead = Math.max(this.summary.withheldHead, Number(e.details.seq));
        this.holes.add(scopeId);
        return;
      }
      // A relay can drop or delay, never forge: anything that fails its checks is refused.
      if (!isTesseraError(e) || !['TAMPERED', 'MALFORMED', 'NO_ACCESS', 'UNSUPPORTED_VERSION', 'LOG_FORKED'].includes(e.code)) throw e;
      this.summary.rejected++;
      // A change its author may not have made (signed, so it is theirs, not the relay's) is
      // not ours to wait for: step over it. Anything else (altered bytes) is a change we
      // lack, so the cursor stays before it. So does a refused snapshot: stepping over it
      // would skip everything it covers.
      if (snapshot || !STEP_OVER.has(String(e.details.reason))) {
        this.holes.add(scopeId);
        return;
      }
      // The relay's chain of that author moved on all the same: a removal pins it from here.
      const env = decodeEnvelope(d.envelope);
      const author = toBase64Url(env.author);
      const known = ss.relayHeads.get(author);
      if (!known || env.counter > known.counter) ss.relayHeads.set(author, { counter: env.counter, hash: envelopeHash(d.envelope) });
    }
    ss.cursor = Math.max(ss.cursor, d.seq);
    ss.sinceSnapshot++;
  }
}
