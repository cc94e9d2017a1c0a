/**
 * Which join request an approval means, and proof that its fingerprint was compared. The
 * joiner picks its own name, so a name proves nothing: anyone holding a leaked invite code
 * can ask as "Bob". An approval therefore names the request by fingerprint digits, or by
 * name together with digits of its fingerprint as the joiner read them out (on the command
 * line, at a prompt, or in the app). Digits that fit two requests approve neither.
 */
import { TesseraError } from '../../src-shared/errors';

export interface Requested {
  readonly name: string;
  readonly fingerprint: string;
}

export interface ApprovalChoice<T extends Requested> {
  /** The request's name, or a prefix of its fingerprint (5+ digits, spaces ignored). */
  readonly who: string;
  /** Digits of the fingerprint as the joiner read them: its start or its end, 5 or more. */
  readonly fingerprint?: string;
  /**
   * Asked when `who` is a name and no digits were given: shows the requests it may mean
   * and returns the digits the user typed. Without it such an approval is refused
   * (FINGERPRINT_REQUIRED) with the fingerprints to compare.
   */
  readonly ask?: (requests: readonly T[]) => Promise<string>;
}

const MIN_DIGITS = 5;
const digitsOf = (s: string) => s.replace(/\s+/g, '');
const isDigits = (s: string) => /^[\d\s]+$/.test(s) && digitsOf(s).length >= MIN_DIGITS;

/** Whether `typed` (5+ digits, spaces ignored) is the start or the end of `fingerprint`. */
export function fingerprintMatches(fingerprint: string, typed: string): boolean {
  if (!isDigits(typed)) return false;
  const fp = digitsOf(fingerprint);
  const t = digitsOf(typed);
  return fp.startsWith(t) || fp.endsWith(t);
}

/** A word the shell reads back as itself (names are the joiner's choice: quote them). */
export function shellWord(s: string): string {
  return /^[\w.@%+=:,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The one request `choice` means, its fingerprint confirmed: by the fingerprint digits of
 * `who`, or by `choice.fingerprint` or the digits `choice.ask` returns. Throws NOT_FOUND,
 * FINGERPRINT_REQUIRED, FINGERPRINT_MISMATCH, or INVALID_INPUT when digits fit several.
 */
export async function chooseRequest<T extends Requested>(requests: readonly T[], choice: ApprovalChoice<T>, vault: string): Promise<T> {
  const { who } = choice;
  const byName = requests.filter((r) => r.name === who);
  const byPrefix = isDigits(who) ? requests.filter((r) => digitsOf(r.fingerprint).startsWith(digitsOf(who))) : [];
  if (byName.length === 0 && byPrefix.length === 0) {
    throw new TesseraError('NOT_FOUND', `${JSON.stringify(who)} matches no join request (see tessera members --vault ${shellWord(vault)})`);
  }
  // Digits typed as WHO confirm the fingerprint, unless some request also has them as its
  // name (a joiner may name itself after someone else's digits).
  const candidates = [...new Set([...byName, ...byPrefix])];
  let typed = choice.fingerprint;
  if (byName.length === 0 && typed === undefined) return onlyOne(candidates, who);
  if (typed === undefined) {
    if (!choice.ask) throw fingerprintRequired(candidates, who, vault);
    typed = await choice.ask(candidates);
  }
  if (!isDigits(typed)) throw new TesseraError('INVALID_INPUT', `Give at least ${MIN_DIGITS} digits of the fingerprint, as the joiner reads them to you`);
  const confirmed = candidates.filter((r) => fingerprintMatches(r.fingerprint, typed));
  if (confirmed.length === 0) {
    throw new TesseraError(
      'FINGERPRINT_MISMATCH',
      `Those digits are not the fingerprint of the join request ${candidates.length === 1 ? `from ${JSON.stringify(candidates[0]!.name)}` : `named ${JSON.stringify(who)}`}; nothing was approved. Approve only once the digits they read match`,
    );
  }
  return onlyOne(confirmed, typed);
}

function onlyOne<T>(found: readonly T[], given: string): T {
  if (found.length > 1) throw new TesseraError('INVALID_INPUT', `${JSON.stringify(given)} fits ${found.length} join requests: give more of the fingerprint`);
  return found[0]!;
}

/** The refusal of a name alone, showing what to compare and what to run. */
function fingerprintRequired(candidates: readonly Requested[], who: string, vault: string): TesseraError {
  const shown = candidates.map((r) => `${JSON.stringify(r.name)} ${r.fingerprint}`).join('; ');
  const which = candidates.length === 1 ? `The join request ${shown}` : `${candidates.length} join requests may be ${JSON.stringify(who)}: ${shown}`;
  return new TesseraError(
    'FINGERPRINT_REQUIRED',
    `${which}. A name is the joiner's own choice: compare the fingerprint with the one they read to you, then run: ` +
      `tessera approve ${shellWord(who)} --vault ${shellWord(vault)} --fingerprint DIGITS (DIGITS: its first or last group, or more, as they read it)`,
    { fingerprints: candidates.map((r) => r.fingerprint) },
  );
}
