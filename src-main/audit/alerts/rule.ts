/**
 * What every alert rule is: a small evaluator fed the audit events one at a time, in log
 * order, that answers with the alerts an event raises. Rules do no I/O and read no clock
 * (time comes from the events, or from a clock the caller injects), so replaying a log
 * always raises the same alerts and each rule is tested alone.
 */
import type { AuditAction, AuditEvent } from '../../../src-shared/audit/events';
import type { Alert } from '../../../src-shared/api/types';

/** An alert before the engine names it: `key` makes its id unique within the rule. */
export type AlertDraft = Omit<Alert, 'id'> & { readonly key: string };

export type RuleEvaluator = (event: AuditEvent) => AlertDraft[];

/** Actions that hand a secret's value to someone. */
export const ACCESS_ACTIONS: readonly AuditAction[] = ['reveal', 'copy', 'export', 'inject', 'run'];

/** The secret names an event is about. */
export function secretsOf(e: AuditEvent): string[] {
  return e.secrets?.length ? [...e.secrets] : e.secret ? [e.secret] : [];
}

export const vaultLabel = (e: AuditEvent): string => e.vault ?? e.vaultId ?? 'a vault';

/** Times inside a sliding window, oldest first. */
export class TimeWindow {
  private readonly times: number[] = [];
  private start = 0;

  constructor(private readonly windowMs: number) {}

  /** Adds `at` and returns how many times fall within the window ending at `at`. */
  add(at: number): number {
    this.times.push(at);
    while (this.start < this.times.length && this.times[this.start]! <= at - this.windowMs) this.start++;
    if (this.start > 1024) {
      this.times.splice(0, this.start);
      this.start = 0;
    }
    return this.times.length - this.start;
  }
}
