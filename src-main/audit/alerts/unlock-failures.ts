/** Repeated failed unlocks: `count` within `windowMs` (a guessed passphrase, a stolen laptop). */
import { TimeWindow, type RuleEvaluator } from './rule';

export interface UnlockFailuresConfig {
  readonly count: number;
  readonly windowMs: number;
}

export const unlockFailuresDefaults: UnlockFailuresConfig = { count: 5, windowMs: 10 * 60_000 };

export function unlockFailuresRule(config: UnlockFailuresConfig = unlockFailuresDefaults): RuleEvaluator {
  let window = new TimeWindow(config.windowMs);
  let alertedAt = -Infinity;
  return (e) => {
    // A successful unlock ends the run of failures.
    if (e.action === 'unlock') window = new TimeWindow(config.windowMs);
    if (e.action !== 'unlock-failed') return [];
    const n = window.add(e.at);
    if (n < config.count || e.at - alertedAt < config.windowMs) return [];
    alertedAt = e.at;
    return [{
      key: String(e.seq),
      rule: 'unlock-failures',
      at: e.at,
      severity: 'critical',
      message: `${n} failed unlock attempts within ${Math.round(config.windowMs / 60_000)} minutes`,
    }];
  };
}
