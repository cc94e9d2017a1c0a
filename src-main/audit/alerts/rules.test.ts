import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src-shared/audit/events';
import { burstRule, burstDefaults } from './burst';
import { AlertEngine } from './engine';
import { firstProductionAccessRule } from './first-production-access';
import { newMemberOrDeviceRule } from './new-member-or-device';
import type { RuleEvaluator } from './rule';
import { rotationOverdueAlerts } from './rotation-overdue';
import { tamperingRule } from './tampering';
import { unlockFailuresRule } from './unlock-failures';
import { unusualHoursDefaults, unusualHoursRule } from './unusual-hours';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 2, 0, 0, 0); // a Monday, 00:00 UTC

let seq = 0;
function ev(e: Partial<AuditEvent> & Pick<AuditEvent, 'action' | 'at'>): AuditEvent {
  return { seq: seq++, by: 'alice', device: 'laptop', vault: 'Payments', vaultId: 'v1', ...e };
}

function run(rule: RuleEvaluator, events: AuditEvent[]) {
  return events.flatMap((e) => rule(e));
}

describe('burst of reveals or copies', () => {
  it('fires once when more than 20 happen within 5 minutes', () => {
    const events = Array.from({ length: 30 }, (_, i) => ev({ action: i % 2 ? 'copy' : 'reveal', at: T0 + i * 5_000, secret: `K${i}` }));
    const alerts = run(burstRule(), events);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'burst', severity: 'warning', at: T0 + 20 * 5_000 });
    expect(alerts[0]!.message).toContain('21 reveals or copies');
  });

  it('stays quiet for a busy but normal day (20 in any 5 minutes at most), and for other actions', () => {
    const steady = Array.from({ length: 200 }, (_, i) => ev({ action: 'reveal', at: T0 + i * 16_000 }));
    expect(run(burstRule(), steady)).toEqual([]);
    const edits = Array.from({ length: 50 }, (_, i) => ev({ action: 'secret-edited', at: T0 + i * 1000 }));
    expect(run(burstRule(), edits)).toEqual([]);
  });

  it('counts each member on their own, and takes a changed threshold', () => {
    const two = Array.from({ length: 30 }, (_, i) => ev({ action: 'reveal', at: T0 + i * 1000, by: i % 2 ? 'bob' : 'carol' }));
    expect(run(burstRule(), two)).toEqual([]);
    const alerts = run(burstRule({ ...burstDefaults, count: 5 }), two);
    expect(alerts.map((a) => a.message.includes('bob') || a.message.includes('carol'))).toEqual([true, true]);
  });

  it('fires again for a second burst after a quiet window', () => {
    const burst = (start: number) => Array.from({ length: 25 }, (_, i) => ev({ action: 'copy', at: start + i * 1000 }));
    expect(run(burstRule(), [...burst(T0), ...burst(T0 + HOUR)])).toHaveLength(2);
  });
});

describe('access at unusual hours', () => {
  const utcHour = { ...unusualHoursDefaults, hourOf: (at: number) => new Date(at).getUTCHours() };
  // Three weeks of working days, 09:00–17:00 UTC, a few reveals an hour.
  const workdays = () => {
    const out: AuditEvent[] = [];
    for (let d = 0; d < 21; d++) for (let h = 9; h < 17; h++) out.push(ev({ action: 'reveal', at: T0 + d * DAY + h * HOUR + 10 * MIN, secret: 'API_KEY' }));
    return out;
  };

  it('fires for a 03:00 reveal by someone who works days', () => {
    const rule = unusualHoursRule(utcHour);
    expect(run(rule, workdays())).toEqual([]);
    const night = rule(ev({ action: 'reveal', at: T0 + 22 * DAY + 3 * HOUR, secret: 'API_KEY' }));
    expect(night).toHaveLength(1);
    expect(night[0]).toMatchObject({ rule: 'unusual-hours', secret: 'API_KEY' });
    expect(night[0]!.message).toContain('03:00');
  });

  it('stays quiet in working hours, just outside them, and before it has learned enough', () => {
    const rule = unusualHoursRule(utcHour);
    run(rule, workdays());
    expect(rule(ev({ action: 'copy', at: T0 + 22 * DAY + 11 * HOUR }))).toEqual([]);
    expect(rule(ev({ action: 'copy', at: T0 + 22 * DAY + 8 * HOUR + 50 * MIN }))).toEqual([]);
    const fresh = unusualHoursRule(utcHour);
    // A new member's first accesses, at any hour, teach rather than alert.
    expect(run(fresh, Array.from({ length: 20 }, (_, i) => ev({ action: 'reveal', by: 'dave', at: T0 + i * 3 * HOUR })))).toEqual([]);
  });

  it('learns each member separately: a night worker at night is normal', () => {
    const rule = unusualHoursRule(utcHour);
    run(rule, workdays());
    run(rule, Array.from({ length: 60 }, (_, i) => ev({ action: 'reveal', by: 'nina', at: T0 + i * DAY + 2 * HOUR })));
    expect(rule(ev({ action: 'reveal', by: 'nina', at: T0 + 70 * DAY + 2 * HOUR + 30 * MIN }))).toEqual([]);
    expect(rule(ev({ action: 'reveal', by: 'alice', at: T0 + 70 * DAY + 2 * HOUR + 30 * MIN }))).toHaveLength(1);
  });
});

describe('production secret accessed by someone who never did before', () => {
  it('fires on the first access of each production secret per member, then stays quiet', () => {
    const rule = firstProductionAccessRule();
    const first = rule(ev({ action: 'reveal', at: T0, secret: 'STRIPE_KEY', environment: 'production' }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ rule: 'first-production-access', secret: 'STRIPE_KEY' });
    expect(rule(ev({ action: 'copy', at: T0 + 1000, secret: 'STRIPE_KEY', environment: 'production' }))).toEqual([]);
    expect(rule(ev({ action: 'reveal', at: T0 + 2000, secret: 'STRIPE_KEY', environment: 'production', by: 'bob' }))).toHaveLength(1);
  });

  it('ignores development and staging, and non-access actions', () => {
    const rule = firstProductionAccessRule();
    expect(rule(ev({ action: 'reveal', at: T0, secret: 'K', environment: 'development' }))).toEqual([]);
    expect(rule(ev({ action: 'copy', at: T0, secret: 'K', environment: 'staging' }))).toEqual([]);
    expect(rule(ev({ action: 'secret-edited', at: T0, secret: 'K', environment: 'production' }))).toEqual([]);
  });

  it('names every secret of a run or export, and takes other production names', () => {
    const rule = firstProductionAccessRule({ environments: ['live'], actions: ['run'] });
    const alerts = rule(ev({ action: 'run', at: T0, secrets: ['A', 'B'], environment: 'Live' }));
    expect(alerts.map((a) => a.secret)).toEqual(['A', 'B']);
  });
});

describe('new member or device', () => {
  it('fires when a member is approved, and when a known member uses a new device', () => {
    const rule = newMemberOrDeviceRule();
    expect(rule(ev({ action: 'unlock', at: T0 }))).toEqual([]);
    expect(rule(ev({ action: 'approve', at: T0 + 1, subject: 'bob-id' }))[0]).toMatchObject({ rule: 'new-member' });
    const device = rule(ev({ action: 'reveal', at: T0 + 2, device: 'desktop' }));
    expect(device).toHaveLength(1);
    expect(device[0]).toMatchObject({ rule: 'new-device', severity: 'warning' });
  });

  it('fires when a device is linked to your vaults, naming it', () => {
    const rule = newMemberOrDeviceRule();
    const [linked] = rule(ev({ action: 'device-added', at: T0, subject: 'desk-id', detail: { name: 'desktop', vaults: 2 } }));
    expect(linked).toMatchObject({ rule: 'new-device', severity: 'warning', message: expect.stringMatching(/^A new device "desktop" was linked/) });
    expect(rule(ev({ action: 'device-revoked', at: T0 + 1, subject: 'desk-id', detail: { name: 'desktop' } }))).toEqual([]);
  });

  it('stays quiet for members on the devices they always use', () => {
    const rule = newMemberOrDeviceRule();
    const normal = Array.from({ length: 50 }, (_, i) => ev({ action: 'reveal', at: T0 + i, by: i % 2 ? 'alice' : 'bob', device: i % 2 ? 'laptop' : 'bob-laptop' }));
    expect(run(rule, normal)).toEqual([]);
  });
});

describe('repeated unlock failures', () => {
  it('fires at the fifth failure within 10 minutes', () => {
    const alerts = run(unlockFailuresRule(), Array.from({ length: 6 }, (_, i) => ev({ action: 'unlock-failed', at: T0 + i * MIN })));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'unlock-failures', severity: 'critical', at: T0 + 4 * MIN });
  });

  it('stays quiet for a mistyped passphrase now and then, and after a successful unlock', () => {
    const rule = unlockFailuresRule();
    const typos = Array.from({ length: 20 }, (_, i) => ev({ action: 'unlock-failed', at: T0 + i * 30 * MIN }));
    expect(run(rule, typos)).toEqual([]);
    const fresh = unlockFailuresRule();
    const mixed = [1, 2, 3, 4].map((i) => ev({ action: 'unlock-failed', at: T0 + i * 1000 }));
    mixed.push(ev({ action: 'unlock', at: T0 + 5000 }));
    mixed.push(...[6, 7, 8, 9].map((i) => ev({ action: 'unlock-failed', at: T0 + i * 1000 })));
    expect(run(fresh, mixed)).toEqual([]);
  });

  it('takes a changed threshold', () => {
    const alerts = run(unlockFailuresRule({ count: 2, windowMs: MIN }), [ev({ action: 'unlock-failed', at: T0 }), ev({ action: 'unlock-failed', at: T0 + 1000 })]);
    expect(alerts).toHaveLength(1);
  });
});

describe('tampering detected', () => {
  it('fires, critical, for every tampering event and nothing else', () => {
    const rule = tamperingRule();
    const alerts = rule(ev({ action: 'tampering', at: T0, detail: { source: 'vault Payments', message: 'a change did not verify' } }));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'tampering', severity: 'critical' });
    expect(alerts[0]!.message).toContain('vault Payments: a change did not verify');
    expect(run(rule, [ev({ action: 'sync-error', at: T0 }), ev({ action: 'reveal', at: T0 })])).toEqual([]);
  });
});

describe('secrets overdue for rotation', () => {
  it('lists what is past due, and nothing that is not due yet', () => {
    const now = T0 + 40 * DAY;
    const alerts = rotationOverdueAlerts([
      { vault: 'Payments', secret: 'STRIPE_KEY', environment: 'production', dueAt: T0 },
      { vault: 'Payments', secret: 'DB_URL', environment: 'staging', dueAt: now - 2 * DAY },
      { vault: 'Payments', secret: 'NEW_KEY', environment: 'production', dueAt: now + DAY },
    ], now);
    expect(alerts.map((a) => [a.secret, a.severity])).toEqual([['STRIPE_KEY', 'critical'], ['DB_URL', 'warning']]);
    expect(alerts[1]!.message).toContain('by 2 days');
    expect(rotationOverdueAlerts([], now)).toEqual([]);
  });
});

describe('the alert engine', () => {
  it('names alerts the same way on every replay, and normal use raises nothing', () => {
    const day = [
      ev({ action: 'unlock', at: T0 + 9 * HOUR, detail: { method: 'keychain' } }),
      ev({ action: 'reveal', at: T0 + 9 * HOUR + MIN, secret: 'K', environment: 'development' }),
      ev({ action: 'copy', at: T0 + 10 * HOUR, secret: 'K', environment: 'development' }),
      ev({ action: 'lock', at: T0 + 18 * HOUR, detail: { reason: 'idle' } }),
    ];
    const quiet = new AlertEngine();
    expect(day.flatMap((e) => quiet.observe(e))).toEqual([]);
    const bad = [ev({ action: 'tampering', at: T0 }), ev({ action: 'reveal', at: T0 + 1, secret: 'S', environment: 'production' })];
    const replay = () => {
      const engine = new AlertEngine();
      return bad.flatMap((e) => engine.observe(e)).map((a) => a.id);
    };
    const once = replay();
    expect(replay()).toEqual(once);
    expect(once).toHaveLength(2);
    expect(new Set(once).size).toBe(2);
  });
});
