/**
 * The user's own values a scan looks for: the current value of every live secret in every
 * environment this profile can read (of the vaults named, or all). Values are turned into
 * the keyed fingerprint index at once and only the index travels further.
 */
import { TesseraError } from '../../src-shared/errors';
import type { Session } from '../profile/profile';
import { ReferenceExpander } from '../references/expand';
import { VaultLookup } from '../references/vault-lookup';
import { vaultDirectory } from '../vaults/vault-directory';
import { buildFingerprintIndex, MIN_VALUE_LENGTH, type FingerprintIndexData } from './fingerprints';

/** Which secret a fingerprint belongs to. Names only. */
export interface VaultSecretRef {
  readonly vaultId: string;
  readonly vault: string;
  readonly environment: string;
  readonly secret: string;
}

export interface VaultValueIndex {
  readonly index: FingerprintIndexData;
  /** By the index's secret number. */
  readonly secrets: readonly VaultSecretRef[];
  /** Current values read: one per live secret and environment (the unit of tooShort too). */
  readonly valueCount: number;
  /** Of those, values too short to look for. */
  readonly tooShort: number;
}

export async function indexVaultValues(session: Session, onlyVaults?: readonly string[]): Promise<VaultValueIndex> {
  // A damaged vault does not stop a scan of the others.
  const { vaults } = await vaultDirectory(session).openAll();
  const chosen = onlyVaults ? vaults.filter((v) => onlyVaults.some((n) => n === v.name || (n.length >= 6 && v.id.startsWith(n.toLowerCase())))) : vaults;
  if (onlyVaults) {
    const missing = onlyVaults.filter((n) => !chosen.some((v) => n === v.name || (n.length >= 6 && v.id.startsWith(n.toLowerCase()))));
    if (missing.length) throw new TesseraError('NOT_FOUND', `No vault ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  }
  const expander = new ReferenceExpander(new VaultLookup(session, vaults));
  const values: string[] = [];
  const secrets: VaultSecretRef[] = [];
  const seen = new Set<string>();
  let valueCount = 0;
  let tooShort = 0;
  for (const vault of chosen) {
    const live = vault.meta.secrets().filter((s) => s.status === 'active');
    for (const { environment, values: scope } of await vault.readableEnvironments()) {
      for (const s of live) {
        const stored = scope.current(s.id)?.value;
        if (stored === undefined) continue;
        valueCount++;
        // A value built from references leaks in its expanded form; a broken reference leaves the stored text.
        const expanded = await expander.expand({ vault: vault.id, env: environment.name, key: s.name }).catch(() => stored);
        for (const v of new Set([expanded, stored])) {
          if (v.length < MIN_VALUE_LENGTH) {
            if (v === expanded) tooShort++;
            continue;
          }
          if (seen.has(v)) continue; // the same value under two names: one is enough to find it
          seen.add(v);
          values.push(v);
          secrets.push({ vaultId: vault.id, vault: vault.name, environment: environment.name, secret: s.name });
        }
      }
    }
  }
  return { index: buildFingerprintIndex(values), secrets, valueCount, tooShort };
}
