/**
 * What an import from another tool would do, and doing it: the file is parsed and mapped
 * whole first (any problem refuses it all), the preview says which secrets would be added,
 * updated or left unchanged and which entries are skipped and why, and nothing is written
 * until `applyImport`. Comparing values answers "is this the value?" for each name, so the
 * preview is recorded in the audit log (`import-preview`, names only) like the import.
 */
import { auditOf } from '../audit/session-audit';
import { importEntries, type ImportResult } from '../vaults/secrets';
import type { Vault } from '../vaults/vault';
import type { SkippedEntry } from './import-item';
import type { MappedImport } from './mapping';

export interface ImportPlan {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  readonly skipped: readonly SkippedEntry[];
}

export async function previewImport(vault: Vault, env: string, mapped: MappedImport, source: string): Promise<ImportPlan> {
  const { environment, values } = await vault.environment(env);
  vault.assertMayWrite(environment.id, `values in ${env}`);
  vault.assertMayWrite(vault.metaScopeId, 'secrets');
  const plan = { added: [] as string[], updated: [] as string[], unchanged: [] as string[], skipped: mapped.skipped };
  for (const s of mapped.secrets) {
    const secret = vault.meta.secretByName(s.key);
    const current = secret ? values.current(secret.id) : undefined;
    if (!current) plan.added.push(s.key);
    else if (current.value === s.value) plan.unchanged.push(s.key);
    else plan.updated.push(s.key);
  }
  await auditOf(vault.session).record({
    action: 'import-preview',
    vaultId: vault.id,
    vault: vault.name,
    environment: env,
    secrets: [...plan.updated, ...plan.unchanged],
    detail: { added: plan.added.length, updated: plan.updated.length, unchanged: plan.unchanged.length, skipped: plan.skipped.length, source },
  });
  return plan;
}

export function applyImport(vault: Vault, env: string, mapped: MappedImport, source: string): Promise<ImportResult> {
  return importEntries(vault, env, mapped.secrets, source);
}
