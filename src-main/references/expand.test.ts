import { describe, expect, it } from 'vitest';
import { isTesseraError } from '../../src-shared/errors';
import { ReferenceExpander, referencesIn, type SecretRef, type ValueLookup } from './expand';

/**
 * Vaults by name → env → key → value; the vault id is its name upper-cased. Every value is
 * written by 'writer'; `forbidden` lists targets ("VAULT/env/KEY") that writer may not read.
 */
function lookupOver(data: Record<string, Record<string, Record<string, string>>>, forbidden: readonly string[] = []): ValueLookup & { reads: string[]; asked: string[] } {
  const reads: string[] = [];
  const asked: string[] = [];
  return {
    reads,
    asked,
    async mayFollow(from, by, to) {
      const target = `${to.vault}/${to.env}/${to.key}`;
      asked.push(`${by}@${from.vault}/${from.env}/${from.key} → ${target}`);
      if (forbidden.includes(target)) throw Object.assign(new Error('not allowed'), { code: 'REFERENCE_NOT_ALLOWED' });
    },
    async vaultId(name) {
      if (!data[name]) throw Object.assign(new Error('no vault'), { code: 'REFERENCE_MISSING' });
      return name.toUpperCase();
    },
    async value(ref: SecretRef) {
      reads.push(`${ref.vault}/${ref.env}/${ref.key}`);
      const value = data[ref.vault.toLowerCase()]?.[ref.env]?.[ref.key];
      return value === undefined ? undefined : { value, by: 'writer' };
    },
    label: (id) => id.toLowerCase(),
  };
}

const at = (key: string, env = 'dev', vault = 'APP'): SecretRef => ({ vault, env, key });

async function error(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isTesseraError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

describe('references', () => {
  it('expands same-environment, other-environment and other-vault references, recursively', async () => {
    const lookup = lookupOver({
      app: {
        dev: { HOST: 'db.internal', PORT: '5432', URL: 'postgres://u@${HOST}:${PORT}/app', FULL: '${URL}?ssl=${prod/MODE}&t=${shared/prod/TOKEN}' },
        prod: { MODE: 'require' },
      },
      shared: { prod: { TOKEN: 'tk-${SUFFIX}', SUFFIX: '42' } },
    });
    const x = new ReferenceExpander(lookup);
    expect(await x.expand(at('FULL'))).toBe('postgres://u@db.internal:5432/app?ssl=require&t=tk-42');
  });

  it('reads each secret once per expander, however often it is referenced', async () => {
    const lookup = lookupOver({ app: { dev: { A: '${B}${B}', B: '${C}-${C}', C: 'c' } } });
    const x = new ReferenceExpander(lookup);
    expect(await x.expand(at('A'))).toBe('c-cc-c');
    expect(lookup.reads.sort()).toEqual(['APP/dev/A', 'APP/dev/B', 'APP/dev/C']);
  });

  it('leaves text that is not a reference alone, and $${ writes a literal ${', async () => {
    const raw = 'pa$$word ${1X} ${a b} $HOME ${} $${HOST} ${HOST';
    const x = new ReferenceExpander(lookupOver({ app: { dev: { V: raw, HOST: 'h' } } }));
    expect(await x.expand(at('V'))).toBe('pa$$word ${1X} ${a b} $HOME ${} ${HOST} ${HOST');
    expect(referencesIn(raw)).toEqual([]);
  });

  it('accepts vault names with slashes (the last two parts are environment and key)', async () => {
    const lookup = lookupOver({ 'team/api': { prod: { K: 'v' } }, app: { dev: { R: '<${team/api/prod/K}>' } } });
    expect(await new ReferenceExpander(lookup).expand(at('R'))).toBe('<v>');
    expect(referencesIn('${team/api/prod/K}')).toEqual([{ vault: 'team/api', env: 'prod', key: 'K' }]);
  });

  it('names the whole loop of a cycle, without values', async () => {
    const lookup = lookupOver({ app: { dev: { A: 'sekrit-a ${B}', B: 'sekrit-b ${prod/C}' }, prod: { C: '${dev/A}' } } });
    const e = await error(new ReferenceExpander(lookup).expand(at('A')));
    expect(e.code).toBe('REFERENCE_CYCLE');
    expect(e.message).toContain('A → B → prod/C → A');
    expect(e.message).not.toContain('sekrit');
  });

  it('a self-reference is a cycle', async () => {
    const e = await error(new ReferenceExpander(lookupOver({ app: { dev: { A: 'x${A}' } } })).expand(at('A')));
    expect(e.code).toBe('REFERENCE_CYCLE');
  });

  it('a missing reference says which secret wanted it', async () => {
    const lookup = lookupOver({ app: { dev: { URL: 'sekrit ${NOPE}' } } });
    const e = await error(new ReferenceExpander(lookup).expand(at('URL')));
    expect(e).toEqual({ code: 'REFERENCE_MISSING', message: 'NOPE has no value (referenced by URL)' });
  });

  it('a reference to another vault reads as vault/env/KEY in errors', async () => {
    const lookup = lookupOver({ app: { dev: { URL: '${other/prod/GONE}' } }, other: { prod: {} } });
    const e = await error(new ReferenceExpander(lookup).expand(at('URL')));
    expect(e.message).toBe('other/prod/GONE has no value (referenced by URL)');
  });

  it('asks, for every reference, whether the referencing value\'s writer may read its target, and follows none it may not', async () => {
    const lookup = lookupOver({ app: { dev: { URL: 'x${prod/SECRET}', OK: '${HOST}', HOST: 'h' }, prod: { SECRET: 'production-only' } } }, ['APP/prod/SECRET']);
    const x = new ReferenceExpander(lookup);
    expect(await x.expand(at('OK'))).toBe('h');
    await expect(x.expand(at('URL'))).rejects.toMatchObject({ code: 'REFERENCE_NOT_ALLOWED' });
    // Refused before the target was read: its value never entered the expansion.
    expect(lookup.reads).not.toContain('APP/prod/SECRET');
    expect(lookup.asked).toEqual(['writer@APP/dev/OK → APP/dev/HOST', 'writer@APP/dev/URL → APP/prod/SECRET']);
  });
});
