/**
 * Alerts about machine tokens, from what they reported to a vault's team access log (names,
 * times, host and CI run; tokens report every use): a token used from a host it never used
 * before (copied off its CI?), at an hour it does not run, or in a burst. The same rule
 * evaluators as the local log's, fed each token's reports as events in the order they arrived.
 */
import type { Alert } from '../../../src-shared/api/types';
import type { AuditEvent } from '../../../src-shared/audit/events';
import { burstRule, type BurstConfig } from './burst';
import type { AlertDraft } from './rule';
import { unusualHoursDefaults, unusualHoursRule, type UnusualHoursConfig } from './unusual-hours';

/** One use, as the access log gives it (AccessEntry). */
export interface MachineUseReport {
  readonly member: string;
  readonly name: string | null;
  readonly action: 'reveal' | 'copy' | 'export' | 'run';
  readonly secrets: readonly string[];
  readonly environment: string;
  readonly at: number;
  readonly device: string;
  readonly seq: number;
}

export interface MachineAlertConfig {
  readonly burst: BurstConfig;
  readonly unusualHours: UnusualHoursConfig;
  /** A new host is worth telling only once a token has a history (its first runs set it). */
  readonly hostHistory: number;
}

// A deploy pipeline runs in bursts of its own; a burst is far past what a job does.
export const machineAlertDefaults: MachineAlertConfig = {
  burst: { count: 60, windowMs: 5 * 60_000, actions: ['reveal', 'export', 'run'] },
  unusualHours: { ...unusualHoursDefaults, minHistory: 20, actions: ['reveal', 'export', 'run'] },
  hostHistory: 3,
};

/** The host part of a report's device ("machine on HOST (CI run)"): CI run ids change every run. */
const hostOf = (device: string): string => /^machine on (.+?)(?: \(.*\))?$/.exec(device)?.[1] ?? device;

/** Alerts over `reports` of the machine members `machines` (member ids), oldest report first. */
export function machineAlerts(vault: string, reports: readonly MachineUseReport[], machines: ReadonlySet<string>, config: MachineAlertConfig = machineAlertDefaults): Alert[] {
  const burst = burstRule(config.burst);
  const hours = unusualHoursRule(config.unusualHours);
  const hosts = new Map<string, { seen: Set<string>; uses: number }>();
  const out: Alert[] = [];
  for (const r of [...reports].filter((x) => machines.has(x.member)).sort((a, b) => a.seq - b.seq)) {
    const label = r.name ?? r.member;
    const event: AuditEvent = { seq: r.seq, at: r.at, by: `token ${label}`, device: r.device, action: r.action, secrets: [...r.secrets], environment: r.environment, vault };
    const drafts: AlertDraft[] = [...burst(event), ...hours(event)];
    const h = hosts.get(r.member) ?? { seen: new Set<string>(), uses: 0 };
    hosts.set(r.member, h);
    const host = hostOf(r.device);
    if (!h.seen.has(host) && h.uses >= config.hostHistory) {
      drafts.push({ key: `${r.member}:${r.seq}`, rule: 'token-new-host', at: r.at, severity: 'warning', message: `Token ${label} was used from a new host, ${host}: revoke it if that is not your CI`, vault });
    }
    h.seen.add(host);
    h.uses++;
    for (const { key, ...d } of drafts) out.push({ ...d, id: `machine:${d.rule}:${key}` });
  }
  return out;
}
