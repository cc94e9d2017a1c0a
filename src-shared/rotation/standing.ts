/**
 * What a version in a secret's history still means at the provider: the current value;
 * a replaced value "still valid until DATE" (a grace window, for providers with two live
 * keys); a value a rotation revoked (from the end of its grace window, or from the moment
 * of the rotation when there was none); or a value merely replaced (a plain set or edit,
 * an import): Tessera holds a newer one, and nobody said the old one was revoked.
 *
 * A rotation leaves a grace record for the version it replaces (valid until the rotation
 * itself when there is no window): that record is what tells "revoked" from "replaced".
 */
export type Standing =
  | { readonly state: 'current' }
  | { readonly state: 'valid'; readonly until: number }
  | { readonly state: 'revoked'; readonly since: number }
  | { readonly state: 'replaced'; readonly since: number };

/** Standings for a history ordered oldest first (the last is current), at time `now`. */
export function standings(
  history: readonly { readonly id: string; readonly at: number }[],
  validUntil: (versionId: string) => number | undefined,
  now: number,
): Standing[] {
  return history.map((v, i) => {
    if (i === history.length - 1) return { state: 'current' };
    const until = validUntil(v.id);
    if (until === undefined) return { state: 'replaced', since: history[i + 1]!.at };
    if (now < until) return { state: 'valid', until };
    return { state: 'revoked', since: until };
  });
}
