/** A burst of reveals or copies: more than `count` by one member within `windowMs`. */
import type { AuditAction } from '../../../src-shared/audit/events';
import { TimeWindow, vaultLabel, type RuleEvaluator } from './rule';

export interface BurstConfig {
  readonly count: number;
  readonly windowMs: number;
  readonly actions: readonly AuditAction[];
}

export const burstDefaults: BurstConfig = { count: 20, windowMs: 5 * 60_000, actions: ['reveal', 'copy'] };

export function burstRule(config: BurstConfig = burstDefaults): RuleEvaluator {
  const windows = new Map<string, TimeWindow>();
  // One alert per burst: quiet again until a whole window has passed since the last one.
  const alertedAt = new Map<string, number>();
  return (e) => {
    if (!config.actions.includes(e.action)) return [];
    let w = windows.get(e.by);
    if (!w) windows.set(e.by, (w = new TimeWindow(config.windowMs)));
    const n = w.add(e.at);
    const last = alertedAt.get(e.by);
    if (n <= config.count || (last !== undefined && e.at - last < config.windowMs)) return [];
    alertedAt.set(e.by, e.at);
    return [{
      key: `${e.by}:${e.seq}`,
      rule: 'burst',
      at: e.at,
      severity: 'warning',
      message: `${n} reveals or copies within ${Math.round(config.windowMs / 60_000)} minutes by ${e.by} (last in ${vaultLabel(e)})`,
      vault: e.vault ?? e.vaultId,
    }];
  };
}
