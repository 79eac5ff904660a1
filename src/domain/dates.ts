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

/** The last calendar day of a period: an outcome for 2020-12 is known as of 2020-12-31. */
export function lastDayOfPeriod(period: Period): IsoDate {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${period}-${String(last).padStart(2, '0')}`;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

/** Today's date in UTC for a moment, so a view without asOf has a well-defined view date. */
export function dateOfMoment(moment: Date): IsoDate {
  return moment.toISOString().slice(0, 10);
}

/** The date a number of days after (or, negative, before) a date. */
export function addDays(date: IsoDate, days: number): IsoDate {
  const [year, month, day] = [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}
