/**
 * Every refusal of the membership log is a TesseraError with `details.reason` naming the
 * rule that failed, so the UI can say what happened without parsing messages. The code
 * says who is to blame: TAMPERED (LOG_FORKED for two histories) when the bytes or the chain
 * were altered, reordered or withheld (the relay, the network, the disk); MEMBERSHIP_REFUSED
 * when a validly signed entry breaks the log's rules (a member's buggy or hostile client).
 */
import { TesseraError } from '../errors';

/** Reasons that mean the log was altered in transit or at rest. */
export type TamperReason =
  | 'MALFORMED' // bytes that do not parse as an entry
  | 'BAD_SIGNATURE'
  | 'WRONG_VAULT' // an entry of another vault
  | 'GENESIS_MISMATCH' // the chain does not start at the pinned genesis
  | 'FORK' // two different entries after one head
  | 'REPLAY' // an entry shown again, or at a place that is not its own
  | 'GAP' // entries missing between our head and what the relay sent
  | 'BAD_WRAP' // a wrapped key or history key that does not open for its addressee
  | 'KEY_MISMATCH'; // an add names other keys than the joiner's own

/** Reasons that mean a signed entry breaks the rules. */
export type RuleReason =
  | 'NOT_ALLOWED' // the author's role does not permit this entry
  | 'UNKNOWN_MEMBER' // a member or a wrap recipient that the chain does not know
  | 'ALREADY_MEMBER'
  | 'LAST_OWNER' // the entry would leave the vault without an owner
  | 'UNKNOWN_SCOPE'
  | 'DUPLICATE'
  | 'OWNER_SCOPES' // owners read every scope, so that someone can always rotate every key
  | 'WEAK_KEY' // an X25519 key of small order: a box to it is readable by anyone
  | 'MISSING_ROTATION' // narrowing or removal without new keys for what was readable
  | 'EXTRA_ROTATION'
  | 'BAD_EPOCH'
  | 'MISSING_WRAP' // a reader left without the key (or a grant missing)
  | 'WRONG_RECIPIENT' // a key wrapped to a member who may not read that scope
  | 'NO_KEY' // a builder was not given a key it needs
  | 'DEVICES_REMAIN' // a removal of a person whose other devices are not revoked yet
  | 'LAST_DEVICE'; // a device revocation that would leave the person without a device

export type RefusalReason = TamperReason | RuleReason;

const TAMPER_REASONS: ReadonlySet<RefusalReason> = new Set<TamperReason>([
  'MALFORMED',
  'BAD_SIGNATURE',
  'WRONG_VAULT',
  'GENESIS_MISMATCH',
  'FORK',
  'REPLAY',
  'GAP',
  'BAD_WRAP',
  'KEY_MISMATCH',
]);

/**
 * Throws the TesseraError for `reason`: LOG_FORKED when the relay showed two histories (it
 * deserves a loud message of its own), TAMPERED for other alterations, MEMBERSHIP_REFUSED
 * when a signed entry breaks the rules.
 */
export function refuse(reason: RefusalReason, message: string, details: Record<string, unknown> = {}): never {
  const code = reason === 'FORK' ? 'LOG_FORKED' : TAMPER_REASONS.has(reason) ? 'TAMPERED' : 'MEMBERSHIP_REFUSED';
  throw new TesseraError(code, message, { ...details, reason });
}
