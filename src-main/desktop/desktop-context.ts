/**
 * What the desktop API's domains (one file each: session, vaults and members, secrets and
 * clipboard, audit, health, settings, app) need from the app around them. Desktop implements
 * it; each domain module takes it, so no domain reaches into another or into Desktop.
 */
import type { Alert, AppEvent, Settings } from '../../src-shared/api/types';
import type { AuditSink } from '../audit/audit-sink';
import type { Session } from '../profile/profile';
import type { Vault } from '../vaults/vault';
import type { OpenVaults } from '../vaults/vault-directory';
import type { Clock } from './clock';
import type { ClipboardService } from './clipboard-service';
import type { DesktopAudit } from './desktop-audit';

export interface DesktopContext {
  /** The unlocked session; throws VAULT_LOCKED when locked. */
  session(): Session;
  readonly isUnlocked: boolean;
  /** A vault by name, id or id prefix, up to date with what other processes wrote. */
  vault(nameOrId: string): Promise<Vault>;
  vaults(): Promise<OpenVaults>;
  /** Drops the open vaults (they are opened again on next use). */
  forgetVaults(): void;
  /** Where events go: the session's audit log (and team access log). */
  readonly audit: AuditSink;
  /** The same log, for reading back (timeline, alerts, export). */
  auditLog(): DesktopAudit;
  /** An alert in the user's words: members by name, "You" for this profile. */
  named(alert: Alert): Alert;
  readonly clipboard: ClipboardService;
  readonly clock: Clock;
  readonly home: string;
  settings(): Settings;
  /** Takes new settings in (saved by the caller): restarts the idle lock if it changed. */
  applySettings(next: Settings): void;
  emit(event: AppEvent): void;
}
