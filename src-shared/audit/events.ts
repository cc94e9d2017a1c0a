/**
 * Audit events: what happened, never a secret value. Names of secrets, environments,
 * vaults, commands and counts may appear; values, passphrases and keys never do.
 *
 * Every part of the app that does something security-relevant describes it as one of these
 * and hands it to an AuditSink (src-main/audit/audit-sink.ts); the audit log stores it
 * hash-chained and sealed.
 */

export type AuditAction =
  | 'unlock'
  | 'unlock-failed'
  | 'lock'
  | 'reveal'
  | 'copy'
  | 'clipboard-cleared'
  | 'secret-created'
  | 'secret-edited'
  | 'secret-rotated'
  | 'secret-rotation-failed'
  | 'secret-rolled-back'
  | 'secret-retired'
  | 'secret-deleted'
  | 'policy-changed'
  | 'import'
  | 'import-preview'
  | 'export'
  | 'inject'
  | 'run'
  | 'invite'
  | 'join'
  | 'approve'
  | 'remove-member'
  | 'member-changed'
  | 'rotate-keys'
  | 'lease-created'
  | 'lease-revoked'
  | 'lease-expired'
  | 'token-created'
  | 'token-revoked'
  | 'device-added'
  | 'device-revoked'
  | 'sync-error'
  | 'tampering'
  | 'settings-changed'
  | 'scan-finding';

/** What the caller says; the log adds the sequence number, time, device and chain hash. */
export interface AuditEventInput {
  readonly action: AuditAction;
  /** Vault id and name, when the action is about a vault. */
  readonly vaultId?: string;
  readonly vault?: string;
  /** Secret name(s), never values. */
  readonly secret?: string;
  readonly secrets?: readonly string[];
  readonly environment?: string;
  /** The member the action was about (invite, approve, remove…), as a member id. */
  readonly subject?: string;
  /** Action-specific, non-secret facts: a method, a reason, a count, a command, a field name. */
  readonly detail?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  /** Milliseconds since the epoch; the log's clock when absent. */
  readonly at?: number;
}

/** A stored event, as read back. */
export interface AuditEvent extends AuditEventInput {
  readonly seq: number;
  readonly at: number;
  /** The member id of the profile that recorded it. */
  readonly by: string;
  readonly device: string;
}
