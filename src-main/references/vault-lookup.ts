/**
 * The ValueLookup behind references, over the vaults of an unlocked session. Vaults are
 * opened once, when first named; only live secrets answer (a retired secret's value is not
 * handed to programs, so a reference to it is missing, as in `run` and `export`).
 */
import { TesseraError } from '../../src-shared/errors';
import type { Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import { getValue } from '../vaults/secrets';
import { openVault } from '../vaults/vaults';
import { ReferenceExpander, type SecretRef, type ValueLookup } from './expand';

export class VaultLookup implements ValueLookup {
  private readonly byId = new Map<string, Vault>();
  private readonly byName = new Map<string, Promise<Vault>>();

  constructor(
    private readonly session: Session,
    opened: readonly Vault[] = [],
  ) {
    for (const v of opened) this.remember(v);
  }

  private remember(v: Vault): Vault {
    this.byId.set(v.id, v);
    return v;
  }

  /** Opens (once) a vault by name or id. */
  async vault(nameOrId: string): Promise<Vault> {
    for (const v of this.byId.values()) if (v.name === nameOrId || v.id === nameOrId) return v;
    let p = this.byName.get(nameOrId);
    if (!p) {
      p = openVault(this.session, nameOrId).then((v) => this.byId.get(v.id) ?? this.remember(v));
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

  async value(ref: SecretRef): Promise<string | undefined> {
    const vault = this.byId.get(ref.vault) ?? (await this.vault(ref.vault));
    const secret = vault.meta.secretByName(ref.key);
    if (!secret || secret.status !== 'active') return undefined;
    if (!vault.meta.environmentByName(ref.env)) return undefined;
    if (!vault.canRead(ref.env)) {
      throw new TesseraError('NO_ACCESS', `A reference needs ${this.label(vault.id)}/${ref.env}/${ref.key}, and you have no access to ${ref.env} there`);
    }
    const { values } = await vault.environment(ref.env);
    return values.current(secret.id)?.value;
  }

  label(vaultId: string): string {
    return this.byId.get(vaultId)?.name ?? vaultId;
  }

  /** Store problems of every vault opened along the way (for the CLI's warnings). */
  vaults(): Vault[] {
    return [...this.byId.values()];
  }
}

/** The expanded current values of `keys` (all live secrets with a value when omitted) in one environment. */
export async function expandedEntries(
  vault: Vault,
  env: string,
  opts: { only?: readonly string[]; lookup?: VaultLookup; expand?: boolean } = {},
): Promise<{ key: string; value: string }[]> {
  const { values } = await vault.environment(env);
  const lookup = opts.lookup ?? new VaultLookup(vault.session, [vault]);
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
export async function expandedValue(vault: Vault, key: string, env: string, expand = true): Promise<string> {
  const { value } = await getValue(vault, key, env);
  if (!expand) return value;
  return new ReferenceExpander(new VaultLookup(vault.session, [vault])).expandValue({ vault: vault.id, env, key }, value);
}
