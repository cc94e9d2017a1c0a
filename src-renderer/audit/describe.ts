/** Audit events in words, for the timeline. Never a value: events carry none. */
import type { AuditAction, AuditEvent } from '../../src-shared/audit/events';

export const actionLabels: Record<AuditAction, string> = {
  unlock: 'Unlocked',
  'unlock-failed': 'Failed unlock',
  lock: 'Locked',
  reveal: 'Revealed',
  copy: 'Copied',
  'clipboard-cleared': 'Clipboard cleared',
  'secret-created': 'Created',
  'secret-edited': 'Edited',
  'secret-rotated': 'Rotated',
  'secret-rotation-failed': 'Rotation failed',
  'lease-created': 'Lease created',
  'lease-revoked': 'Lease revoked',
  'lease-expired': 'Lease expired',
  'secret-rolled-back': 'Rolled back',
  'secret-retired': 'Retired',
  'secret-deleted': 'Deleted',
  'policy-changed': 'Changed policy of',
  import: 'Imported',
  'import-preview': 'Previewed an import',
  export: 'Exported',
  inject: 'Injected',
  run: 'Ran a command with',
  invite: 'Invited',
  join: 'Joined',
  approve: 'Approved',
  'remove-member': 'Removed member',
  'member-changed': 'Changed member',
  'rotate-keys': 'Rotated keys',
  'token-created': 'Made machine token',
  'token-revoked': 'Revoked machine token',
  'device-added': 'Added device',
  'device-revoked': 'Revoked device',
  'sync-error': 'Sync error',
  tampering: 'Tampering detected',
  'settings-changed': 'Changed settings',
  'scan-finding': 'Scan found',
};

export function describeEvent(e: AuditEvent): string {
  const parts: string[] = [actionLabels[e.action] ?? e.action];
  if (e.secret) parts.push(e.secret);
  else if (e.secrets?.length) parts.push(e.secrets.length === 1 ? e.secrets[0]! : `${e.secrets.length} secrets`);
  if (e.environment) parts.push(`(${e.environment})`);
  if (e.subject) parts.push(e.subject);
  if (e.vault && !e.secret) parts.push(`in ${e.vault}`);
  if (typeof e.detail?.count === 'number') parts.push(`· ${e.detail.count}`);
  return parts.join(' ');
}

/** A short text of everything searchable in an event (lowercased). */
export function eventText(e: AuditEvent): string {
  const detail = e.detail ? Object.values(e.detail).flat().join(' ') : '';
  return `${describeEvent(e)} ${e.action} ${e.vault ?? ''} ${e.by} ${e.device} ${detail}`.toLowerCase();
}
