/**
 * The metadata scope of a vault: its name, environments, members' display names, and
 * every secret's metadata (never values). One Y.Doc; knows nothing of disk or network.
 *
 * Secrets are an append-only Y.Array of patches (records.ts) rather than a Y.Map per
 * secret: a map entry per field made opening a 10,000-secret vault spend ~1 s inside Yjs,
 * while consecutive appends by one client merge into a single Yjs item. Each patch carries a
 * Lamport clock; a field's value is that of the patch with the highest (clock, time,
 * author), which every replica computes alike whatever order the patches arrived in.
 */
import * as Y from 'yjs';
import { TesseraError } from '../errors';
import { assertEnvironmentName, assertSecretName, assertVaultName, isValidSecretName } from './names';
import { decodePatch, encodePatch } from './records';
import type { Author, BuiltinRotatorConfig, Environment, Exposure, RotationDefaults, RotatorConfig, SecretFields, SecretMeta, SecretStatus, VaultInfo } from './types';


interface FoldedSecret {
  id: string;
  /** Each field's winning value, and the stamp of the patch it came from. */
  values: Record<string, unknown>;
  stamps: Record<string, Stamp>;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  updateKey: Stamp;
}

/** (clock, time, author) of a patch: later wins. */
type Stamp = readonly [number, number, string];

const STATUSES: readonly SecretStatus[] = ['active', 'retired', 'deleted'];

function laterThan(a: Stamp, b: Stamp): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
}

/** Keeps only well-typed fields: a member's client may be buggy or hostile. */
function cleanFields(f: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'description', 'service', 'owner'] as const) if (typeof f[k] === 'string') out[k] = f[k];
  if (Array.isArray(f.tags) && f.tags.every((t) => typeof t === 'string')) out.tags = f.tags;
  if (typeof f.status === 'string' && (STATUSES as readonly string[]).includes(f.status)) out.status = f.status;
  if (typeof f.rotation === 'object' && f.rotation !== null) {
    const r = f.rotation as Record<string, unknown>;
    const rot: Record<string, number> = {};
    for (const k of ['intervalDays', 'lastRotatedAt', 'lastRotatedRecordedAt', 'expiresAt'] as const) if (typeof r[k] === 'number') rot[k] = r[k];
    out.rotation = rot;
  }
  if (f.rotator === null) out.rotator = null;
  else if (typeof f.rotator === 'object' && f.rotator !== undefined) {
    const r = f.rotator as Record<string, unknown>;
    const command = r.command;
    if (Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string') && command[0] !== '') {
      const rotator: { command: string[]; timeoutSeconds?: number } = { command: command as string[] };
      if (typeof r.timeoutSeconds === 'number' && r.timeoutSeconds > 0) rotator.timeoutSeconds = r.timeoutSeconds;
      out.rotator = rotator;
    } else {
      const builtin = cleanBuiltinRotator(r);
      if (builtin) out.rotator = builtin;
    }
  }
  return out;
}

/** A built-in rotator's configuration, if it is a well-formed one (names only, no values). */
function cleanBuiltinRotator(r: Record<string, unknown>): BuiltinRotatorConfig | undefined {
  const { builtin, admin, role, environments, graceSeconds } = r;
  if (typeof builtin !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(builtin)) return undefined;
  if (typeof admin !== 'string' || !isValidSecretName(admin)) return undefined;
  if (typeof role !== 'string' || role === '' || role.length > 63) return undefined;
  if (!Array.isArray(environments) || environments.length === 0 || !environments.every((e) => typeof e === 'string')) return undefined;
  const out: { -readonly [K in keyof BuiltinRotatorConfig]: BuiltinRotatorConfig[K] } = { builtin, admin, role, environments: environments as string[] };
  if (typeof graceSeconds === 'number' && Number.isInteger(graceSeconds) && graceSeconds >= 0) out.graceSeconds = graceSeconds;
  return out;
}

/** A stored default interval, if it is one. */
function intervalOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? v : undefined;
}

export class MetaScope {
  readonly doc: Y.Doc;
  private readonly patches: Y.Array<string>;
  private folded = new Map<string, FoldedSecret>();
  /** Live (not deleted) secret ids by name, kept in step with the fold. */
  private byName = new Map<string, Set<string>>();
  private clock = 0;
  private rebuildNeeded = true;

  constructor(doc: Y.Doc) {
    this.doc = doc;
    this.patches = doc.getArray<string>('secrets');
    // Inserts fold in incrementally (the fold does not depend on array order); a delete
    // (compaction of superseded patches) rebuilds on the next read.
    this.patches.observe((event) => {
      // Local appends were folded by append() already; this is for remote ones.
      if (this.rebuildNeeded || event.transaction.local) return;
      for (const d of event.changes.delta) {
        if (d.delete) {
          this.rebuildNeeded = true;
          return;
        }
      }
      for (const item of event.changes.added) for (const p of item.content.getContent()) this.foldPatch(p);
    });
  }

  // ---- vault ----

  info(): VaultInfo {
    const m = this.doc.getMap<unknown>('vault');
    const name = m.get('name');
    return {
      name: typeof name === 'string' ? name : '',
      createdAt: Number(m.get('createdAt') ?? 0),
      createdBy: String(m.get('createdBy') ?? ''),
    };
  }

  initialize(name: string, author: Author): void {
    assertVaultName(name);
    this.doc.transact(() => {
      const m = this.doc.getMap<unknown>('vault');
      m.set('name', name);
      m.set('createdAt', author.at);
      m.set('createdBy', author.by);
    });
  }

  rename(name: string): void {
    assertVaultName(name);
    this.doc.getMap<unknown>('vault').set('name', name);
  }

  // ---- environments ----

  environments(): Environment[] {
    const out: Environment[] = [];
    this.doc.getMap<Record<string, unknown>>('environments').forEach((v, id) => {
      if (typeof v?.name === 'string') {
        out.push({ id, name: v.name, order: Number(v.order ?? 0), createdAt: Number(v.createdAt ?? 0) });
      }
    });
    return out.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  }

  environmentByName(name: string): Environment | undefined {
    return this.environments().find((e) => e.name === name);
  }

  /** Registers an environment whose values scope has id `scopeId`. */
  addEnvironment(scopeId: string, name: string, author: Author): Environment {
    assertEnvironmentName(name);
    if (this.environmentByName(name)) throw new TesseraError('ALREADY_EXISTS', `Environment ${name} already exists`);
    const order = this.environments().reduce((m, e) => Math.max(m, e.order + 1), 0);
    const env = { name, order, createdAt: author.at };
    this.doc.getMap<Record<string, unknown>>('environments').set(scopeId, env);
    return { id: scopeId, ...env };
  }

  // ---- exposure: what a removed member could read, for the team to rotate at the provider ----

  /** Records a removal's exposure list (written under the new keys, so the member cannot read it). */
  recordExposure(removalId: string, exposure: Exposure): void {
    this.doc.getMap<Exposure>('exposures').set(removalId, exposure);
  }

  exposures(): Exposure[] {
    const out: Exposure[] = [];
    this.doc.getMap<Exposure>('exposures').forEach((e) => {
      if (e && typeof e.member === 'string' && Array.isArray(e.items)) out.push(e);
    });
    return out.sort((a, b) => b.removedAt - a.removedAt);
  }

  // ---- rotation defaults: an interval for the vault, or for one environment ----

  rotationDefaults(): RotationDefaults {
    const m = this.doc.getMap<unknown>('rotationDefaults');
    const environments = new Map<string, number>();
    let vault: number | undefined;
    m.forEach((v, k) => {
      const n = intervalOf(v);
      if (n === undefined) return;
      if (k === '*') vault = n;
      else environments.set(k, n);
    });
    return vault === undefined ? { environments } : { vault, environments };
  }

  /** Sets (or with null, clears) the default interval of the vault, or of one environment by id. */
  setRotationDefault(environmentId: string | null, intervalDays: number | null): void {
    const m = this.doc.getMap<unknown>('rotationDefaults');
    const key = environmentId ?? '*';
    if (intervalDays === null) m.delete(key);
    else m.set(key, intervalDays);
  }

  // ---- members' display names (the membership log itself is separate and signed) ----

  memberName(memberId: string): string | undefined {
    const v = this.doc.getMap<unknown>('members').get(memberId);
    return typeof v === 'string' ? v : undefined;
  }

  setMemberName(memberId: string, name: string): void {
    this.doc.getMap<unknown>('members').set(memberId, name);
  }

  // ---- secrets ----

  /** Every secret that is not deleted, sorted by name. */
  secrets(opts: { includeDeleted?: boolean } = {}): SecretMeta[] {
    const out: SecretMeta[] = [];
    for (const f of this.fold().values()) {
      const s = this.materialize(f);
      if (s && (opts.includeDeleted || s.status !== 'deleted')) out.push(s);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  }

  secretById(id: string): SecretMeta | undefined {
    const f = this.fold().get(id);
    return f ? this.materialize(f) : undefined;
  }

  /**
   * The live secret called `name`. Two devices may create the same name while offline;
   * then the older one (by creation time, then id) answers, on every replica alike.
   */
  secretByName(name: string): SecretMeta | undefined {
    let best: SecretMeta | undefined;
    this.fold();
    for (const id of this.byName.get(name) ?? []) {
      const s = this.secretById(id);
      if (!s) continue;
      if (!best || s.createdAt < best.createdAt || (s.createdAt === best.createdAt && s.id < best.id)) best = s;
    }
    return best;
  }

  createSecret(id: string, fields: SecretFields & { name: string }, author: Author): SecretMeta {
    assertSecretName(fields.name);
    if (this.secretByName(fields.name)) throw new TesseraError('ALREADY_EXISTS', `Secret ${fields.name} already exists`);
    this.append(id, { description: '', tags: [], service: '', owner: '', status: 'active', rotation: {}, ...fields }, author);
    return this.secretById(id)!;
  }

  updateSecret(id: string, fields: SecretFields, author: Author): SecretMeta {
    const current = this.secretById(id);
    if (!current || current.status === 'deleted') throw new TesseraError('NOT_FOUND', 'No such secret');
    if (fields.name !== undefined && fields.name !== current.name) {
      assertSecretName(fields.name);
      if (this.secretByName(fields.name)) throw new TesseraError('ALREADY_EXISTS', `Secret ${fields.name} already exists`);
    }
    this.append(id, fields, author);
    return this.secretById(id)!;
  }

  /**
   * Marks the secret deleted. The patch stays as a tombstone so that an edit made
   * concurrently elsewhere cannot bring a half-secret back.
   */
  deleteSecret(id: string, author: Author): void {
    this.updateSecret(id, { status: 'deleted' }, author);
  }

  private append(id: string, fields: SecretFields, author: Author): void {
    this.fold();
    const patch = encodePatch({ secretId: id, clock: this.clock + 1, at: author.at, by: author.by }, fields);
    this.patches.push([patch]);
    // Fold now, not from the observer: inside a caller's transaction Yjs runs observers at
    // its end, and the next lookup must already see this patch.
    this.foldPatch(patch);
  }

  private fold(): Map<string, FoldedSecret> {
    if (this.rebuildNeeded) {
      this.folded = new Map();
      this.byName = new Map();
      this.clock = 0;
      this.rebuildNeeded = false;
      for (const p of this.patches.toArray()) this.foldPatch(p);
    }
    return this.folded;
  }

  private foldPatch(record: unknown): void {
    const p = decodePatch(record);
    if (!p) return;
    const { secretId: id, clock, at, by, fields: raw } = p;
    const key = [clock, at, by] as const;
    if (clock > this.clock) this.clock = clock;
    const fields = cleanFields(raw);
    let f = this.folded.get(id);
    if (!f) {
      // The common case (a secret's first patch): take the fields as they are.
      const stamps: Record<string, Stamp> = {};
      for (const k in fields) stamps[k] = key;
      f = { id, values: fields, stamps, createdAt: at, createdBy: by, updatedAt: at, updatedBy: by, updateKey: key };
      this.folded.set(id, f);
      this.index(f);
      return;
    }
    this.unindex(f);
    if (at < f.createdAt) {
      f.createdAt = at;
      f.createdBy = by;
    }
    if (laterThan(key, f.updateKey)) {
      f.updateKey = key;
      f.updatedAt = at;
      f.updatedBy = by;
    }
    for (const k in fields) {
      const stamp = f.stamps[k];
      const v = fields[k];
      // Equal stamps (one author, one clock, one millisecond, on two devices): the larger
      // value wins, so that every replica still agrees.
      if (!stamp || laterThan(key, stamp) || (!laterThan(stamp, key) && JSON.stringify(v) > JSON.stringify(f.values[k]))) {
        f.values[k] = v;
        f.stamps[k] = key;
      }
    }
    this.index(f);
  }

  private index(f: FoldedSecret): void {
    const name = f.values.name;
    if (typeof name !== 'string' || f.values.status === 'deleted') return;
    let ids = this.byName.get(name);
    if (!ids) this.byName.set(name, (ids = new Set()));
    ids.add(f.id);
  }

  private unindex(f: FoldedSecret): void {
    const name = f.values.name;
    if (typeof name === 'string') this.byName.get(name)?.delete(f.id);
  }

  private materialize(f: FoldedSecret): SecretMeta | undefined {
    const v = (k: string) => f.values[k];
    if (typeof v('name') !== 'string') return undefined; // patches for a secret whose creation we have not seen
    return {
      id: f.id,
      name: v('name') as string,
      description: (v('description') as string) ?? '',
      tags: (v('tags') as string[]) ?? [],
      service: (v('service') as string) ?? '',
      owner: (v('owner') as string) ?? '',
      status: (v('status') as SecretStatus) ?? 'active',
      rotation: (v('rotation') as SecretMeta['rotation']) ?? {},
      ...(v('rotator') ? { rotator: v('rotator') as RotatorConfig } : {}),
      createdAt: f.createdAt,
      createdBy: f.createdBy,
      updatedAt: f.updatedAt,
      updatedBy: f.updatedBy,
    };
  }
}
