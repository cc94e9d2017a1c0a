/**
 * When a secret is due for rotation, overdue, expiring or expired: pure arithmetic over an
 * injected clock (`now` and the user's IANA time zone), so the list, the detail view, the
 * Health report and the desktop notifier all agree and tests can stand anywhere in time.
 *
 * "Every 90 days" means 90 calendar days in the user's time zone, not 90 × 24 hours: a
 * secret rotated on 10 March at 17:00 is due on 8 June, the whole day, whatever daylight
 * saving did in between and whatever hour it was rotated. People plan rotations by date
 * ("due Monday"), and with elapsed hours a DST change would move the due moment to 23:00 or
 * 01:00 and make a secret due on the day before the date the list shows. The cost: the same
 * instant is a different date in Auckland and in Los Angeles, so two teammates may see a
 * secret turn due up to a day apart. Expiry dates (`expiresAt`) are instants given by the
 * provider and compared as dates in the same zone.
 *
 * States, for a rotation due on date D and today T (both dates in the zone):
 *   ok        T < D − 7
 *   due       D − 7 ≤ T ≤ D    (rotate this week; "due today" on D; the warning shrinks to a
 *                              third of the interval for intervals under 21 days)
 *   overdue   T > D
 * and for an expiry on date X: expiring when X − 14 ≤ T < X's instant, expired from the
 * instant. The worst applies: expired > overdue > expiring > due > ok; `none` when no
 * policy asks for anything (or the secret is retired).
 */
import type { RotationState } from '../api/types';
import { TesseraError } from '../errors';

/** Days before the due date from which a secret shows as due. */
export const DUE_SOON_DAYS = 7;
/** Days before an expiry date from which a secret shows as expiring. */
export const EXPIRING_SOON_DAYS = 14;

const DAY_MS = 86_400_000;

/** The part of a policy the schedule needs; `lastRotatedAt` is when the current value was set. */
export interface Schedule {
  readonly intervalDays?: number;
  readonly expiresAt?: number;
  readonly lastRotatedAt: number;
}

/** What the list and the Health report show for one secret in one environment. */
export interface RotationStatus {
  readonly state: RotationState;
  /** The due date in the clock's zone (YYYY-MM-DD), when an interval applies. */
  readonly dueDate?: string;
  /** Days from today to the due date (negative when overdue). */
  readonly daysLeft?: number;
  /** The expiry date in the clock's zone (YYYY-MM-DD), when one is set. */
  readonly expiresDate?: string;
}

/** Worse states rank higher; the Health report and the notifier compare ranks. */
export const STATE_RANK: Readonly<Record<RotationState, number>> = { none: 0, ok: 1, due: 2, expiring: 3, overdue: 4, expired: 5 };

export function worse(a: RotationState, b: RotationState): RotationState {
  return STATE_RANK[b] > STATE_RANK[a] ? b : a;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hourCycle: 'h23' });
    } catch {
      throw new TesseraError('INVALID_INPUT', `Unknown time zone: ${timeZone}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * A clock fixed at `now` in `timeZone`. Making one per listing and reusing it keeps the
 * per-secret cost to one date lookup (memoized per quarter hour: zone offsets change only on
 * quarter-hour boundaries, and values imported together share one).
 */
export class RotationClock {
  readonly today: number;
  private readonly days = new Map<number, number>();
  private readonly fmt: Intl.DateTimeFormat;

  constructor(
    readonly now: number,
    readonly timeZone: string,
  ) {
    this.fmt = formatter(timeZone);
    this.today = this.dayOf(now);
  }

  /** The local calendar date of instant `t`, as days since 1970-01-01. */
  dayOf(t: number): number {
    const bucket = Math.floor(t / 900_000);
    let day = this.days.get(bucket);
    if (day === undefined) {
      let y = 0;
      let m = 0;
      let d = 0;
      for (const p of this.fmt.formatToParts(t)) {
        if (p.type === 'year') y = Number(p.value);
        else if (p.type === 'month') m = Number(p.value);
        else if (p.type === 'day') d = Number(p.value);
      }
      day = Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
      if (this.days.size > 50_000) this.days.clear();
      this.days.set(bucket, day);
    }
    return day;
  }
}

/** A day number as YYYY-MM-DD. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function validInterval(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 1;
}

/** Short intervals get a shorter warning, so a weekly secret is not "due" the day it was rotated. */
function dueSoonDays(intervalDays: number): number {
  return Math.min(DUE_SOON_DAYS, Math.floor(intervalDays / 3));
}

/** Just the state: what a 10,000-secret list calls per secret and environment. */
export function rotationState(s: Schedule, clock: RotationClock): RotationState {
  let state: RotationState = 'none';
  if (validInterval(s.intervalDays)) {
    const due = clock.dayOf(s.lastRotatedAt) + Math.floor(s.intervalDays);
    state = clock.today > due ? 'overdue' : clock.today >= due - dueSoonDays(s.intervalDays) ? 'due' : 'ok';
  }
  if (typeof s.expiresAt === 'number' && Number.isFinite(s.expiresAt)) {
    const e: RotationState = clock.now >= s.expiresAt ? 'expired' : clock.today >= clock.dayOf(s.expiresAt) - EXPIRING_SOON_DAYS ? 'expiring' : 'ok';
    state = worse(state, e);
  }
  return state;
}

/** The state with the dates behind it, for the detail view and the Health report. */
export function rotationStatus(s: Schedule, clock: RotationClock): RotationStatus {
  const state = rotationState(s, clock);
  const out: { -readonly [K in keyof RotationStatus]: RotationStatus[K] } = { state };
  if (validInterval(s.intervalDays)) {
    const due = clock.dayOf(s.lastRotatedAt) + Math.floor(s.intervalDays);
    out.dueDate = dateOfDay(due);
    out.daysLeft = due - clock.today;
  }
  if (typeof s.expiresAt === 'number' && Number.isFinite(s.expiresAt)) out.expiresDate = dateOfDay(clock.dayOf(s.expiresAt));
  return out;
}

/**
 * The items whose state got worse between two checks and now needs attention (due,
 * expiring, overdue or expired): what the desktop app notifies about. Passing the previous
 * check time rather than remembering states keeps this pure: a secret that turned due while
 * the app was closed is reported at the first check after, and only then.
 */
export function becameDue<T extends { readonly schedule: Schedule }>(
  items: Iterable<T>,
  previousCheck: number,
  now: number,
  timeZone: string,
): { item: T; state: RotationState }[] {
  const before = new RotationClock(previousCheck, timeZone);
  const after = new RotationClock(now, timeZone);
  const out: { item: T; state: RotationState }[] = [];
  for (const item of items) {
    const s = rotationState(item.schedule, after);
    if (STATE_RANK[s] >= STATE_RANK.due && STATE_RANK[s] > STATE_RANK[rotationState(item.schedule, before)]) out.push({ item, state: s });
  }
  return out;
}
