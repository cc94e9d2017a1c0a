/**
 * How secrets' metadata patches and value versions are written inside the Y.Docs: one
 * string per record, a few space-separated head fields and a JSON tail.
 *
 *   version:  "v <secretId> <n> <at> <versionId> [by, note, value]"
 *   patch:    "s <secretId> <clock> <at> <by> {fields}"
 *   grace:    "g <secretId> <versionId> <at> <by> {validUntil}"   (a replaced version still valid)
 *
 * Why strings and not Yjs maps or arrays of fields: Yjs decodes every string of every
 * record with its own TextDecoder call. Opening a 10,000-secret vault took ~50 ms per
 * environment with 8-field tuples and ~8 ms with one string per record (measured with
 * bench:open's data). The head fields are what indexing needs, read without parsing JSON;
 * the tail is parsed only when a record is looked at. Unknown kinds are skipped, so older
 * clients ignore records that newer ones add; a version tail may grow extra elements and a
 * patch or grace tail extra keys, which older clients ignore.
 */

export interface VersionHead {
  readonly secretId: string;
  readonly n: number;
  readonly at: number;
  readonly versionId: string;
}

export interface PatchHead {
  readonly secretId: string;
  readonly clock: number;
  readonly at: number;
  readonly by: string;
}

/** Ids are only ever map keys here; a cheap bound instead of a regex per record. */
const isId = (s: string): boolean => s.length > 0 && s.length <= 64;

/** Splits off `count` space-separated head fields; the rest is the tail. */
function splitHead(record: string, count: number): string[] | null {
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const sp = record.indexOf(' ', pos);
    if (sp < 0) return null;
    out.push(record.slice(pos, sp));
    pos = sp + 1;
  }
  out.push(record.slice(pos));
  return out;
}

export function encodeVersion(h: VersionHead, by: string, note: string, value: string): string {
  return `v ${h.secretId} ${h.n} ${h.at} ${h.versionId} ${JSON.stringify([by, note, value])}`;
}

/** The head of a version record, or null when `record` is not a well-formed one. */
export function versionHead(record: unknown): (VersionHead & { tail: string }) | null {
  if (typeof record !== 'string' || !record.startsWith('v ')) return null;
  const f = splitHead(record, 5);
  if (!f) return null;
  const [, secretId, n, at, versionId, tail] = f as [string, string, string, string, string, string];
  const nn = Number(n);
  const atn = Number(at);
  if (!isId(secretId) || !isId(versionId) || !Number.isSafeInteger(nn) || nn < 1 || !Number.isFinite(atn)) return null;
  return { secretId, n: nn, at: atn, versionId, tail };
}

/** [by, note, value] of a version's tail, or null when malformed. */
export function versionTail(tail: string): readonly [string, string, string] | null {
  try {
    const t = JSON.parse(tail);
    // Elements after the third are a newer client's additions: ignored, not a reason to drop the version.
    return Array.isArray(t) && t.length >= 3 && typeof t[0] === 'string' && typeof t[1] === 'string' && typeof t[2] === 'string'
      ? [t[0], t[1], t[2]]
      : null;
  } catch {
    return null;
  }
}

export function encodePatch(h: PatchHead, fields: object): string {
  return `s ${h.secretId} ${h.clock} ${h.at} ${h.by} ${JSON.stringify(fields)}`;
}

export function decodePatch(record: unknown): (PatchHead & { fields: Record<string, unknown> }) | null {
  if (typeof record !== 'string' || !record.startsWith('s ')) return null;
  const f = splitHead(record, 5);
  if (!f) return null;
  const [, secretId, clock, at, by, tail] = f as [string, string, string, string, string, string];
  const c = Number(clock);
  const atn = Number(at);
  if (!isId(secretId) || !Number.isSafeInteger(c) || !Number.isFinite(atn)) return null;
  try {
    const fields = JSON.parse(tail);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return null;
    return { secretId, clock: c, at: atn, by, fields };
  } catch {
    return null;
  }
}

export interface GraceRecord {
  readonly secretId: string;
  readonly versionId: string;
  readonly at: number;
  readonly by: string;
  /** The replaced version stays valid at the provider until then (ms since epoch). */
  readonly validUntil: number;
}

export function encodeGrace(g: GraceRecord): string {
  return `g ${g.secretId} ${g.versionId} ${g.at} ${g.by} ${JSON.stringify({ validUntil: g.validUntil })}`;
}

export function decodeGrace(record: unknown): GraceRecord | null {
  if (typeof record !== 'string' || !record.startsWith('g ')) return null;
  const f = splitHead(record, 5);
  if (!f) return null;
  const [, secretId, versionId, at, by, tail] = f as [string, string, string, string, string, string];
  const atn = Number(at);
  if (!isId(secretId) || !isId(versionId) || !Number.isFinite(atn)) return null;
  try {
    const t = JSON.parse(tail) as { validUntil?: unknown };
    return typeof t === 'object' && t !== null && typeof t.validUntil === 'number' && Number.isFinite(t.validUntil)
      ? { secretId, versionId, at: atn, by, validUntil: t.validUntil }
      : null;
  } catch {
    return null;
  }
}
