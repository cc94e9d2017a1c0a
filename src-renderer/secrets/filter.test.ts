import { describe, expect, it } from 'vitest';
import type { SecretSummary } from '../../src-shared/api/types';
import { filterSecrets, indexSecrets } from './filter';

const secret = (name: string, extra: Partial<SecretSummary> = {}): SecretSummary => ({
  id: name,
  name,
  description: '',
  tags: [],
  status: 'active',
  environments: ['production'],
  updatedAt: 0,
  updatedBy: 'm',
  rotation: 'none',
  ...extra,
});

describe('secret search', () => {
  const index = indexSecrets([
    secret('STRIPE_KEY', { description: 'Payments API', tags: ['billing'] }),
    secret('AWS_SECRET', { environments: ['development'], tags: ['infra'] }),
    secret('OLD', { status: 'retired' }),
  ]);
  const all = { query: '', environment: '', tag: '', status: 'active' } as const;

  it('matches every word, in any field, ignoring case', () => {
    expect(filterSecrets(index, { ...all, query: 'payments stripe' }).map((s) => s.name)).toEqual(['STRIPE_KEY']);
    expect(filterSecrets(index, { ...all, query: 'BILLING' }).map((s) => s.name)).toEqual(['STRIPE_KEY']);
    expect(filterSecrets(index, { ...all, query: 'stripe aws' })).toEqual([]);
  });

  it('sorts by name and applies environment, tag and status', () => {
    expect(filterSecrets(index, all).map((s) => s.name)).toEqual(['AWS_SECRET', 'STRIPE_KEY']);
    expect(filterSecrets(index, { ...all, environment: 'development' }).map((s) => s.name)).toEqual(['AWS_SECRET']);
    expect(filterSecrets(index, { ...all, tag: 'infra' }).map((s) => s.name)).toEqual(['AWS_SECRET']);
    expect(filterSecrets(index, { ...all, status: 'all' }).map((s) => s.name)).toEqual(['AWS_SECRET', 'OLD', 'STRIPE_KEY']);
    expect(index.tags).toEqual(['billing', 'infra']);
  });
});
