/**
 * The values scope of one environment: every version of every secret's value there.
 * One Y.Doc per environment, so that a member who may read only `development` holds no
 * key that opens `production` (least privilege is cryptographic).
 *
 * Versions are an append-only Y.Array: a concurrent write on two devices keeps both
 * versions (both show in history), and every replica picks the same current one:
 * highest (n, time, id). Purging a secret deletes its versions.
 */
import * as Y from 'yjs';
import type { Author, SecretVersion } from './types';

type VersionRecord = readonly ['v', string, string, number, string, number, string, string];
// ['v', versionId, secretId, n, value, at, by, note]

function isVersion(x: unknown): x is VersionRecord {
  return (
    Array.isArray(x) && x.length === 8 && x[0] === 'v' && typeof x[1] === 'string' && typeof x[2] === 'string' &&
    Number.isSafeInteger(x[3]) && typeof x[4] === 'string' && typeof x[5] === 'number' &&
    typeof x[6] === 'string' && typeof x[7] === 'string'
  );
}

function toVersion(r: VersionRecord): SecretVersion {
  return { id: r[1], secretId: r[2], n: r[3], value: r[4], at: r[5], by: r[6], note: r[7] };
}

/** Oldest first; the last is current. */
function compareVersions(a: SecretVersion, b: SecretVersion): number {
  return a.n - b.n || a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class ValuesScope {
  readonly doc: Y.Doc;
  private readonly versions: Y.Array<VersionRecord>;
  private bySecret = new Map<string, SecretVersion[]>();
  private seen = new Set<string>(); // version ids indexed: indexing twice changes nothing
  private rebuildNeeded = true;

  constructor(doc: Y.Doc) {
    this.doc = doc;
    this.versions = doc.getArray<VersionRecord>('versions');
    this.versions.observe((event) => {
      if (this.rebuildNeeded) return;
      if (event.changes.delta.some((d) => d.delete)) {
        this.rebuildNeeded = true;
        return;
      }
      for (const item of event.changes.added) for (const r of item.content.getContent()) this.index(r);
    });
  }

  /** The current version of a secret here, or undefined when it has no value in this environment. */
  current(secretId: string): SecretVersion | undefined {
    const h = this.build().get(secretId);
    return h?.[h.length - 1];
  }

  /** Every version, oldest first. */
  history(secretId: string): readonly SecretVersion[] {
    return this.build().get(secretId) ?? [];
  }

  /** Ids of the secrets that have a value here. */
  secretIds(): string[] {
    return [...this.build().keys()];
  }

  addVersion(versionId: string, secretId: string, value: string, author: Author, note = ''): SecretVersion {
    const n = (this.current(secretId)?.n ?? 0) + 1;
    const record: VersionRecord = ['v', versionId, secretId, n, value, author.at, author.by, note];
    this.versions.push([record]);
    this.index(record); // now, not at the end of a caller's transaction (see MetaScope.append)
    return this.current(secretId)!;
  }

  /** Deletes every version of the secret; returns how many. */
  purge(secretId: string): number {
    let removed = 0;
    this.doc.transact(() => {
      // Back to front, so indexes stay valid while deleting.
      const all = this.versions.toArray();
      for (let i = all.length - 1; i >= 0; i--) {
        const r = all[i];
        if (isVersion(r) && r[2] === secretId) {
          this.versions.delete(i, 1);
          removed++;
        }
      }
    });
    return removed;
  }

  private build(): Map<string, SecretVersion[]> {
    if (this.rebuildNeeded) {
      this.bySecret = new Map();
      this.seen = new Set();
      this.rebuildNeeded = false;
      for (const r of this.versions.toArray()) this.index(r);
    }
    return this.bySecret;
  }

  private index(r: unknown): void {
    if (!isVersion(r) || this.seen.has(r[1])) return;
    this.seen.add(r[1]);
    const v = toVersion(r);
    const list = this.bySecret.get(v.secretId);
    if (!list) {
      this.bySecret.set(v.secretId, [v]);
      return;
    }
    list.push(v);
    // Appends almost always arrive in order; sort only when one does not.
    if (list.length > 1 && compareVersions(list[list.length - 2]!, v) > 0) list.sort(compareVersions);
  }
}
