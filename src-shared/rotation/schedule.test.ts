import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { becameDue, RotationClock, rotationState, rotationStatus, STATE_RANK, worse } from './schedule';

const at = (iso: string) => Date.parse(iso);
const state = (s: Parameters<typeof rotationState>[0], nowIso: string, zone: string) => rotationState(s, new RotationClock(at(nowIso), zone));

describe('rotation schedule: calendar days in the user\'s zone', () => {
  it('counts calendar days across a spring-forward change (Berlin, 29 March 2026)', () => {
    // Rotated 10 January 12:00 CET; 90 days later is 10 April, on CEST (UTC+2) by then.
    const s = { intervalDays: 90, lastRotatedAt: at('2026-01-10T11:00:00Z') };
    const zone = 'Europe/Berlin';
    expect(rotationStatus(s, new RotationClock(at('2026-03-01T00:00:00Z'), zone))).toMatchObject({ state: 'ok', dueDate: '2026-04-10', daysLeft: 40 });
    // The warning week starts at local midnight of 3 April = 22:00 UTC on 2 April.
    expect(state(s, '2026-04-02T21:59:59Z', zone)).toBe('ok');
    expect(state(s, '2026-04-02T22:00:00Z', zone)).toBe('due');
    // Due all of 10 April local time; overdue from local midnight (22:00 UTC), not at 11:00 UTC
    // (90 × 24 h after the rotation) and not an hour off because of the DST change.
    expect(state(s, '2026-04-10T11:00:00Z', zone)).toBe('due');
    expect(state(s, '2026-04-10T21:59:59Z', zone)).toBe('due');
    expect(state(s, '2026-04-10T22:00:00Z', zone)).toBe('overdue');
  });

  it('counts calendar days across a fall-back change (Los Angeles, 1 November 2026), including the repeated hour', () => {
    const s = { intervalDays: 31, lastRotatedAt: at('2026-10-01T07:30:00Z') }; // 00:30 PDT on 1 October
    const zone = 'America/Los_Angeles';
    expect(rotationStatus(s, new RotationClock(at('2026-10-20T12:00:00Z'), zone)).dueDate).toBe('2026-11-01');
    // 01:30 happens twice on 1 November (PDT, then PST): both are the due day.
    expect(state(s, '2026-11-01T08:30:00Z', zone)).toBe('due');
    expect(state(s, '2026-11-01T09:30:00Z', zone)).toBe('due');
    // The day is 25 hours long: still due at 23:59 PST (07:59 UTC the next day).
    expect(state(s, '2026-11-02T07:59:59Z', zone)).toBe('due');
    expect(state(s, '2026-11-02T08:00:00Z', zone)).toBe('overdue');
  });

  it('gives the same instants different dates in different zones', () => {
    // 06:00 UTC on 1 March: 22:00 on 28 February in Los Angeles, 19:00 on 1 March in Auckland.
    const s = { intervalDays: 30, lastRotatedAt: at('2026-03-01T06:00:00Z') };
    const la = rotationStatus(s, new RotationClock(at('2026-03-31T08:00:00Z'), 'America/Los_Angeles'));
    const akl = rotationStatus(s, new RotationClock(at('2026-03-31T08:00:00Z'), 'Pacific/Auckland'));
    expect(la).toMatchObject({ dueDate: '2026-03-30', state: 'overdue', daysLeft: -1 });
    expect(akl).toMatchObject({ dueDate: '2026-03-31', state: 'due', daysLeft: 0 });
    // UTC, for comparison: rotated on 1 March, due 31 March.
    expect(rotationStatus(s, new RotationClock(at('2026-03-31T08:00:00Z'), 'UTC')).dueDate).toBe('2026-03-31');
  });

  it('shortens the warning for short intervals', () => {
    const s = { intervalDays: 6, lastRotatedAt: at('2026-05-01T12:00:00Z') };
    expect(state(s, '2026-05-01T13:00:00Z', 'UTC')).toBe('ok'); // not due the day it was rotated
    expect(state(s, '2026-05-04T23:59:59Z', 'UTC')).toBe('ok');
    expect(state(s, '2026-05-05T00:00:00Z', 'UTC')).toBe('due'); // two days before 7 May
  });

  it('reports expiring two weeks before an expiry date and expired from its instant', () => {
    const s = { lastRotatedAt: at('2026-01-01T00:00:00Z'), expiresAt: at('2026-06-30T15:00:00Z') };
    expect(state(s, '2026-06-15T23:59:59Z', 'UTC')).toBe('ok');
    expect(state(s, '2026-06-16T00:00:00Z', 'UTC')).toBe('expiring');
    expect(state(s, '2026-06-30T14:59:59Z', 'UTC')).toBe('expiring');
    expect(state(s, '2026-06-30T15:00:00Z', 'UTC')).toBe('expired');
    // Expired outranks overdue, which outranks expiring.
    expect(state({ ...s, intervalDays: 30 }, '2026-07-01T00:00:00Z', 'UTC')).toBe('expired');
    expect(state({ ...s, intervalDays: 30 }, '2026-06-20T00:00:00Z', 'UTC')).toBe('overdue');
    expect(worse('due', 'expiring')).toBe('expiring');
  });

  it('is none without a policy', () => {
    expect(state({ lastRotatedAt: 0 }, '2026-01-01T00:00:00Z', 'UTC')).toBe('none');
    expect(state({ lastRotatedAt: 0, intervalDays: 0 }, '2026-01-01T00:00:00Z', 'UTC')).toBe('none');
  });

  it('refuses an unknown time zone with a code', () => {
    expect(() => new RotationClock(0, 'Mars/Olympus_Mons')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('becameDue (what the desktop app notifies about)', () => {
  const zone = 'Europe/Berlin';
  const items = [
    { name: 'A', schedule: { intervalDays: 90, lastRotatedAt: at('2026-01-10T11:00:00Z') } }, // due window from 2 Apr 22:00 UTC
    { name: 'B', schedule: { intervalDays: 30, lastRotatedAt: at('2026-03-01T11:00:00Z') } }, // due 31 Mar, overdue from 31 Mar 22:00 UTC
    { name: 'C', schedule: { lastRotatedAt: at('2026-03-01T11:00:00Z') } }, // no policy
  ];

  it('lists exactly the secrets whose state got worse between the two checks', () => {
    const r = becameDue(items, at('2026-04-02T12:00:00Z'), at('2026-04-03T08:00:00Z'), zone);
    expect(r.map((x) => [x.item.name, x.state])).toEqual([['A', 'due']]);
    // B went from due to overdue between these two checks; A was already due.
    const r2 = becameDue(items, at('2026-03-31T21:00:00Z'), at('2026-04-04T08:00:00Z'), zone);
    expect(r2.map((x) => [x.item.name, x.state])).toEqual([['A', 'due'], ['B', 'overdue']]);
    // Nothing changes within one state.
    expect(becameDue(items, at('2026-04-05T08:00:00Z'), at('2026-04-06T08:00:00Z'), zone)).toEqual([]);
  });
});

describe('rotation schedule properties', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Auckland', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns'];
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });

  it('never gets better as time passes, and is due on the calendar date interval days after the rotation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), instant, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 500 * 86_400_000 }), fc.integer({ min: 0, max: 50 * 86_400_000 }), (zone, rotated, interval, after, more) => {
        const s = { intervalDays: interval, lastRotatedAt: rotated };
        const a = rotationState(s, new RotationClock(rotated + after, zone));
        const b = rotationState(s, new RotationClock(rotated + after + more, zone));
        expect(STATE_RANK[b]).toBeGreaterThanOrEqual(STATE_RANK[a]);
        // The due date is the rotation's local date plus the interval, as calendar arithmetic.
        const clock = new RotationClock(rotated, zone);
        const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(rotated).map((p) => [p.type, p.value]));
        const expected = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + interval)).toISOString().slice(0, 10);
        expect(rotationStatus(s, clock).dueDate).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
