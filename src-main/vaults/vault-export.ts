/**
 * `tessera export --all-envs --format json`: every environment this profile reads, with
 * each secret's metadata (description, tags, service, owner, status, rotation policy), in
 * one documented JSON file (README "Leaving Tessera"), so that a team can move out as
 * easily as it moved in. Each environment's values leave through exportValues, so each is
 * recorded as an export like a one-environment export.
 */
import type { SecretMeta } from '../../src-shared/vault/types';
import { exportValues } from '../references/vault-lookup';
import type { Vault } from './vault';

export interface ExportedSecret extends Pick<SecretMeta, 'name' | 'description' | 'tags' | 'service' | 'owner' | 'status' | 'rotation'> {
  /** Environment name → current value; environments without a value are absent. */
  readonly values: Record<string, string>;
}

export interface VaultExport {
  readonly format: 'tessera-vault-export';
  readonly version: 1;
  readonly vault: { readonly id: string; readonly name: string };
  readonly exportedAt: string;
  /** Environments whose values are in the file. */
  readonly environments: readonly string[];
  /** Environments this profile may not read: their values are not in the file. */
  readonly unreadableEnvironments: readonly string[];
  readonly secrets: readonly ExportedSecret[];
}

export async function exportAllEnvironments(vault: Vault, opts: { expand?: boolean; allowVaults?: readonly string[] } = {}): Promise<VaultExport> {
  const environments: string[] = [];
  const unreadable: string[] = [];
  const values = new Map<string, Record<string, string>>();
  for (const env of vault.environments()) {
    if (!vault.canRead(env.name)) {
      unreadable.push(env.name);
      continue;
    }
    environments.push(env.name);
    for (const { key, value } of await exportValues(vault, env.name, { ...opts, format: 'json-all-envs' })) {
      let byEnv = values.get(key);
      if (!byEnv) values.set(key, (byEnv = Object.create(null) as Record<string, string>));
      byEnv[env.name] = value;
    }
  }
  const secrets: ExportedSecret[] = [];
  for (const s of vault.meta.secrets()) {
    secrets.push({
      name: s.name,
      description: s.description,
      tags: [...s.tags],
      service: s.service,
      owner: s.owner,
      status: s.status,
      rotation: { ...s.rotation },
      values: { ...(values.get(s.name) ?? {}) },
    });
  }
  return {
    format: 'tessera-vault-export',
    version: 1,
    vault: { id: vault.id, name: vault.name },
    exportedAt: new Date().toISOString(),
    environments,
    unreadableEnvironments: unreadable,
    secrets: secrets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}
