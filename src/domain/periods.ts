import { refuse } from './errors.js';
import { yearOf, type IsoDate } from './dates.js';

/**
 * What a decider must know of a committee's fiscal years beyond its own stream (DOMAIN.md,
 * "Period lock"): whether a year has a budget stream, and whether it is closed. The application
 * layer answers from the read model; the deciders stay pure.
 */
export interface CommitteeYears {
  yearStatus(committee: string, fiscalYear: number): 'none' | 'open' | 'closed';
}

/** For deciders judged without any other stream (tests, imports of a single stream). */
export const NO_CLOSED_YEARS: CommitteeYears = { yearStatus: () => 'none' };

/**
 * Period lock (stängd period): nothing dated in a closed year of the committee may be recorded or
 * reversed; a correction is booked in an open year instead.
 */
export function requirePeriodOpen(years: CommitteeYears, committee: string, date: IsoDate, field?: string): void {
  const year = yearOf(date);
  if (years.yearStatus(committee, year) === 'closed') {
    refuse('PERIOD_CLOSED', `${committee}'s fiscal year ${year} is closed; book the correction in an open year (${field ?? 'date'} ${date})`, field);
  }
}
