/**
 * Who may do what in a vault, as far as the relay can tell: from the vault's signed
 * membership log where it has one, else (a vault registered before sharing) the key that
 * registered it is the only member. These two functions are the only places the relay asks.
 */
import type { RelayErrorCode } from '../src-shared/protocol/messages';
import type { RelayStorage, Role } from './storage';
import { toHex } from '../src-shared/crypto/bytes';
import { canWrite as canWriteScope, currentMember, isExpiredMachine } from '../src-shared/membership/state';
import { isAccessScope } from '../src-shared/membership/access-log';

const WRITERS: ReadonlySet<Role> = new Set(['owner', 'admin', 'editor']);

/** A failed request: answered with an `error` frame carrying `code`, the socket stays open. */
export class RelayFailure extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RelayFailure';
  }
}

/**
 * Throws NOT_A_MEMBER unless `publicKey` is a member of the vault the relay may serve, or
 * TOKEN_EXPIRED for a machine member whose expiry (in the signed log) has passed: the relay
 * stops serving it at once, and the next owner's or admin's sync re-keys it out.
 */
export async function assertMember(storage: RelayStorage, vaultId: Uint8Array, publicKey: Uint8Array, now = Date.now()): Promise<void> {
  const state = await storage.memberships.state(vaultId);
  const m = state && currentMember(state, publicKey);
  if (m && isExpiredMachine(m, now)) throw new RelayFailure('TOKEN_EXPIRED', 'This machine token has expired');
  if (!(await isMember(storage, vaultId, publicKey))) throw new RelayFailure('NOT_A_MEMBER', 'Your key is not a member of this vault');
}

export async function isMember(storage: RelayStorage, vaultId: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  const state = await storage.memberships.state(vaultId);
  if (state) return currentMember(state, publicKey) !== undefined;
  return (await storage.memberRole(vaultId, publicKey)) !== undefined;
}

/**
 * Whether `author` may write `scopeId` of the vault. Per-scope rights arrive with the
 * membership log; until then every writing role may write every scope.
 */
export async function canWrite(storage: RelayStorage, vaultId: Uint8Array, author: Uint8Array, scopeId: Uint8Array): Promise<boolean> {
  // A vault with a membership log: its rules (role, and the scopes the member may read).
  const state = await storage.memberships.state(vaultId);
  // The access log takes reports from every member, viewers included (who write nothing else).
  if (state && isAccessScope(vaultId, scopeId)) return currentMember(state, author) !== undefined;
  if (state) return canWriteScope(state, author, toHex(scopeId));
  const role = await storage.memberRole(vaultId, author);
  return role !== undefined && WRITERS.has(role);
}
