/**
 * Binding a vault's environment names into its signed membership log. New vaults are born
 * with the entry (vaults.ts); a vault shared before names were bound gets it from its owner's
 * first sync after the upgrade, from the names as the owner's device shows them then (trust
 * on first use: an editor who relabelled environments before that would have to be caught by
 * the owner looking at the list it binds; `tessera vault list` shows them).
 */
import { nameEnvironments } from '../../src-shared/membership/builders';
import { currentMember } from '../../src-shared/membership/state';
import type { RelayClient } from '../sync/relay-client';
import type { Vault } from '../vaults/vault';
import { pushEntry } from './log-sync';

/** Appends the environments entry through the relay if the vault lacks one and this profile is an owner. True when it did. */
export async function bindEnvironmentNames(vault: Vault, client: RelayClient): Promise<boolean> {
  const log = vault.membership;
  if (!log || log.state.environmentNames) return false;
  if (currentMember(log.state, vault.session.signingKey.publicKey)?.role !== 'owner') return false;
  const known = new Map(vault.environments().map((e) => [e.id, e.name]));
  // Only scopes the log knows, each with the name the metadata gives it (or, for a scope the
  // metadata never named, its id: better than a gap every reader would trip on).
  const names = log.state.envScopes.map((scopeId) => ({ scopeId, name: known.get(scopeId) ?? scopeId.slice(0, 12) }));
  const held = vault.session.keys.vaults.get(vault.id)!.scopes;
  const built = nameEnvironments(vault.session.suite, log.state, vault.session.signingKey, held, { names });
  vault.setMembership(await pushEntry(vault.session, client, vault.id, log, built.bytes, built.state));
  return true;
}
