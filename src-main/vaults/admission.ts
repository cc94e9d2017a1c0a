/**
 * What a vault lets in from elsewhere (the relay): an envelope whose author could write the
 * scope at the membership head it names (src-shared/membership/authorship.ts), and, for an
 * update, only records that name that author as their writer (record-authors.ts), so that
 * history, the timeline and reference checks can trust `by`. Snapshots are judged by their
 * author alone: a snapshot carries other members' records, vouched for by a writer.
 *
 * Refusals are TesseraError NO_ACCESS with details.reason (an AuthorshipReason or
 * RECORD_AUTHOR_MISMATCH): the envelope is not stored and not applied.
 */
import { memberId } from '../../src-shared/crypto/identity';
import { toHex } from '../../src-shared/crypto/bytes';
import type { Envelope } from '../../src-shared/envelope/envelope';
import { TesseraError } from '../../src-shared/errors';
import { accessScopeId } from '../../src-shared/membership/access-log';
import { checkAuthorship } from '../../src-shared/membership/authorship';
import { recordAuthors } from '../../src-shared/vault/record-authors';
import { entryHashAt, type VaultLog } from '../membership/vault-log';

/** Checks one received envelope of `scopeId` against the vault's current verified log (none: a vault from before sharing). */
export function admitFrom(log: () => VaultLog | null, scopeId: string): (envelope: Envelope, plaintext: Uint8Array) => void {
  return (envelope, plaintext) => {
    const current = log();
    if (!current) return;
    admit(current, scopeId, envelope, plaintext);
  };
}

export function admit(log: VaultLog, scopeId: string, envelope: Envelope, plaintext?: Uint8Array): void {
  const state = log.state;
  const accessScope = scopeId === toHex(accessScopeId(state.vaultId));
  checkAuthorship(state, envelope, scopeId, { accessScope, entryHash: (seq) => entryHashAt(log, seq) });
  if (envelope.kind !== 'update' || !plaintext || accessScope) return;
  const author = state.members.get(toHex(envelope.author))!; // checkAuthorship found them
  const expected = memberId(author.identity);
  let authors: Set<string>;
  try {
    authors = recordAuthors(plaintext);
  } catch {
    throw new TesseraError('TAMPERED', 'A change that is not a readable document update');
  }
  for (const by of authors) {
    if (by !== expected) {
      throw new TesseraError('NO_ACCESS', 'A change whose records name another member as their writer', { reason: 'RECORD_AUTHOR_MISMATCH' });
    }
  }
}
