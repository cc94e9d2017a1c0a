/**
 * An open vault: its metadata scope and the values scopes this profile holds keys for,
 * each backed by a ScopeStore. Every edit runs under the profile lock, first catching up
 * with what other processes wrote, and becomes one envelope per scope it touched.
 */
import { promises as fs } from 'node:fs';
import { fromHex, toBase64Url, toHex } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { MetaScope } from '../../src-shared/vault/meta-scope';
import type { Author, Environment } from '../../src-shared/vault/types';
import { ValuesScope } from '../../src-shared/vault/values-scope';
import { currentEpoch } from '../profile/keyring';
import { profilePaths } from '../profile/paths';
import type { Session } from '../profile/profile';
import { withProfileLock } from '../store/profile-lock';
import { ScopeStore, type ScopeKeys, type StoreProblem } from '../store/scope-store';
import { recordKeyFromDeviceKey } from '../store/verified-records';
import { readPushedCounters } from '../store/unpushed';
import { readNewerVaultLog, readVaultLog, type VaultLog } from '../membership/vault-log';
import { canWrite, currentMember, memberByMemberId } from '../../src-shared/membership/state';
import { NO_LOG_HEAD, type LogHeadRef } from '../../src-shared/envelope/envelope';
import { deviceName, environmentNames, memberName } from '../../src-shared/membership/keys';
import { admitFrom } from './admission';

// Keys are looked up through the session each time: the keyring object is replaced (and
// the old one wiped) whenever another vault or key is added.
function scopeKeys(session: Session, vaultId: string, scopeId: string, membershipHead: () => LogHeadRef): ScopeKeys {
  const keys = () => session.keys.vaults.get(vaultId);
  return {
    membershipHead,
    key: (epoch) => keys()?.scopes.get(scopeId)?.get(epoch),
    current: () => {
      const k = keys();
      const c = k && currentEpoch(k, scopeId);
      if (!c) throw new TesseraError('NO_ACCESS', 'This profile holds no key for that scope');
      return c;
    },
  };
}

export interface EnvironmentScope {
  readonly environment: Environment;
  readonly values: ValuesScope;
}

export class Vault {
  private readonly envStores = new Map<string, ScopeStore>();
  private pushedLocal: ((scopeId: string) => number) | null = null;

  private constructor(
    readonly session: Session,
    readonly id: string,
    private readonly metaStore: ScopeStore,
    readonly meta: MetaScope,
    /** The verified membership log (null for a vault made before sharing existed). */
    private log: VaultLog | null,
  ) {}

  get membership(): VaultLog | null {
    return this.log;
  }

  /** Whether the membership log lets this profile write the scope (a vault from before sharing: always). */
  mayWrite(scopeId: string): boolean {
    const state = this.log?.state;
    return !state || canWrite(state, this.session.signingKey.publicKey, scopeId);
  }

  /**
   * Throws NO_ACCESS unless the membership log lets this profile write the scope (a viewer
   * writes nothing; an editor only what it reads). The relay and other members would refuse
   * the change anyway; refusing it here keeps it from being made at all.
   */
  assertMayWrite(scopeId: string, what: string): void {
    if (!this.mayWrite(scopeId)) {
      const role = currentMember(this.log!.state, this.session.signingKey.publicKey)?.role ?? 'not a member';
      throw new TesseraError('NO_ACCESS', `You cannot change ${what} in this vault (your role: ${role})`);
    }
  }

  /** The metadata scope's id. */
  get metaScopeId(): string {
    return this.session.keys.vaults.get(this.id)!.metaScope;
  }

  /** After sync verified and stored newer entries. */
  setMembership(log: VaultLog): void {
    this.log = log;
  }

  /** The membership head this device writes under now. */
  get membershipHead(): LogHeadRef {
    return this.log?.state.head ?? NO_LOG_HEAD;
  }

  static async open(session: Session, vaultId: string): Promise<Vault> {
    const keys = session.keys.vaults.get(vaultId);
    if (!keys) throw new TesseraError('NOT_FOUND', 'No such vault in this profile');
    const membership = await readVaultLog(session, vaultId);
    // The stores ask for the head whenever they seal; the vault is made just after them.
    let vault: Vault | undefined;
    const head = () => vault?.membershipHead ?? membership?.state.head ?? NO_LOG_HEAD;
    const metaStore = await openScope(session, vaultId, keys.metaScope, head);
    vault = new Vault(session, vaultId, metaStore, new MetaScope(metaStore.doc), membership);
    vault.guard(metaStore, keys.metaScope);
    const pushed = await readPushedCounters(session.home, vaultId);
    if (pushed) vault.holdUnpushed((scopeId) => pushed.get(scopeId) ?? 0);
    return vault;
  }

  /** Creates the scope folders and writes the first envelopes: the vault's genesis. */
  static async create(
    session: Session,
    vaultId: string,
    name: string,
    environments: { scopeId: string; name: string }[],
    opts: { lockHeld?: boolean } = {},
  ): Promise<Vault> {
    const vault = await Vault.open(session, vaultId);
    await vault.edit((author) => {
      vault.meta.initialize(name, author);
      vault.meta.setMemberName(author.by, session.profile.name);
      for (const e of environments) vault.meta.addEnvironment(e.scopeId, e.name, author);
    }, opts);
    return vault;
  }

  get name(): string {
    return this.meta.info().name;
  }

  /**
   * Who a change's `by` (a member id) is, as history and the timeline show it: the name the
   * signed log gives, with the device for a person's second and later devices ("Ada
   * (desktop)"); else the name in the metadata (a vault made before sharing).
   */
  authorName(memberId: string): string | undefined {
    const state = this.membership?.state;
    const member = state && memberByMemberId(state, memberId);
    const metaKeys = state && this.session.keys.vaults.get(this.id)?.scopes.get(state.metaScope);
    if (member && metaKeys) {
      const person = memberName(this.session.suite, state, member, metaKeys);
      const device = deviceName(this.session.suite, state, member, metaKeys);
      if (person) return device ? `${person} (${device})` : person;
    }
    return this.meta.memberName(memberId);
  }

  /**
   * The vault's environments. Their names come from the signed membership log where the
   * owner bound them there: the metadata scope, which every editor writes, must not decide
   * which scope "production" is (an editor of development could swap the two). A vault
   * whose names are not bound yet (shared before they were; its owner's next sync binds
   * them) still reads them from the metadata.
   */
  environments(): Environment[] {
    const bound = this.boundEnvironmentNames();
    if (!bound) return this.meta.environments();
    const recorded = new Map(this.meta.environments().map((e) => [e.id, e]));
    return bound.map((b, order) => ({ id: b.scopeId, name: b.name, order, createdAt: recorded.get(b.scopeId)?.createdAt ?? 0 }));
  }

  /** True when the environments' names come from the membership log (see environments()). */
  get environmentsBound(): boolean {
    return this.boundEnvironmentNames() !== undefined;
  }

  private boundEnvironmentNames(): { scopeId: string; name: string }[] | undefined {
    const state = this.log?.state;
    if (!state?.environmentNames) return undefined;
    const metaKeys = this.session.keys.vaults.get(this.id)?.scopes.get(state.metaScope) ?? new Map();
    return environmentNames(this.session.suite, state, metaKeys);
  }

  environmentByName(name: string): Environment | undefined {
    return this.environments().find((e) => e.name === name);
  }

  canRead(environmentName: string): boolean {
    const env = this.environmentByName(environmentName);
    return Boolean(env && this.session.keys.vaults.get(this.id)?.scopes.has(env.id));
  }

  /** The values of one environment; NO_ACCESS when this profile may not read it. */
  async environment(name: string): Promise<EnvironmentScope> {
    const environment = this.environmentByName(name);
    if (!environment) {
      const known = this.environments().map((e) => e.name).join(', ');
      throw new TesseraError('NOT_FOUND', `No environment ${name} in this vault (it has: ${known})`);
    }
    let store = this.envStores.get(environment.id);
    if (!store) {
      if (!this.canRead(name)) throw new TesseraError('NO_ACCESS', `You have no access to ${name} in this vault`);
      store = this.open(await openScope(this.session, this.id, environment.id, () => this.membershipHead), environment.id);
      this.envStores.set(environment.id, store);
    }
    return { environment, values: valuesOf(store) };
  }

  /** Opens every environment this profile can read. */
  async readableEnvironments(): Promise<EnvironmentScope[]> {
    // Side by side: one scope's file reads and signature checks overlap another's decoding.
    return Promise.all(this.environments().filter((e) => this.canRead(e.name)).map((e) => this.environment(e.name)));
  }

  /**
   * Runs `change` under the profile lock after catching up with other writers; what it
   * changed is sealed into one envelope per scope and appended durably before returning.
   */
  async edit<T>(change: (author: Author) => T, opts: { lockHeld?: boolean } = {}): Promise<T> {
    // The profile lock is not reentrant: a caller that already holds it says so.
    const locked = opts.lockHeld ? (fn: () => Promise<T>) => fn() : (fn: () => Promise<T>) => withProfileLock(this.session.home, fn);
    return locked(async () => {
      const stores = [this.metaStore, ...this.envStores.values()];
      for (const s of stores) await s.refresh();
      // One transaction per document, so each scope's change is one Yjs update.
      const author = { by: this.session.memberId, at: Date.now() };
      const inTransactions = (i: number): T => (i === stores.length ? change(author) : stores[i]!.doc.transact(() => inTransactions(i + 1)));
      const result = inTransactions(0);
      const signer = this.session.signingKey;
      for (const s of [this.metaStore, ...this.envStores.values()]) await s.flush(signer);
      return result;
    });
  }

  /**
   * Every scope this profile can read, by scope id (hex): the metadata scope and each
   * readable environment's values. For sync.
   */
  async scopeStores(): Promise<Map<string, ScopeStore>> {
    await this.readableEnvironments();
    const keys = this.session.keys.vaults.get(this.id)!;
    return new Map([[keys.metaScope, this.metaStore], ...this.envStores]);
  }

  /** The store of one scope, opened if this profile holds its key; undefined otherwise. */
  async scopeStore(scopeId: string): Promise<ScopeStore | undefined> {
    const keys = this.session.keys.vaults.get(this.id);
    if (!keys?.scopes.has(scopeId)) return undefined;
    if (scopeId === keys.metaScope) return this.metaStore;
    let store = this.envStores.get(scopeId);
    if (!store) {
      store = this.open(await openScope(this.session, this.id, scopeId, () => this.membershipHead), scopeId);
      this.envStores.set(scopeId, store);
    }
    return store;
  }

  /** A scope store of this vault, with its unpushed changes held and its received envelopes guarded. */
  private open(store: ScopeStore, scopeId: string): ScopeStore {
    this.guard(store, scopeId);
    return this.hold(store, scopeId);
  }

  /** What is received into `store` must pass the membership rules (admission.ts). */
  private guard(store: ScopeStore, scopeId: string): void {
    store.admit = admitFrom(() => this.log, scopeId);
  }

  /** Catches up with what other processes wrote to this vault (no lock needed to read). */
  async refresh(): Promise<void> {
    // The membership first: what the stores take in is judged by it.
    if (this.log) this.log = await readNewerVaultLog(this.session, this.id, this.log);
    for (const s of [this.metaStore, ...this.envStores.values()]) await s.refresh();
  }

  /**
   * Keeps this device's unpushed changes in the logs when compacting, so that sync can still
   * push them: `pushedLocal(scopeId)` is the highest local counter the relay acknowledged.
   * Vault.open sets it from the vault's sync state, so every process honours it.
   */
  holdUnpushed(pushedLocal: (scopeId: string) => number): void {
    this.pushedLocal = pushedLocal;
    const keys = this.session.keys.vaults.get(this.id)!;
    this.hold(this.metaStore, keys.metaScope);
    for (const [id, store] of this.envStores) this.hold(store, id);
  }

  private hold(store: ScopeStore, scopeId: string): ScopeStore {
    const pushed = this.pushedLocal;
    if (!pushed) return store;
    const me = toBase64Url(this.session.signingKey.publicKey);
    store.retainOnCompaction = (f) => f.origin === 'local' && f.author === me && f.counter > pushed(scopeId);
    return store;
  }

  /** What the stores skipped or repaired while reading (damaged or torn writes). */
  problems(): StoreProblem[] {
    return [this.metaStore, ...this.envStores.values()].flatMap((s) => s.problems);
  }

  async compact(): Promise<void> {
    await this.readableEnvironments();
    await withProfileLock(this.session.home, async () => {
      const signer = this.session.signingKey;
      for (const s of [this.metaStore, ...this.envStores.values()]) {
        await s.refresh();
        await s.compact(signer);
      }
    });
  }
}

const valuesCache = new WeakMap<ScopeStore, ValuesScope>();
function valuesOf(store: ScopeStore): ValuesScope {
  let v = valuesCache.get(store);
  if (!v) {
    v = new ValuesScope(store.doc);
    valuesCache.set(store, v);
  }
  return v;
}

async function openScope(session: Session, vaultId: string, scopeId: string, head: () => LogHeadRef): Promise<ScopeStore> {
  return ScopeStore.open(
    session.suite,
    profilePaths(session.home).scope(vaultId, scopeId),
    { vaultId: fromHex(vaultId), scopeId: fromHex(scopeId) },
    scopeKeys(session, vaultId, scopeId, head),
    recordKeyFromDeviceKey(session.deviceKeyForRecords),
  );
}

/** Ids of the vaults this profile has on disk and keys for. */
export async function vaultIds(session: Session): Promise<string[]> {
  const onDisk = new Set(await fs.readdir(profilePaths(session.home).vaults).catch(() => [] as string[]));
  return [...session.keys.vaults.keys()].filter((id) => onDisk.has(id));
}

export function newId(session: Session): string {
  return toHex(session.suite.randomBytes(16));
}
