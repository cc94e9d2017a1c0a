// @vitest-environment jsdom
/**
 * The secrets list with 10,000 secrets: `npx vitest bench --run src-renderer/secrets`.
 * Each measurement runs next to its baseline in the same run (vitest prints the ratio):
 * - search per keystroke: the prepared index against lowercasing every field on each key;
 * - drawing the list: the windowed list against rendering every row.
 */
import { cleanup, render } from '@testing-library/react';
import { bench, describe } from 'vitest';
import type { SecretSummary } from '../../src-shared/api/types';
import { WindowedList } from '../components/WindowedList';
import { filterSecrets, indexSecrets } from './filter';

const secrets: SecretSummary[] = Array.from({ length: 10_000 }, (_, i) => ({
  id: `s${i}`,
  name: `SERVICE_${i}_API_KEY`,
  description: `Key for service ${i} in region ${i % 7}`,
  tags: [`team-${i % 13}`, i % 2 ? 'billing' : 'infra'],
  status: 'active',
  environments: ['development', 'production'],
  updatedAt: 0,
  updatedBy: 'm',
  rotation: 'none',
}));
const queries = ['s', 'se', 'ser', 'serv', 'service_4', 'service_42', 'billing 9'];
const index = indexSecrets(secrets);

/** The obvious implementation: no index, lowercase as you go. */
function naive(query: string): SecretSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return secrets.filter((s) => words.every((w) => s.name.toLowerCase().includes(w) || s.description.toLowerCase().includes(w) || s.tags.some((t) => t.toLowerCase().includes(w))));
}

describe('search 10,000 secrets (7 keystrokes)', () => {
  bench('prepared index', () => {
    for (const q of queries) filterSecrets(index, { query: q, environment: '', tag: '', status: 'active' });
  });
  bench('baseline: lowercase every field per keystroke', () => {
    for (const q of queries) naive(q);
  });
});

const row = (i: number) => (
  <div role="option" aria-selected={false} className="secret-row">
    <span>{secrets[i]!.name}</span>
    <span>{secrets[i]!.description}</span>
  </div>
);

describe('draw a list of 10,000 secrets', () => {
  bench(
    'windowed list',
    () => {
      render(<WindowedList count={secrets.length} rowHeight={52} active={-1} renderRow={row} />);
      cleanup();
    },
    { time: 1000 },
  );
  bench(
    'baseline: every row rendered',
    () => {
      render(<div>{secrets.map((_, i) => <div key={i}>{row(i)}</div>)}</div>);
      cleanup();
    },
    // Seconds per render: a few samples tell the story.
    { time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 },
  );
});
