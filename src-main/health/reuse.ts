/**
 * Finding one value used by several secrets (or by one secret in several environments)
 * without comparing values: each value is replaced, inside the unlocked process, by an
 * HMAC-SHA-256 tag under a key derived from the device key for this purpose alone, and
 * only tags are grouped. Tags are never stored or shown; a tag of a guessable value
 * cannot be checked against a dictionary by anyone who lacks the device key, and the key
 * is useless for anything else (domain-separated from the record and trust keys).
 */
import { createHmac } from 'node:crypto';
import type { Session } from '../profile/profile';

export interface TaggedValue {
  readonly vaultId: string;
  readonly vault: string;
  readonly secret: string;
  readonly environment: string;
  readonly tag: string;
}

/** The reuse key of this profile's device: HMAC(device key, purpose label). */
export function reuseKey(session: Session): Buffer {
  return createHmac('sha256', session.deviceKeyForRecords).update('tessera/health-reuse/v1').digest();
}

export function valueTag(key: Uint8Array, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

/** Groups of two or more places sharing one tag; each group in input order. */
export function findReuse(tagged: Iterable<TaggedValue>): TaggedValue[][] {
  const byTag = new Map<string, TaggedValue[]>();
  for (const t of tagged) {
    const g = byTag.get(t.tag);
    if (g) g.push(t);
    else byTag.set(t.tag, [t]);
  }
  return [...byTag.values()].filter((g) => g.length > 1);
}
