/**
 * Who may do what in a vault, as far as the relay can tell. Today the only member is the key
 * that registered the vault; a signed membership log will fill the members table, and these
 * two functions are the only places the relay asks.
 */
import type { RelayErrorCode } from '../src-shared/protocol/messages';
import type { RelayStorage, Role } from './storage';

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

export async function isMember(storage: RelayStorage, vaultId: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  return (await storage.memberRole(vaultId, publicKey)) !== undefined;
}

/**
 * Whether `author` may write `scopeId` of the vault. Per-scope rights arrive with the
 * membership log; until then every writing role may write every scope.
 */
export async function canWrite(storage: RelayStorage, vaultId: Uint8Array, author: Uint8Array, scopeId: Uint8Array): Promise<boolean> {
  const role = await storage.memberRole(vaultId, author);
  return role !== undefined && WRITERS.has(role);
}
