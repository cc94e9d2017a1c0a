/**
 * The vaults of one unlocked session, found by name or id and opened once each: the one
 * place every front end (CLI, desktop app) and every service (health, rotation notices,
 * scanning, references) asks for a vault.
 *
 * Vault names are sealed in each vault's metadata, so finding one by name would mean
 * opening every vault. The keyring (sealed under the device key) keeps the name each vault
 * had when last opened here: a lookup by name opens the vault the index names, checks that
 * it still has that name (a teammate may have renamed it), and opens the others only when the
 * index cannot answer (vaults never indexed, or a stale entry).
 */
import { TesseraError } from '../../src-shared/errors';
import type { Session } from '../profile/profile';
import { ifProfileLockFree } from '../store/profile-lock';
import { shellQuote } from '../scan/git';
import { Vault, vaultIds } from './vault';

export interface OpenVaults {
  /** Sorted by name. */
  readonly vaults: Vault[];
  /** Vaults that would not open (an altered membership log, say), with why. */
  readonly unreadable: Map<string, TesseraError>;
}

const directories = new WeakMap<Session, VaultDirectory>();

/** The session's directory: one per session, so a command opens each vault at most once. */
export function vaultDirectory(session: Session): VaultDirectory {
  let d = directories.get(session);
  if (!d) directories.set(session, (d = new VaultDirectory(session)));
  return d;
}

export class VaultDirectory {
  private readonly open = new Map<string, Vault>();
  private readonly unreadable = new Map<string, TesseraError>();

  constructor(private readonly session: Session) {}

  /**
   * The vault called `nameOrId` exactly, or whose id is (or starts with, 6+ characters)
   * `nameOrId`. Throws NOT_FOUND (saying what to run when the vault may simply not be pulled
   * yet), INVALID_INPUT when it names more than one, or the error of the one vault that will
   * not open.
   */
  async find(nameOrId: string): Promise<Vault> {
    await this.session.reloadKeyring(); // another process may have added or renamed a vault
    const ids = await vaultIds(this.session);
    const prefix = nameOrId.length >= 6 ? nameOrId.toLowerCase() : null;
    const byId = prefix ? ids.filter((id) => id.startsWith(prefix)) : [];
    // What the index and the ids point to, and the vaults never indexed here; then, if that
    // does not settle it (a stale entry: renamed elsewhere), every vault.
    const indexed = ids.filter((id) => {
      const name = this.session.keys.vaults.get(id)?.name;
      return name === undefined || name === nameOrId;
    });
    let found = await this.matching([...new Set([...indexed, ...byId])], nameOrId, prefix);
    if (found.length === 0) found = await this.matching(ids, nameOrId, prefix);
    if (found.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(nameOrId)} names more than one vault: use its id`);
    if (found.length === 1) {
      await this.refreshIfHeld(found[0]!);
      return found[0]!;
    }
    throw this.notFound(nameOrId, prefix);
  }

  /** Every vault of the profile, each opened once per session and brought up to date on each call. */
  async openAll(): Promise<OpenVaults> {
    await this.session.reloadKeyring();
    const fresh = new Set<string>();
    for (const id of await vaultIds(this.session)) {
      if (!this.open.has(id) && (await this.tryOpen(id))) fresh.add(id);
    }
    const vaults = [...this.open.values()];
    await Promise.all(vaults.filter((v) => !fresh.has(v.id)).map((v) => v.refresh()));
    await this.index(vaults);
    return { vaults: vaults.sort((a, b) => a.name.localeCompare(b.name)), unreadable: new Map(this.unreadable) };
  }

  /** A vault this session holds, by its full id. Throws NOT_FOUND, or the vault's own error. */
  async byId(id: string): Promise<Vault> {
    if (!this.session.keys.vaults.has(id)) await this.session.reloadKeyring();
    const v = this.open.get(id) ?? (await this.tryOpen(id));
    if (!v) throw this.unreadable.get(id) ?? new TesseraError('NOT_FOUND', 'No such vault in this profile');
    return v;
  }

  /** The vaults opened so far (no I/O). */
  held(): Vault[] {
    return [...this.open.values()];
  }

  /** A vault just made or joined in this session: found from now on without opening it again. */
  remember(vault: Vault): Vault {
    this.open.set(vault.id, vault);
    this.unreadable.delete(vault.id);
    return vault;
  }

  /** Drops what is open (after a change that rereads everything, or before a lock). */
  forget(): void {
    this.open.clear();
    this.unreadable.clear();
  }

  /** Of `ids`, the vaults that answer to `nameOrId`; opens each (once) and refreshes the index. */
  private async matching(ids: readonly string[], nameOrId: string, prefix: string | null): Promise<Vault[]> {
    const opened: Vault[] = [];
    for (const id of ids) {
      const v = this.open.get(id) ?? (await this.tryOpen(id));
      if (v) opened.push(v);
    }
    await this.index(opened);
    return opened.filter((v) => v.name === nameOrId || (prefix !== null && v.id.startsWith(prefix)));
  }

  private async tryOpen(id: string): Promise<Vault | undefined> {
    try {
      const v = await Vault.open(this.session, id);
      this.open.set(id, v);
      this.unreadable.delete(id);
      return v;
    } catch (e) {
      if (!(e instanceof TesseraError)) throw e;
      this.unreadable.set(id, e);
      return undefined;
    }
  }

  private async refreshIfHeld(v: Vault): Promise<void> {
    if (this.open.get(v.id) === v) await v.refresh();
  }

  /**
   * Keeps the keyring's name index in step with the names the opened vaults show. Best
   * effort: skipped when the profile lock is taken (it is a cache; the next lookup repairs it).
   */
  private async index(vaults: readonly Vault[]): Promise<void> {
    const stale = vaults.filter((v) => v.name !== '' && this.session.keys.vaults.get(v.id)?.name !== v.name);
    if (stale.length === 0) return;
    await ifProfileLockFree(this.session.home, () =>
      this.session.updateKeyring((k) => {
        for (const v of stale) {
          const keys = k.vaults.get(v.id);
          if (keys) k.vaults.set(v.id, { ...keys, name: v.name });
        }
      }),
    );
  }

  private notFound(nameOrId: string, prefix: string | null): TesseraError {
    // Not found among the readable ones: say why if it is one that would not open.
    const broken = [...this.unreadable].filter(([id]) => prefix !== null && id.startsWith(prefix));
    if (broken.length === 1) return broken[0]![1];
    const unknown = notYetNamed(this.session, [...this.open.values()], nameOrId);
    if (unknown) return unknown;
    const n = this.unreadable.size;
    const hint = n ? `; ${n} vault(s) could not be opened: tessera vault list` : ' (see `tessera vault list`)';
    return new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)}${hint}`, n ? { unreadable: [...this.unreadable.keys()] } : {});
  }
}

/**
 * A name matched nothing, but it may belong to a vault whose name this device cannot know
 * yet: names are sealed in the metadata scope, which a join request not yet approved, or a
 * join whose first pull did not happen, has not brought. Says what to run (`tessera sync
 * --vault NAME` completes joins and pulls such vaults before looking the name up).
 * `details.unpulled` lists the vaults joined but not pulled.
 */
function notYetNamed(session: Session, all: readonly Vault[], nameOrId: string): TesseraError | undefined {
  const unpulled = all.filter((v) => v.name === '').map((v) => v.id);
  const joining = session.keys.joins.size;
  if (!unpulled.length && !joining) return undefined;
  const run = `tessera sync --vault ${shellQuote(nameOrId)}`;
  const why = unpulled.length
    ? `${unpulled.length === 1 ? '1 vault you joined has' : `${unpulled.length} vaults you joined have`} not been pulled yet, so ${unpulled.length === 1 ? 'its name is' : 'their names are'} not known here: ${run}`
    : `you are waiting to join ${joining === 1 ? '1 vault' : `${joining} vaults`} (a vault's name arrives with the approval): once approved, ${run}`;
  return new TesseraError('NOT_FOUND', `No vault ${JSON.stringify(nameOrId)} yet: ${why}`, { unpulled, joining });
}
