/**
 * Instant search over a vault's secrets. The index lowercases each secret's searchable text
 * once per list (not once per keystroke), so filtering 10,000 secrets is one pass of
 * `includes` over prepared strings.
 */
import type { SecretStatus, SecretSummary } from '../../src-shared/api/types';

export interface SecretFilters {
  readonly query: string;
  /** '' = any environment. */
  readonly environment: string;
  /** '' = any tag. */
  readonly tag: string;
  /** 'all' shows retired ones too; the default hides them. */
  readonly status: SecretStatus | 'all';
}

export interface SecretIndex {
  readonly secrets: readonly SecretSummary[];
  readonly text: readonly string[];
  readonly tags: readonly string[];
}

// Numeric order, so SERVICE_2 comes before SERVICE_10.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function indexSecrets(secrets: readonly SecretSummary[]): SecretIndex {
  const sorted = [...secrets].sort((a, b) => collator.compare(a.name, b.name));
  const tags = new Set<string>();
  const text = sorted.map((s) => {
    for (const t of s.tags) tags.add(t);
    return `${s.name}\n${s.description}\n${s.tags.join('\n')}`.toLowerCase();
  });
  return { secrets: sorted, text, tags: [...tags].sort() };
}

/** The secrets matching every word of the query and each filter, in name order. */
export function filterSecrets(index: SecretIndex, filters: SecretFilters): SecretSummary[] {
  const words = filters.query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: SecretSummary[] = [];
  for (let i = 0; i < index.secrets.length; i++) {
    const s = index.secrets[i]!;
    if (filters.status === 'all' ? false : s.status !== filters.status) continue;
    if (filters.environment && !s.environments.includes(filters.environment)) continue;
    if (filters.tag && !s.tags.includes(filters.tag)) continue;
    const text = index.text[i]!;
    if (words.every((w) => text.includes(w))) out.push(s);
  }
  return out;
}
