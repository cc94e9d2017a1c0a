/**
 * Whether a change may be accepted from its author: the one rule every client and the relay
 * apply to every envelope of a vault with a membership log (DESIGN.md: "Clients accept an
 * envelope only if its author could write that scope at that point").
 *
 * An envelope names the membership head its author wrote under (envelope.ts, version 2). It
 * is judged at that head, not at ours: a change written by an editor who was later made a
 * viewer stays valid, and one "written" under a head at which its author could not write is
 * refused. The head must be one we hold (same seq, same entry hash: otherwise the relay shows
 * us another history), and the envelope's epoch must be the scope's epoch at that head.
 *
 * A removed member still holds the old keys and can sign, so they could claim an old head.
 * Their removal pins their last change in each scope the remover read (entry.ts, last
 * changes): nothing of theirs beyond it is accepted there, whatever head it names. A removal
 * written before removals pinned anything (entry version 1) predates every version 2 envelope,
 * so a version 2 envelope of a member removed that way was written after the removal.
 *
 * Version 1 envelopes name no head: they are accepted from current writers, and from removed
 * members only within what their removal pinned. Reports to the team access log are judged by
 * the head rule alone (a removed member's reports speak only of themselves).
 */
import { equalBytes, toHex } from '../crypto/bytes';
import { envelopeHash, LEGACY_ENVELOPE_VERSION, type Envelope } from '../envelope/envelope';
import { TesseraError } from '../errors';
import { canWrite, currentMember, epochAt, type AccessSpan, type MembershipState } from './state';

/** Why an envelope's author may not have written it (TesseraError details.reason). */
export type AuthorshipReason =
  | 'AUTHOR_MAY_NOT_WRITE' // not a writer of that scope at that head (or never a member)
  | 'WRONG_EPOCH' // sealed under another epoch than the scope had at that head
  | 'AFTER_REMOVAL'; // beyond what the author's removal pinned

export interface AuthorshipOptions {
  /** The team access log: every member may append reports, viewers included. */
  readonly accessScope?: boolean;
  /** The hash of our membership entry at `seq`, when we hold it. */
  readonly entryHash: (seq: number) => Uint8Array | undefined;
}

/**
 * Throws unless `env`'s author could write `scopeId` (hex) at the head it names:
 * NO_ACCESS with details.reason (AuthorshipReason) when the author may not have written it;
 * LOG_FORKED when the head's hash is not our entry's (another history); MEMBERSHIP_BEHIND
 * when it names a head past ours (pull the log first; a relay may be holding entries back).
 */
export function checkAuthorship(state: MembershipState, env: Envelope, scopeId: string, opts: AuthorshipOptions): void {
  const author = toHex(env.author);
  const member = state.members.get(author);
  if (!member) refuseAuthor('AUTHOR_MAY_NOT_WRITE', 'An envelope from someone who was never a member of this vault');
  const epochScope = opts.accessScope ? state.metaScope : scopeId;
  if (env.version === LEGACY_ENVELOPE_VERSION) {
    // No head to judge by: the rules as they stand now, and a removal's pins.
    const writes = opts.accessScope ? !!currentMember(state, author) : canWrite(state, author, scopeId);
    if (writes) return;
    const removal = [...member.history].reverse().find((s) => s.role === null);
    if (member.removed && removal && !opts.accessScope && withinPins(removal, env, scopeId)) return;
    refuseAuthor('AUTHOR_MAY_NOT_WRITE', 'An envelope (format 1) from an author who may not write this scope now');
  }
  const head = env.logHead;
  if (head.seq > state.head.seq) {
    throw new TesseraError('MEMBERSHIP_BEHIND', `A change was written under membership entry ${head.seq}; this device has entries up to ${state.head.seq}`, {
      seq: head.seq,
      ours: state.head.seq,
    });
  }
  const ours = opts.entryHash(head.seq);
  if (!ours || !equalBytes(ours, head.hash)) {
    throw new TesseraError('LOG_FORKED', `A change was written under another membership entry ${head.seq} than the one this device verified`, {
      reason: 'FORK',
      seq: head.seq,
    });
  }
  const { span, removal } = spansAround(member.history, head.seq);
  if (!span) refuseAuthor('AUTHOR_MAY_NOT_WRITE', 'An envelope from an author who was not a member at the membership head it names');
  const writes = opts.accessScope || (span.role !== 'viewer' && (scopeId === state.metaScope || span.scopes.has(scopeId)));
  if (!writes) refuseAuthor('AUTHOR_MAY_NOT_WRITE', `An envelope from ${span.role === 'viewer' ? 'a viewer' : 'an author who did not read that scope'} at the membership head it names`);
  if (env.epoch !== epochAt(state, epochScope, head.seq)) {
    refuseAuthor('WRONG_EPOCH', `An envelope sealed under epoch ${env.epoch}, not the scope's epoch at the membership head it names`);
  }
  if (removal && !opts.accessScope && !withinPins(removal, env, scopeId)) {
    refuseAuthor('AFTER_REMOVAL', 'An envelope from a removed member, beyond their last change before the removal');
  }
}

/** The author's span at `seq` (undefined when not a member then) and the removal that ended it, if any. */
function spansAround(history: readonly AccessSpan[], seq: number): { span?: AccessSpan; removal?: AccessSpan } {
  let i = -1;
  for (let j = 0; j < history.length && history[j]!.from <= seq; j++) i = j;
  const span = i >= 0 && history[i]!.role !== null ? history[i] : undefined;
  const removal = span ? history.slice(i + 1).find((s) => s.role === null) : undefined;
  return { ...(span ? { span } : {}), ...(removal ? { removal } : {}) };
}

/**
 * Whether `env` is within what `removal` pinned in `scopeId`. A version 1 removal pinned
 * nothing: refused (the remover's fresh snapshots carry what the member wrote before). A scope
 * the remover did not read is not pinned: the head rule alone vouches for a version 2
 * envelope there, and nothing for a version 1 one.
 */
function withinPins(removal: AccessSpan, env: Envelope, scopeId: string): boolean {
  if (!removal.lastChanges) return false;
  const pin = removal.lastChanges.get(scopeId);
  if (!pin) return env.version !== LEGACY_ENVELOPE_VERSION;
  if (env.kind === 'snapshot') return false; // others' snapshots cover what a removed member's did
  if (env.counter < pin.counter) return true;
  return env.counter === pin.counter && equalBytes(envelopeHash(env.bytes), pin.hash);
}

function refuseAuthor(reason: AuthorshipReason, message: string): never {
  throw new TesseraError('NO_ACCESS', message, { reason });
}
