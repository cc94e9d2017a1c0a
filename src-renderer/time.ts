/** Dates the way people say them: "today 14:05", "3 Nov 2026 09:12". */
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const date = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

export function when(at: number, now = Date.now()): string {
  const d = new Date(at);
  return sameDay(at, now) ? `today ${time.format(d)}` : `${date.format(d)} ${time.format(d)}`;
}

/** The time of day alone, for rows under a day heading. */
export function clock(at: number): string {
  return time.format(new Date(at));
}

export function day(at: number, now = Date.now()): string {
  if (sameDay(at, now)) return 'Today';
  if (sameDay(at, now - 86_400_000)) return 'Yesterday';
  return new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(at));
}

export function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}
