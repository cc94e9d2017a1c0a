/**
 * Access at an hour unusual for that member, learned from their own history: once a member
 * has `minHistory` accesses, one at an hour of the day (and the hours either side) that
 * holds less than `rareShare` of their history raises an alert.
 */
import type { AuditAction } from '../../../src-shared/audit/events';
import { ACCESS_ACTIONS, secretsOf, vaultLabel, type RuleEvaluator } from './rule';

export interface UnusualHoursConfig {
  readonly minHistory: number;
  readonly rareShare: number;
  readonly actions: readonly AuditAction[];
  /** The hour of day (0–23) of a time: the user's local time by default. */
  readonly hourOf: (at: number) => number;
}

export const unusualHoursDefaults: UnusualHoursConfig = {
  minHistory: 50,
  rareShare: 0.02,
  actions: ACCESS_ACTIONS,
  hourOf: (at) => new Date(at).getHours(),
};

export function unusualHoursRule(config: UnusualHoursConfig = unusualHoursDefaults): RuleEvaluator {
  const histograms = new Map<string, { hours: number[]; total: number; alertedAt: number }>();
  return (e) => {
    if (!config.actions.includes(e.action)) return [];
    let h = histograms.get(e.by);
    if (!h) histograms.set(e.by, (h = { hours: new Array<number>(24).fill(0), total: 0, alertedAt: -Infinity }));
    const hour = config.hourOf(e.at);
    // Neighbouring hours count too, so 08:55 in someone's 09:00–18:00 day is not unusual.
    const near = h.hours[(hour + 23) % 24]! + h.hours[hour]! + h.hours[(hour + 1) % 24]!;
    const unusual = h.total >= config.minHistory && near < config.rareShare * h.total;
    h.hours[hour]!++;
    h.total++;
    // One alert per member per hour of unusual activity, not one per access.
    if (!unusual || e.at - h.alertedAt < 3_600_000) return [];
    h.alertedAt = e.at;
    const what = secretsOf(e).join(', ') || e.action;
    return [{
      key: `${e.by}:${e.seq}`,
      rule: 'unusual-hours',
      at: e.at,
      severity: 'warning',
      message: `${e.by} used ${what} in ${vaultLabel(e)} at ${String(hour).padStart(2, '0')}:00, an hour they rarely work`,
      vault: e.vault ?? e.vaultId,
      secret: e.secret,
    }];
  };
}
