/**
 * What a version in a secret's history still means at the provider: the current value;
 * a replaced value "still valid until DATE" (a grace window, for providers with two live
 * keys); or a replaced value that is revoked (from the end of its grace window, or from
 * the moment it was replaced when there was none).
 */
export type Standing =
  | { readonly state: 'current' }
  | { readonly state: 'valid'; readonly until: number }
  | { readonly state: 'revoked'; readonly since: number };

/** Standings for a history ordered oldest first (the last is current), at time `now`. */
export function standings(
  history: readonly { readonly id: string; readonly at: number }[],
  validUntil: (versionId: string) => number | undefined,
  now: number,
): Standing[] {
  return history.map((v, i) => {
    if (i === history.length - 1) return { state: 'current' };
    const until = validUntil(v.id);
    if (until !== undefined && now < until) return { state: 'valid', until };
    return { state: 'revoked', since: until ?? history[i + 1]!.at };
  });
}
