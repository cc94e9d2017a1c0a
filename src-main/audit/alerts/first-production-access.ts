/** A production secret used by someone who never used it before. */
import type { AuditAction } from '../../../src-shared/audit/events';
import { ACCESS_ACTIONS, secretsOf, vaultLabel, type AlertDraft, type RuleEvaluator } from './rule';

export interface FirstProductionAccessConfig {
  /** Environment names treated as production (compared case-insensitively). */
  readonly environments: readonly string[];
  readonly actions: readonly AuditAction[];
}

export const firstProductionAccessDefaults: FirstProductionAccessConfig = {
  environments: ['production', 'prod', 'live'],
  actions: ACCESS_ACTIONS,
};

export function firstProductionAccessRule(config: FirstProductionAccessConfig = firstProductionAccessDefaults): RuleEvaluator {
  const production = new Set(config.environments.map((e) => e.toLowerCase()));
  const seen = new Set<string>();
  return (e) => {
    if (!config.actions.includes(e.action) || !e.environment || !production.has(e.environment.toLowerCase())) return [];
    const alerts: AlertDraft[] = [];
    for (const secret of secretsOf(e)) {
      const key = JSON.stringify([e.by, e.vaultId ?? e.vault, e.environment, secret]);
      if (seen.has(key)) continue;
      seen.add(key);
      alerts.push({
        key: `${e.seq}:${secret}`,
        rule: 'first-production-access',
        at: e.at,
        severity: 'info',
        message: `${e.by} used the ${e.environment} value of ${secret} in ${vaultLabel(e)} for the first time (${e.action})`,
        vault: e.vault ?? e.vaultId,
        secret,
      });
    }
    return alerts;
  };
}
