/** A member joined or was approved, a device was linked, or a known member acted from a device never seen before. */
import { vaultLabel, type AlertDraft, type RuleEvaluator } from './rule';

export function newMemberOrDeviceRule(): RuleEvaluator {
  const devices = new Map<string, Set<string>>();
  return (e) => {
    const alerts: AlertDraft[] = [];
    if (e.action === 'approve' || e.action === 'join') {
      alerts.push({
        key: `member:${e.seq}`,
        rule: 'new-member',
        at: e.at,
        severity: 'info',
        message: e.action === 'approve' ? `${e.subject ?? 'A new member'} was let into ${vaultLabel(e)}` : `This profile asked to join ${vaultLabel(e)}`,
        vault: e.vault ?? e.vaultId,
      });
    }
    if (e.action === 'device-added') {
      const name = typeof e.detail?.name === 'string' ? ` "${e.detail.name}"` : '';
      alerts.push({
        key: `linked:${e.seq}`,
        rule: 'new-device',
        at: e.at,
        severity: 'warning',
        message: e.detail?.step === 'linked' ? 'This device was linked to your vaults' : `A new device${name} was linked to your vaults: revoke it if you did not (tessera device revoke)`,
      });
    }
    const known = devices.get(e.by);
    if (!known) devices.set(e.by, new Set([e.device]));
    else if (!known.has(e.device)) {
      known.add(e.device);
      alerts.push({
        key: `device:${e.seq}`,
        rule: 'new-device',
        at: e.at,
        severity: 'warning',
        message: `${e.by} acted from a new device (${e.device})`,
        vault: e.vault ?? e.vaultId,
      });
    }
    return alerts;
  };
}
