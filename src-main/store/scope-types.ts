/** The shapes a scope store shares with its callers (vaults, sync), and its problem codes. */
import type { LogHeadRef } from '../../src-shared/envelope/envelope';
import { TesseraError } from '../../src-shared/errors';
import type { FrameOrigin } from './frames';

/** Something the store had to skip or repair while reading; shown to the user. */
export interface StoreProblem {
  readonly file: string;
  readonly code: 'TAMPERED' | 'MALFORMED' | 'TORN_WRITE' | 'NO_ACCESS' | 'INCOMPLETE';
  readonly detail: string;
  readonly bytes?: number;
}

/** A frame of the current logs, as sync and compaction see it. */
export interface LoggedFrame {
  readonly origin: FrameOrigin;
  readonly author: string; // base64url public key
  readonly counter: number;
  readonly bytes: Uint8Array;
}

export interface ScopeKeys {
  /** The key of `epoch`, or undefined when this profile does not hold it. */
  key(epoch: number): Uint8Array | undefined;
  current(): { epoch: number; key: Uint8Array };
  /** The membership head new envelopes are written under (the current key's epoch comes from it). */
  membershipHead(): LogHeadRef;
}

export interface ScopeIdentity {
  readonly vaultId: Uint8Array;
  readonly scopeId: Uint8Array;
}

export function problemCode(e: unknown): StoreProblem['code'] {
  if (e instanceof TesseraError && (e.code === 'NO_ACCESS' || e.code === 'MALFORMED')) return e.code;
  return 'TAMPERED';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
