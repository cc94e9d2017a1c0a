/**
 * The ValueLookup behind references, over the vaults of an unlocked session. Vaults are
 * opened once, when first named; only live secrets answer (a retired secret's value is not
 * handed to programs, so a reference to it is missing, as in `run` and `export`).
 *
 * A reference is followed only where the writer of the referencing value could read
 * (expand.ts): the environments the vault's membership log gives that member (by the member
 * id its version record names, which admission binds to the envelope's signer), and other
 * vaults only when the person expanding named them in `allowVaults` and the writer is a
 * member there who reads that environment too.
 */
import { TesseraError } from '../../src-shared/errors';
import type { Session } from '../profile/profile';
import { Vault } from '../vaults/vault';
import type { VaultView } from '../vaults/vault-view';
import { getValue, recordReveal } from '../vaults/secrets';
import { auditOf } from '../audit/session-audit';
import { openVault } from '../vaults/vaults';
import { ReferenceExpander, type SecretRef, type StoredValue, type ValueLookup } from './expand';
import { toHex } from '../../src-shared/crypto/bytes';
import { memberByMemberId, type Member } from '../../src-shared/membership/state';

export class VaultLookup implements ValueLookup {
  private readonly byId = new Map<string, VaultView>();
  private readonly byName = new Map<string, Promise<VaultView>>();

  constructor(
    /** Where other vaults are opened from; null for a machine token, which holds one vault. */
    private readonly session: Session | null,
    opened: readonly VaultView[] = [],
    /** Vault names or ids that references from other vaults may read (`--allow-vault`). */
    private readonly allowVaults: readonly string[] = [],
  ) {
    for (const v of opened) this.remember(v);
  }

  private remember(v: VaultView): VaultView {
    this.byId.set(v.id, v);
    return v;
  }

  /** Opens (once) a vault by name or id. */
  async vault(nameOrId: string): Promise<VaultView> {
    for (const v of this.byId.values()) if (v.name === nameOrId || v.id === nameOrId) return v;
    let p = this.byName.get(nameOrId);
    if (!p) {
      const session = this.session;
      if (!session) throw new TesseraError('REFERENCE_MISSING', `A reference names vault ${JSON.stringify(nameOrId)}, which this token does not read`);
      p = openVault(session, nameOrId).then((v) => this.byId.get(v.id) ?? this.remember(v));
      this.byName.set(nameOrId, p);
    }
    return p;
  }

  async vaultId(nameOrId: string): Promise<string> {
    try {
      return (await this.vault(nameOrId)).id;
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'NOT_FOUND') {
        throw new TesseraError('REFERENCE_MISSING', `A reference names vault ${JSON.stringify(nameOrId)}, which this profile does not have`);
      }
      throw e;
    }
  }

  async value(ref: SecretRef): Promise<StoredValue | undefined> {
    const vault = this.byId.get(ref.vault) ?? (await this.vault(ref.vault));
    const secret = vault.meta.secretByName(ref.key);
    if (!secret || secret.status !== 'active') return undefined;
    if (!vault.environmentByName(ref.env)) return undefined;
    if (!vault.canRead(ref.env)) {
      throw new TesseraError('NO_ACCESS', `A reference needs ${this.label(vault.id)}/${ref.env}/${ref.key}, and you have no access to ${ref.env} there`);
    }
    const { values } = await vault.environment(ref.env);
    const v = values.current(secret.id);
    return v && { value: v.value, by: v.by };
  }

  async mayFollow(from: SecretRef, by: string, to: SecretRef): Promise<void> {
    const source = this.byId.get(from.vault) ?? (await this.vault(from.vault));
    const target = this.byId.get(to.vault) ?? (await this.vault(to.vault));
    const where = `${from.vault === to.vault ? '' : `${this.label(to.vault)}/`}${to.env}/${to.key}`;
    if (target.id !== source.id) {
      const allowed = this.allowVaults.some((a) => a === target.name || a === target.id);
      if (!allowed) {
        throw new TesseraError('REFERENCE_NOT_ALLOWED', `${from.key} (${from.env}) refers to ${where} in another vault: allow it with --allow-vault ${this.label(to.vault)}`, { key: from.key });
      }
    }
    const writer = source.membership && memberByMemberId(source.membership.state, by);
    if (!source.membership) return; // a vault from before sharing: only its creator ever wrote in it
    // In another vault, the same person (by their keys) must be a member there too.
    const there = target.id === source.id ? writer : writer && target.membership?.state.members.get(toHex(writer.identity.signPublicKey));
    const envId = target.environmentByName(to.env)?.id;
    if (!there || !envId || !readsEnvironment(there, envId)) {
      throw new TesseraError('REFERENCE_NOT_ALLOWED', `${from.key} (${from.env}) refers to ${where}, which whoever wrote it cannot read: not followed`, { key: from.key });
    }
  }

  label(vaultId: string): string {
    return this.byId.get(vaultId)?.name ?? vaultId;
  }

  /** Store problems of every vault opened along the way (for the CLI's warnings). */
  vaults(): Vault[] {
    return [...this.byId.values()].filter((v): v is Vault => v instanceof Vault);
  }
}

/** The expanded current values of `keys` (all live secrets with a value when omitted) in one environment. */
export async function expandedEntries(
  vault: VaultView,
  env: string,
  opts: { only?: readonly string[]; lookup?: VaultLookup; expand?: boolean; allowVaults?: readonly string[] } = {},
): Promise<{ key: string; value: string }[]> {
  const { values } = await vault.environment(env);
  const lookup = opts.lookup ?? new VaultLookup(sessionOf(vault), [vault], opts.allowVaults);
  const expander = new ReferenceExpander(lookup);
  const wanted = opts.only ? new Set(opts.only) : null;
  const out: { key: string; value: string }[] = [];
  for (const s of vault.meta.secrets()) {
    if (s.status !== 'active') continue; // retired secrets stay out of programs and files
    if (wanted && !wanted.has(s.name)) continue;
    const v = values.current(s.id);
    if (!v) continue;
    out.push({ key: s.name, value: opts.expand === false ? v.value : await expander.expand({ vault: vault.id, env, key: s.name }) });
  }
  if (wanted) {
    const missing = [...wanted].filter((k) => !out.some((e) => e.key === k));
    if (missing.length) throw new TesseraError('NOT_FOUND', `No value in ${env} for ${missing.join(', ')}`, { keys: missing });
  }
  return out;
}

/** One secret's current value, its references expanded unless `expand` is false (for `tessera get`). */
export async function expandedValue(
  vault: Vault,
  key: string,
  env: string,
  opts: { expand?: boolean; allowVaults?: readonly string[]; via?: string } = {},
): Promise<string> {
  const { expand = true, allowVaults = [] } = opts;
  const v = await getValue(vault, key, env);
  const value = expand ? await new ReferenceExpander(new VaultLookup(vault.session, [vault], allowVaults)).expandValue({ vault: vault.id, env, key }, v) : v.value;
  // Handed to the user's shell: a reveal, recorded as such (once it is sure to be shown).
  await recordReveal(vault, key, env, opts.via);
  return value;
}

/**
 * Whether a member reads an environment's scope: an owner reads all; a removed member is
 * judged by what they read when removed (their values stay, their references too, within it).
 */
function readsEnvironment(m: Member, scopeId: string): boolean {
  return m.role === 'owner' || m.scopes.has(scopeId);
}

/** What leaves the vault as a file or on stdout (`tessera export`): expanded values, recorded as an export. */
export async function exportValues(
  vault: Vault,
  env: string,
  opts: { expand?: boolean; allowVaults?: readonly string[]; format: string },
): Promise<{ key: string; value: string }[]> {
  const out = await expandedEntries(vault, env, { ...(opts.expand !== undefined ? { expand: opts.expand } : {}), ...(opts.allowVaults ? { allowVaults: opts.allowVaults } : {}) });
  await auditOf(vault.session).record({ action: 'export', vaultId: vault.id, vault: vault.name, environment: env, secrets: out.map((e) => e.key), detail: { format: opts.format } });
  return out;
}

/** The profile session a vault was opened with; null for a machine token's vault. */
function sessionOf(vault: VaultView): Session | null {
  return vault instanceof Vault ? vault.session : null;
}
