/**
 * Machine members: a CI pipeline, a server or a container that reads (or, for rotation jobs,
 * writes) some environments of one vault. An owner or admin makes one: fresh keys, added to
 * the signed membership log like a person (its key wraps are for exactly its environments),
 * with a name, a role, an optional expiry and its maker. Its secret keys leave only as the
 * token printed once (src-shared/membership/machine-token.ts); Tessera keeps no copy.
 * Revoking is a removal: new keys for everything it could read, and the exposure list.
 */
import { fingerprint, formatFingerprint, memberId, type PublicIdentity } from '../../src-shared/crypto/identity';
import { TesseraError } from '../../src-shared/errors';
import { addMember } from '../../src-shared/membership/builders';
import { memberName } from '../../src-shared/membership/keys';
import { encodeMachineToken } from '../../src-shared/membership/machine-token';
import { currentMember, currentMembers, isExpiredMachine, mayManage, type Member } from '../../src-shared/membership/state';
import type { Exposure } from '../../src-shared/vault/types';
import { auditOf } from '../audit/session-audit';
import { readSyncState } from '../sync/sync-state';
import { withVaultMembership } from '../sync/vault-relay';
import type { Vault } from '../vaults/vault';
import { membershipOf } from './invites';
import { pushEntry } from './log-sync';
import { readAccessLog } from './access-log';
import { removeFromVault } from './remove';
import { syncOnce } from '../sync/sync-runs';
import type { SyncSummary } from '../sync/vault-sync';

export type MachineRole = 'viewer' | 'editor';

export interface MachineView {
  readonly name: string;
  readonly memberId: string;
  readonly role: MachineRole;
  readonly environments: string[];
  readonly createdAt: number;
  /** The maker's name in the vault (or its member id when unreadable). */
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly expired: boolean;
}

export interface CreatedToken {
  /** Shown once: Tessera keeps no copy. */
  readonly token: string;
  readonly machine: MachineView;
}

/** A machine's name: letters, digits, dot, dash and underscore, as a CI job or host name goes. */
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Makes a machine member of `vault` that reads `environments`; returns its token (to print once). */
export async function createMachineToken(
  vault: Vault,
  input: { readonly name: string; readonly role?: MachineRole; readonly environments: readonly string[]; readonly expiresAt?: number | null },
): Promise<CreatedToken> {
  const role = input.role ?? 'viewer';
  if (!MACHINE_NAME.test(input.name)) throw new TesseraError('INVALID_NAME', 'A token name is 1 to 63 letters, digits, dots, dashes or underscores (e.g. ci-deploy)');
  if (input.environments.length === 0) throw new TesseraError('INVALID_INPUT', 'A token reads at least one environment (--env)');
  const sync = await readSyncState(vault.session.home, vault.id);
  if (!sync) throw new TesseraError('NO_RELAY', `Vault ${vault.name} has no relay for the machine to read from: tessera vault relay ${vault.name} ws://HOST:PORT`);
  const suite = vault.session.suite;
  const signSeed = suite.randomBytes(32);
  const boxSecret = suite.randomBytes(32);
  const identity: PublicIdentity = { signPublicKey: suite.ed25519.publicKeyFromSeed(signSeed), boxPublicKey: suite.box.publicKeyFromSecret(boxSecret) };
  const expiresAt = input.expiresAt ?? null;
  await withVaultMembership(vault, async (client, log) => {
    const me = currentMember(log.state, vault.session.signingKey.publicKey);
    if (!me || !mayManage(me.role, role)) throw new TesseraError('NO_ACCESS', `Your role (${me?.role ?? 'none'}) cannot make a machine ${role}`);
    if (machinesOf(vault).some((m) => m.name === input.name)) throw new TesseraError('ALREADY_EXISTS', `A token named ${input.name} already exists in ${vault.name}`);
    const envScopes = input.environments.map((name) => {
      const env = vault.environmentByName(name);
      if (!env) throw new TesseraError('NOT_FOUND', `No environment ${name} in this vault`);
      if (!me.scopes.has(env.id)) throw new TesseraError('NO_ACCESS', `You cannot grant ${name}: you do not read it`);
      return env.id;
    });
    const built = addMember(suite, log.state, vault.session.signingKey, vault.session.keys.vaults.get(vault.id)!.scopes, {
      identity,
      name: input.name,
      role,
      envScopes,
      machine: { expiresAt },
    });
    vault.setMembership(await pushEntry(vault.session, client, vault.id, log, built.bytes, built.state));
  });
  const token = encodeMachineToken({ relay: sync.relay, vaultId: vault.membership!.state.vaultId, genesisHash: vault.membership!.state.genesisHash, signSeed, boxSecret, vaultName: vault.name });
  signSeed.fill(0);
  boxSecret.fill(0);
  const machine = machinesOf(vault).find((m) => m.memberId === memberId(identity))!;
  await auditOf(vault.session).record({
    action: 'token-created',
    vaultId: vault.id,
    vault: vault.name,
    subject: machine.memberId,
    detail: { name: machine.name, role, environments: machine.environments, ...(expiresAt !== null ? { expiresAt } : {}) },
  });
  return { token, machine };
}

/** The vault's current machine members, as the verified log gives them. */
export function machinesOf(vault: Vault, now = Date.now()): MachineView[] {
  const { state } = membershipOf(vault);
  const metaKeys = vault.session.keys.vaults.get(vault.id)!.scopes.get(state.metaScope) ?? new Map();
  const envName = new Map(vault.environments().map((e) => [e.id, e.name]));
  const nameOf = (m: Member) => memberName(vault.session.suite, state, m, metaKeys) ?? memberId(m.identity);
  return currentMembers(state)
    .filter((m) => m.machine)
    .map((m) => {
      const maker = state.members.get(m.machine!.addedBy);
      return {
        name: nameOf(m),
        memberId: memberId(m.identity),
        role: m.role as MachineRole,
        environments: [...m.scopes].map((s) => envName.get(s) ?? s.slice(0, 8)),
        createdAt: m.addedAt,
        createdBy: maker ? nameOf(maker) : m.machine!.addedBy.slice(0, 16),
        expiresAt: m.machine!.expiresAt,
        expired: isExpiredMachine(m, now),
      };
    });
}

/** Revokes the token named `name`: a removal, with new keys for all it could read and the exposure list. */
export async function revokeMachineToken(vault: Vault, name: string): Promise<Exposure> {
  const machine = machinesOf(vault).find((m) => m.name === name);
  if (!machine) throw new TesseraError('NOT_FOUND', `No token named ${name} in ${vault.name} (see tessera token list --vault ${vault.name})`);
  const { state } = membershipOf(vault);
  const member = currentMembers(state).find((m) => memberId(m.identity) === machine.memberId)!;
  return removeFromVault(vault, formatFingerprint(fingerprint(member.identity)));
}

/**
 * Machines whose expiry has passed are no longer served by the relay; this re-keys them out
 * (as a revocation) when the profile may manage them. Returns the names removed.
 */
export async function removeExpiredMachines(vault: Vault, now = Date.now()): Promise<string[]> {
  const log = vault.membership;
  const me = log && currentMember(log.state, vault.session.signingKey.publicKey);
  if (!log || !me) return [];
  const removed: string[] = [];
  for (const m of machinesOf(vault, now)) {
    if (!m.expired || !mayManage(me.role, m.role)) continue;
    await revokeMachineToken(vault, m.name);
    removed.push(m.name);
  }
  return removed;
}

/**
 * One sync, then the housekeeping a manager's sync owes the vault: machine tokens past their
 * expiry (which the relay already refuses) are re-keyed out. What every client's Sync runs.
 */
export async function syncVault(vault: Vault): Promise<{ summary: SyncSummary; expired: string[] }> {
  const summary = await syncOnce(vault);
  const expired = summary.withheldHead ? [] : await removeExpiredMachines(vault);
  return { summary, expired };
}

/** Member ids of every machine the vault ever had (revoked ones too: their reports stay). */
export function machineIds(vault: Vault): Set<string> {
  return new Set([...membershipOf(vault).state.members.values()].filter((m) => m.machine).map((m) => memberId(m.identity)));
}

/**
 * The tokens with when each was last used, as the team access log knows it (tokens report
 * every use). Reading that log takes an owner or admin and the relay; without either, the
 * list comes without it (lastUsedAt undefined).
 */
export async function machinesWithLastUse(vault: Vault): Promise<(MachineView & { readonly lastUsedAt?: number | null })[]> {
  const machines = machinesOf(vault);
  const { state } = membershipOf(vault);
  const role = currentMember(state, vault.session.signingKey.publicKey)?.role;
  if (!machines.length || (role !== 'owner' && role !== 'admin') || !(await readSyncState(vault.session.home, vault.id))) return machines;
  let entries: readonly { member: string; at: number }[];
  try {
    entries = (await readAccessLog(vault)).entries;
  } catch (e) {
    if (e instanceof TesseraError) return machines; // the relay away: the list still answers
    throw e;
  }
  const last = new Map<string, number>();
  for (const e of entries) last.set(e.member, Math.max(last.get(e.member) ?? 0, e.at));
  return machines.map((m) => ({ ...m, lastUsedAt: last.get(m.memberId) ?? null }));
}
