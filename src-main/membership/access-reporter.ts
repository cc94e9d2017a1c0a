/**
 * The member's side of the team access log: an AuditSink that, beside the local audit log,
 * reports reveal, copy, export and run of a shared vault's secrets to the vault's access
 * log when its policy asks for them. The policy comes from the last sync (or read of the
 * log), so a reveal does not wait on the relay to learn whether to report; a policy set
 * since reaches this device with its next sync.
 */
import type { AuditEventInput } from '../../src-shared/audit/events';
import { ACCESS_ACTIONS, type AccessAction } from '../../src-shared/membership/access-log';
import type { AuditSink } from '../audit/audit-sink';
import type { Session } from '../profile/profile';
import { openVault } from '../vaults/vaults';
import { readCachedAccessPolicy, reportAccess } from './access-log';

export interface AccessReportingOptions {
  /** How long a report may wait for the relay before it is queued for the next one (default 3 s). */
  readonly timeoutMs?: number;
  /** A report that could not be sent now (it stays queued when the relay was unreachable). */
  readonly onError?: (error: unknown) => void;
}

/** The access-log action an audit event is, if any: injecting values into a command is a run. */
function accessAction(e: AuditEventInput): AccessAction | null {
  const a = e.action === 'inject' ? 'run' : e.action;
  return (ACCESS_ACTIONS as readonly string[]).includes(a) ? (a as AccessAction) : null;
}

export function accessReportingSink(session: Session, opts: AccessReportingOptions = {}): AuditSink {
  return {
    async record(e) {
      const action = accessAction(e);
      const secrets = e.secrets?.length ? [...e.secrets] : e.secret ? [e.secret] : [];
      if (!action || !e.vaultId || !e.environment || secrets.length === 0) return;
      const policy = await readCachedAccessPolicy(session.home, e.vaultId);
      if (!policy?.actions.includes(action)) return;
      try {
        const vault = await openVault(session, e.vaultId);
        await reportAccess(vault, { action, secrets, environment: e.environment, at: e.at }, { timeoutMs: opts.timeoutMs ?? 3_000 });
      } catch (error) {
        opts.onError?.(error);
      }
    },
  };
}
