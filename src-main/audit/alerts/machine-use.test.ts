import { describe, expect, it } from 'vitest';
import { machineAlerts, type MachineUseReport } from './machine-use';

const HOUR = 3_600_000;
const base = Date.UTC(2026, 0, 5, 10); // a Monday, 10:00 UTC
const hourOf = (at: number) => new Date(at).getUTCHours();
const config = {
  burst: { count: 10, windowMs: 5 * 60_000, actions: ['reveal', 'export', 'run'] as const },
  unusualHours: { minHistory: 20, rareShare: 0.02, actions: ['reveal', 'export', 'run'] as const, hourOf },
  hostHistory: 3,
};

function use(seq: number, at: number, device = 'machine on ci-runner-1 (GITHUB_RUN_ID=9)', member = 'm1'): MachineUseReport {
  return { member, name: 'ci-deploy', action: 'run', secrets: ['STRIPE_KEY'], environment: 'production', at, device, seq };
}

describe('machine token alerts', () => {
  it('are quiet for a token that runs daily from its CI, whatever the run ids', () => {
    const daily = Array.from({ length: 40 }, (_, i) => use(i + 1, base + i * 24 * HOUR, `machine on ci-runner-1 (GITHUB_RUN_ID=${1000 + i})`));
    expect(machineAlerts('payments', daily, new Set(['m1']), config)).toEqual([]);
  });

  it('tell a new host, an unusual hour and a burst, each once, and ignore people', () => {
    const history = Array.from({ length: 25 }, (_, i) => use(i + 1, base + i * 24 * HOUR));
    const newHost = use(26, base + 25 * 24 * HOUR, 'machine on laptop-of-mallory');
    const at3am = use(27, base + 25 * 24 * HOUR + 17 * HOUR); // 03:00 the next day
    const burst = Array.from({ length: 12 }, (_, i) => use(28 + i, base + 30 * 24 * HOUR + i * 1000));
    const person = use(100, base, 'machine on elsewhere', 'p1');
    const alerts = machineAlerts('payments', [...history, newHost, at3am, ...burst, person], new Set(['m1']), config);
    expect(alerts.map((a) => a.rule)).toEqual(['token-new-host', 'unusual-hours', 'burst']);
    expect(alerts[0]!.message).toBe('Token ci-deploy was used from a new host, laptop-of-mallory: revoke it if that is not your CI');
    expect(alerts[2]!.message).toMatch(/by token ci-deploy/);
    expect(alerts.every((a) => a.vault === 'payments')).toBe(true);
  });
});
