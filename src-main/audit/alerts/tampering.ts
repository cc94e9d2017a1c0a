/** Tampering detected anywhere (a vault log, the relay, the audit log itself): always an alert. */
import { vaultLabel, type RuleEvaluator } from './rule';

export function tamperingRule(): RuleEvaluator {
  return (e) => {
    if (e.action !== 'tampering') return [];
    const where = typeof e.detail?.source === 'string' ? e.detail.source : vaultLabel(e);
    const what = typeof e.detail?.message === 'string' ? `: ${e.detail.message}` : '';
    return [{
      key: String(e.seq),
      rule: 'tampering',
      at: e.at,
      severity: 'critical',
      message: `Tampering detected in ${where}${what}`,
      vault: e.vault ?? e.vaultId,
      secret: e.secret,
    }];
  };
}
