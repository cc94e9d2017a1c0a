/**
 * Templates for `tessera inject`: `{{ tessera://vault/env/KEY }}` placeholders (spaces
 * inside the braces optional) are replaced by the secret's expanded value. Every placeholder
 * is resolved before anything is written, so a missing one leaves no half-filled file.
 */
import { TesseraError } from '../../src-shared/errors';
import type { AuditSink } from '../audit/audit-sink';
import { ReferenceExpander } from './expand';
import type { VaultLookup } from './vault-lookup';

// As in references: the vault part is everything before the last two slashes.
const PLACEHOLDER = /\{\{\s*tessera:\/\/([^{}\s]+?)\/([a-z0-9][a-z0-9_-]*)\/([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface Placeholder {
  readonly vault: string;
  readonly env: string;
  readonly key: string;
}

export function placeholdersIn(template: string): Placeholder[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => ({ vault: m[1]!, env: m[2]!, key: m[3]! }));
}

/** The filled template; REFERENCE_MISSING names the first placeholder without a value. */
export async function fillTemplate(template: string, lookup: VaultLookup, audit: AuditSink, source: string): Promise<string> {
  const expander = new ReferenceExpander(lookup);
  const filled = new Map<string, string>();
  const used = new Map<string, { vaultId: string; vault: string; env: string; keys: Set<string> }>();
  for (const p of placeholdersIn(template)) {
    const id = `${p.vault}/${p.env}/${p.key}`;
    if (filled.has(id)) continue;
    const vaultId = await lookup.vaultId(p.vault);
    const value = await expander.expand({ vault: vaultId, env: p.env, key: p.key }).catch((e: unknown) => {
      // The placeholder itself missing reads better as the template's problem.
      if (e instanceof TesseraError && e.code === 'REFERENCE_MISSING' && e.details.key === p.key && e.details.env === p.env && !e.message.includes('referenced by')) {
        throw new TesseraError('REFERENCE_MISSING', `${source}: tessera://${id} has no value`, { key: p.key, env: p.env });
      }
      throw e;
    });
    filled.set(id, value);
    const group = used.get(`${vaultId}/${p.env}`) ?? { vaultId, vault: lookup.label(vaultId), env: p.env, keys: new Set<string>() };
    group.keys.add(p.key);
    used.set(`${vaultId}/${p.env}`, group);
  }
  for (const g of used.values()) {
    await audit.record({ action: 'inject', vaultId: g.vaultId, vault: g.vault, environment: g.env, secrets: [...g.keys], detail: { template: source } });
  }
  return template.replace(PLACEHOLDER, (_m, vault: string, env: string, key: string) => filled.get(`${vault}/${env}/${key}`)!);
}
