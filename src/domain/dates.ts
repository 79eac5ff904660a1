/** Business dates (bokföringsdag) are ISO calendar dates, YYYY-MM-DD; periods are YYYY-MM. */
export type IsoDate = string;
export type Period = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_PATTERN = /^(\d{4})-(\d{2})$/;

export function isIsoDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isPeriod(text: string): boolean {
  const match = PERIOD_PATTERN.exec(text);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 12;
}

export function yearOf(dateOrPeriod: string): number {
  return Number(dateOrPeriod.slice(0, 4));
}

const lastDays = new Map<Period, IsoDate>();

/** The last calendar day of a period: an outcome for 2020-12 is known as of 2020-12-31. */
export function lastDayOfPeriod(period: Period): IsoDate {
  // Asked for every outcome and forecast a replay or a view reads; there are twelve periods a year.
  let last = lastDays.get(period);
  if (last === undefined) {
    const year = Number(period.slice(0, 4));
    const month = Number(period.slice(5, 7));
    last = `${period}-${String(new Date(Date.UTC(year, month, 0)).getUTCDate()).padStart(2, '0')}`;
    if (lastDays.size >= 10_000) lastDays.clear();
    lastDays.set(period, last);
  }
  return last;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

/**
 * Business dates and "today" are Swedish dates (DOMAIN.md, "Time zone"); stored moments stay UTC.
 * Stockholm's clock changes at 01:00 UTC, never at local midnight, so every Swedish day starts at
 * exactly one moment.
 */
export const SWEDISH_TIME_ZONE = 'Europe/Stockholm';

const swedishParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: SWEDISH_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Milliseconds that Swedish wall-clock time is ahead of UTC at a moment (3 600 000 or 7 200 000). */
function swedishOffsetAt(epochMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of swedishParts.formatToParts(new Date(epochMs))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - (epochMs - (epochMs % 1000 + 1000) % 1000);
}

/** The Swedish calendar date of a moment: 2021-03-09T23:30:00Z is 2021-03-10 in Stockholm. */
export function dateOfMoment(moment: Date): IsoDate {
  return new Date(moment.getTime() + swedishOffsetAt(moment.getTime())).toISOString().slice(0, 10);
}

/** The UTC moment a Swedish day begins: 2021-03-10 begins at 2021-03-09T23:00:00.000Z. */
export function startOfSwedishDay(date: IsoDate): string {
  const wallMidnight = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  let moment = wallMidnight - swedishOffsetAt(wallMidnight);
  // The offset at the guess may differ from the offset at the answer on a day the clock changes.
  moment = wallMidnight - swedishOffsetAt(moment);
  return new Date(moment).toISOString();
}

/** The last UTC millisecond of a Swedish day: what "known on 2021-03-09" means. */
export function endOfSwedishDay(date: IsoDate): string {
  return new Date(Date.parse(startOfSwedishDay(addDays(date, 1))) - 1).toISOString();
}

/** The date a number of days after (or, negative, before) a date. */
export function addDays(date: IsoDate, days: number): IsoDate {
  const [year, month, day] = [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The period a number of months after (or, negative, before) a period: 2021-11 + 3 is 2022-02. */
export function addMonths(period: Period, months: number): Period {
  const index = Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1 + months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}
