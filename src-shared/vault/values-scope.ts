/**
 * The values scope of one environment: every version of every secret's value there.
 * One Y.Doc per environment, so that a member who may read only `development` holds no
 * key that opens `production` (least privilege is cryptographic).
 *
 * Versions are an append-only Y.Array: a concurrent write on two devices keeps both
 * versions (both show in history), and every replica picks the same current one:
 * highest (n, time, id). Purging a secret deletes its versions.
 *
 * Grace records ("still valid until DATE", records.ts) sit in the same array: a rotation
 * for a provider with two live keys says until when the replaced value keeps working.
 * Older clients skip them (an unknown record kind).
 */
import * as Y from 'yjs';
import { decodeGrace, encodeGrace, encodeVersion, versionHead, versionTail, type GraceRecord, type VersionHead } from './records';
import type { Author, SecretVersion } from './types';

/** An indexed version: the head is parsed, the tail (by, note, value) on first use. */
type Indexed = VersionHead & { readonly tail: string; version?: SecretVersion | null };

/** Oldest first; the last is current. */
function compareHeads(a: VersionHead, b: VersionHead): number {
  return a.n - b.n || a.at - b.at || (a.versionId < b.versionId ? -1 : a.versionId > b.versionId ? 1 : 0);
}

function materialize(x: Indexed): SecretVersion | null {
  if (x.version === undefined) {
    const t = versionTail(x.tail);
    x.version = t && { id: x.versionId, secretId: x.secretId, n: x.n, at: x.at, by: t[0], note: t[1], value: t[2] };
  }
  return x.version;
}

/** One secret's records: raw as they arrived, parsed and sorted on first use. */
interface SecretRecords {
  readonly raw: string[];
  sorted: Indexed[] | null;
}

export class ValuesScope {
  readonly doc: Y.Doc;
  private readonly versions: Y.Array<string>;
  private bySecret = new Map<string, SecretRecords>();
  /** Grace records by version id: few (one per rotation with a grace window), parsed at once. */
  private graces = new Map<string, GraceRecord>();
  private rebuildNeeded = true;

  constructor(doc: Y.Doc) {
    this.doc = doc;
    this.versions = doc.getArray<string>('versions');
    this.versions.observe((event) => {
      // Local appends were indexed by addVersion already; this is for remote ones.
      if (this.rebuildNeeded || event.transaction.local) return;
      if (event.changes.delta.some((d) => d.delete)) {
        this.rebuildNeeded = true;
        return;
      }
      for (const item of event.changes.added) for (const r of item.content.getContent()) this.index(r);
    });
  }

  /** The current version of a secret here, or undefined when it has no value in this environment. */
  current(secretId: string): SecretVersion | undefined {
    const h = this.sorted(secretId);
    // A malformed tail (a buggy or hostile client) is passed over, not shown as current.
    for (let i = h.length - 1; i >= 0; i--) {
      const v = materialize(h[i]!);
      if (v) return v;
    }
    return undefined;
  }

  /**
   * Whether the secret has a value here, without parsing any record (opening a large vault
   * lists 10,000 secrets; their values are decoded one at a time, when asked for).
   */
  has(secretId: string): boolean {
    return (this.build().get(secretId)?.raw.length ?? 0) > 0;
  }

  /** Every version, oldest first. */
  history(secretId: string): readonly SecretVersion[] {
    return this.sorted(secretId).map(materialize).filter((v): v is SecretVersion => v !== null);
  }

  /**
   * When the current version was written, from the record heads alone (no JSON parsed):
   * what the rotation state of 10,000 secrets needs.
   */
  currentAt(secretId: string): number | undefined {
    return this.sorted(secretId).at(-1)?.at;
  }

  /** Until when a replaced version stays valid at the provider, if a rotation said so. */
  validUntil(versionId: string): number | undefined {
    this.build();
    return this.graces.get(versionId)?.validUntil;
  }

  /** Records that `versionId` stays valid until `validUntil` (a later record replaces it: end a grace early). */
  setValidUntil(secretId: string, versionId: string, validUntil: number, author: Author): void {
    const record = encodeGrace({ secretId, versionId, at: author.at, by: author.by, validUntil });
    this.versions.push([record]);
    this.index(record);
  }

  /** Ids of the secrets that have a value here. */
  secretIds(): string[] {
    return [...this.build().keys()];
  }

  addVersion(versionId: string, secretId: string, value: string, author: Author, note = ''): SecretVersion {
    const n = (this.sorted(secretId).at(-1)?.n ?? 0) + 1;
    const record = encodeVersion({ secretId, n, at: author.at, versionId }, author.by, note, value);
    this.versions.push([record]);
    this.index(record); // now, not at the end of a caller's transaction (see MetaScope.append)
    return this.current(secretId)!;
  }

  /** Deletes every version of the secret (and its grace records); returns how many versions. */
  purge(secretId: string): number {
    let removed = 0;
    this.doc.transact(() => {
      // Back to front, so indexes stay valid while deleting.
      const all = this.versions.toArray();
      for (let i = all.length - 1; i >= 0; i--) {
        if (secretIdOf(all[i]) === secretId) {
          this.versions.delete(i, 1);
          removed++;
        } else if (decodeGrace(all[i])?.secretId === secretId) {
          this.versions.delete(i, 1);
        }
      }
    });
    this.rebuildNeeded = true;
    return removed;
  }

  private sorted(secretId: string): Indexed[] {
    const e = this.build().get(secretId);
    if (!e) return [];
    if (!e.sorted) e.sorted = e.raw.map(versionHead).filter((x): x is Indexed => x !== null).sort(compareHeads);
    return e.sorted;
  }

  private build(): Map<string, SecretRecords> {
    if (this.rebuildNeeded) {
      this.bySecret = new Map();
      this.graces = new Map();
      this.rebuildNeeded = false;
      for (const r of this.versions.toArray()) this.index(r);
    }
    return this.bySecret;
  }

  private index(r: unknown): void {
    const id = secretIdOf(r);
    if (id === null) {
      const g = decodeGrace(r);
      // The latest record wins (then the later date), on every replica alike.
      const had = g && this.graces.get(g.versionId);
      if (g && (!had || g.at > had.at || (g.at === had.at && (g.by > had.by || (g.by === had.by && g.validUntil > had.validUntil))))) this.graces.set(g.versionId, g);
      return;
    }
    const e = this.bySecret.get(id);
    if (e) {
      e.raw.push(r as string);
      e.sorted = null;
    } else {
      this.bySecret.set(id, { raw: [r as string], sorted: null });
    }
  }
}

/** The secret a version record belongs to, read without parsing the rest. */
function secretIdOf(r: unknown): string | null {
  if (typeof r !== 'string' || !r.startsWith('v ')) return null;
  const end = r.indexOf(' ', 2);
  return end > 2 ? r.slice(2, end) : null;
}
