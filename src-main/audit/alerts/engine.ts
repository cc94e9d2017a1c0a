/**
 * Runs every alert rule over the events as they arrive. Thresholds have defaults and each
 * can be changed; the engine names each alert `rule:key` so that replaying the same log
 * gives the same ids (the UI uses them to tell new alerts from ones already shown).
 */
import type { AuditEvent } from '../../../src-shared/audit/events';
import type { Alert } from '../../../src-shared/api/types';
import { burstDefaults, burstRule, type BurstConfig } from './burst';
import { firstProductionAccessDefaults, firstProductionAccessRule, type FirstProductionAccessConfig } from './first-production-access';
import { newMemberOrDeviceRule } from './new-member-or-device';
import type { RuleEvaluator } from './rule';
import { tamperingRule } from './tampering';
import { unlockFailuresDefaults, unlockFailuresRule, type UnlockFailuresConfig } from './unlock-failures';
import { unusualHoursDefaults, unusualHoursRule, type UnusualHoursConfig } from './unusual-hours';

export interface AlertConfig {
  readonly burst: BurstConfig;
  readonly unusualHours: UnusualHoursConfig;
  readonly firstProductionAccess: FirstProductionAccessConfig;
  readonly unlockFailures: UnlockFailuresConfig;
}

export type AlertConfigChanges = { readonly [K in keyof AlertConfig]?: Partial<AlertConfig[K]> };

export const alertDefaults: AlertConfig = {
  burst: burstDefaults,
  unusualHours: unusualHoursDefaults,
  firstProductionAccess: firstProductionAccessDefaults,
  unlockFailures: unlockFailuresDefaults,
};

export function alertConfig(changes: AlertConfigChanges = {}): AlertConfig {
  return {
    burst: { ...alertDefaults.burst, ...changes.burst },
    unusualHours: { ...alertDefaults.unusualHours, ...changes.unusualHours },
    firstProductionAccess: { ...alertDefaults.firstProductionAccess, ...changes.firstProductionAccess },
    unlockFailures: { ...alertDefaults.unlockFailures, ...changes.unlockFailures },
  };
}

export class AlertEngine {
  private readonly rules: RuleEvaluator[];

  constructor(changes: AlertConfigChanges = {}) {
    const c = alertConfig(changes);
    this.rules = [
      burstRule(c.burst),
      unusualHoursRule(c.unusualHours),
      firstProductionAccessRule(c.firstProductionAccess),
      newMemberOrDeviceRule(),
      unlockFailuresRule(c.unlockFailures),
      tamperingRule(),
    ];
  }

  /** The alerts `event` raises. Feed events in log order. */
  observe(event: AuditEvent): Alert[] {
    const out: Alert[] = [];
    for (const rule of this.rules) {
      for (const { key, ...draft } of rule(event)) out.push({ id: `${draft.rule}:${key}`, ...draft });
    }
    return out;
  }
}
