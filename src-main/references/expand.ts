/**
 * References between secrets: a value may contain `${KEY}` (the same vault and
 * environment), `${env/KEY}` (another environment of the same vault) or `${vault/env/KEY}`
 * (another vault). They are expanded when a value leaves the vault (run, export, get,
 * inject), never when it is stored, so changing DB_HOST changes every DATABASE_URL built on it.
 *
 * `$${` writes a literal `${`. Text that is not a well-formed reference (`${1}`, `${a b}`)
 * is left as it is, so existing values that merely contain a dollar sign keep their meaning.
 *
 * A reference is followed with the rights of whoever wrote the value that makes it, not of
 * whoever expands it: a development editor who writes `${production/KEY}` into a development
 * value must not receive production's KEY through the owner's `tessera run`. So the lookup is
 * asked, for every reference, whether the value's author could read the target
 * (ValueLookup.mayFollow): within a vault, the scopes the membership log let them read; into
 * another vault, never, unless the person expanding allowed that vault explicitly.
 *
 * Errors name the secrets on the path (names the user chose), never a value.
 */
import { TesseraError } from '../../src-shared/errors';

/** Where a secret lives. `vault` is the vault's id once resolved (its name as written before). */
export interface SecretRef {
  readonly vault: string;
  readonly env: string;
  readonly key: string;
}

/** A stored (unexpanded) value and the member id of its version's writer. */
export interface StoredValue {
  readonly value: string;
  readonly by: string;
}

/** Looks a secret's stored (unexpanded) value up; undefined when there is none. */
export interface ValueLookup {
  /** The vault's canonical id for a name or id as written in a reference; throws REFERENCE_MISSING. */
  vaultId(nameOrId: string): Promise<string>;
  /** The stored value, or undefined when the secret, or its value in that environment, is missing. */
  value(ref: SecretRef): Promise<StoredValue | undefined>;
  /**
   * Throws REFERENCE_NOT_ALLOWED unless a value written by member `by` at `from` may take the
   * value at `to` (its vault already an id): `by` could read `to`'s environment there.
   */
  mayFollow(from: SecretRef, by: string, to: SecretRef): Promise<void>;
  /** A human label for a vault id, for error messages. */
  label(vaultId: string): string;
}

const KEY = '[A-Za-z_][A-Za-z0-9_]*';
const ENV = '[a-z0-9][a-z0-9_-]*';
// The vault part is everything before the last two slashes: vault names may contain '/'.
const REFERENCE = new RegExp(`\\$\\$\\{|\\$\\{(?:(?:([^{}\\n]+?)/)?(${ENV})/)?(${KEY})\\}`, 'g');

/** The references a value makes, in order (escapes skipped). */
export function referencesIn(value: string): { vault?: string; env?: string; key: string }[] {
  const out: { vault?: string; env?: string; key: string }[] = [];
  for (const m of value.matchAll(REFERENCE)) {
    if (m[0] === '$${') continue;
    out.push({ ...(m[1] !== undefined ? { vault: m[1] } : {}), ...(m[2] !== undefined ? { env: m[2] } : {}), key: m[3]! });
  }
  return out;
}

const MAX_DEPTH = 32;

/**
 * Expands values against one lookup, remembering what it expanded, so a run over 100
 * secrets that all build on DB_HOST reads and expands DB_HOST once.
 */
export class ReferenceExpander {
  private readonly done = new Map<string, string>();

  constructor(private readonly lookup: ValueLookup) {}

  /** The value of `ref` (its vault already an id) with every reference expanded. */
  async expand(ref: SecretRef): Promise<string> {
    return this.expandAt(ref, []);
  }

  /** Expands a value read by the caller (`stored`, found at `at`), with its writer's rights. */
  async expandValue(at: SecretRef, stored: StoredValue): Promise<string> {
    return this.substitute(at, stored, [at]);
  }

  private async expandAt(ref: SecretRef, path: SecretRef[]): Promise<string> {
    const id = refId(ref);
    const cached = this.done.get(id);
    if (cached !== undefined) return cached;
    if (path.some((p) => refId(p) === id)) {
      const loop = [...path.slice(path.findIndex((p) => refId(p) === id)), ref].map((r) => this.describe(r, path[0]!)).join(' → ');
      throw new TesseraError('REFERENCE_CYCLE', `References go round in a circle: ${loop}`, { path: loop });
    }
    if (path.length >= MAX_DEPTH) throw new TesseraError('REFERENCE_CYCLE', `References nest more than ${MAX_DEPTH} deep at ${this.describe(ref, path[0]!)}`);
    const raw = await this.lookup.value(ref);
    if (raw === undefined) {
      const from = path.at(-1);
      const by = from ? ` (referenced by ${this.describe(from, path[0]!)})` : '';
      throw new TesseraError('REFERENCE_MISSING', `${this.describe(ref, path[0] ?? ref)} has no value${by}`, { key: ref.key, env: ref.env });
    }
    const value = await this.substitute(ref, raw, [...path, ref]);
    this.done.set(id, value);
    return value;
  }

  private async substitute(at: SecretRef, stored: StoredValue, path: SecretRef[]): Promise<string> {
    const raw = stored.value;
    if (!raw.includes('${')) return raw; // the common case: no references, no escapes
    let out = '';
    let last = 0;
    for (const m of raw.matchAll(REFERENCE)) {
      out += raw.slice(last, m.index);
      last = m.index + m[0].length;
      if (m[0] === '$${') {
        out += '${';
        continue;
      }
      const vault = m[1] !== undefined ? await this.lookup.vaultId(m[1]) : at.vault;
      const target = { vault, env: m[2] ?? at.env, key: m[3]! };
      await this.lookup.mayFollow(at, stored.by, target);
      out += await this.expandAt(target, path);
    }
    return out + raw.slice(last);
  }

  /** KEY, env/KEY or vault/env/KEY, as short as the context allows. */
  private describe(ref: SecretRef, origin: SecretRef): string {
    if (ref.vault !== origin.vault) return `${this.lookup.label(ref.vault)}/${ref.env}/${ref.key}`;
    return ref.env !== origin.env ? `${ref.env}/${ref.key}` : ref.key;
  }
}

const refId = (r: SecretRef) => `${r.vault}\u0000${r.env}\u0000${r.key}`;
