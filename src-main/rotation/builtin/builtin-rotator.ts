/**
 * The interface every built-in rotator implements: one module per provider (postgres.ts
 * first; MySQL, Redis ACL users or an HTTP API would each be one more file in this folder,
 * listed in index.ts). A built-in rotator changes the credential at the provider itself,
 * with an admin credential that is another secret of the same vault and environment, so
 * the relay never sees either.
 *
 * The caller (provider-rotation.ts, then rotate.ts) drives one rotation as:
 *   change = rotate(ctx)            new credential made at the provider, old one kept for the grace
 *   verify({ …, value })            the new credential really logs in
 *   save the new version            (the vault)
 *   change.finish()                 what may only happen once saved (ending stale sessions)
 * and calls change.undo() when verify or the save fails, so the provider is left as it was.
 * Errors are TesseraErrors with a code and never carry a credential.
 */
import type { BuiltinRotatorConfig } from '../../../src-shared/vault/types';

export interface ProviderContext {
  readonly config: BuiltinRotatorConfig;
  /** The admin credential (the value of the secret `config.admin` in the same environment). */
  readonly admin: string;
}

export interface RotationContext extends ProviderContext {
  /** The secret's current value in this environment; absent when it has none yet. */
  readonly current?: string;
  /** How long the replaced credential keeps working, in ms (0: it stops now). */
  readonly graceMs: number;
  readonly now: number;
}

export interface VerifyContext extends ProviderContext {
  /** The credential to try, as the secret would hold it. */
  readonly value: string;
  /** The account it belongs to, where the value alone does not say (a bare password). */
  readonly account?: string;
}

export interface ProviderChange {
  /** The new value of the secret. */
  readonly value: string;
  /** Which account now holds it, for history and the audit log (a name, never a credential). */
  readonly account: string;
  /**
   * Puts the provider back as it was before rotate() and closes the change; returns what it
   * could not put back (empty when all is as before).
   */
  undo(): Promise<string[]>;
  /** Called once the new version is saved; closes the change and returns warnings about anything it could not do. */
  finish(): Promise<string[]>;
}

export interface BuiltinRotator {
  /** The name `--builtin` takes. */
  readonly provider: string;
  /** Checks the configuration against the provider (admin logs in, accounts set up), changing nothing. */
  check(ctx: ProviderContext): Promise<void>;
  rotate(ctx: RotationContext): Promise<ProviderChange>;
  /** Resolves when `value` logs in as the configured account; throws NEW_CREDENTIAL_FAILED otherwise. */
  verify(ctx: VerifyContext): Promise<void>;
}
