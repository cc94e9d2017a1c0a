/**
 * What `tessera run` takes from the vault: the expanded values of one environment's live
 * secrets (or the ones asked for), and one audit event naming the command and the keys.
 * The caller locks the session before the child starts, so no key stays in memory for
 * the length of a long-running program; only the values it hands over do.
 */
import type { AuditSink } from '../audit/audit-sink';
import { expandedEntries } from '../references/vault-lookup';
import type { Vault } from '../vaults/vault';

export interface PreparedRun {
  readonly secrets: { key: string; value: string }[];
}

export async function prepareRun(
  vault: Vault,
  env: string,
  opts: { command: string; only?: readonly string[]; audit: AuditSink; allowVaults?: readonly string[] },
): Promise<PreparedRun> {
  const secrets = await expandedEntries(vault, env, { ...(opts.only ? { only: opts.only } : {}), allowVaults: opts.allowVaults ?? [] });
  // argv[0] only: arguments may carry anything, including a value pasted by hand.
  await opts.audit.record({
    action: 'run',
    vaultId: vault.id,
    vault: vault.name,
    environment: env,
    secrets: secrets.map((s) => s.key),
    detail: { command: opts.command },
  });
  return { secrets };
}
