import type { IsoDate } from '../src/domain/dates.js';
import { addDays } from '../src/domain/dates.js';
import type { GrantFacts } from '../src/domain/grant/state.js';
import { grantStatusOf, type GrantViewStatus } from './grantView.js';

/**
 * Reports due (återrapportering): grants whose reportDue has passed, or falls within `within` days
 * of the view date, and whose report for that due date is not in view.
 *
 * Which report answers a due date: a grant has one reportDue, and a grantor asks for the report
 * of the period that ends there. A report submitted (in view) on or after the later of the grant's
 * receipt and the day after one year before reportDue answers it, late or not; an earlier one
 * (an interim report, last year's report before reportDue was amended) does not. A closed grant
 * still owes its report.
 */
export const REPORTS_DUE_WITHIN_DAYS_DEFAULT = 30;

export interface ReportDueRow {
  readonly grantId: string;
  readonly grantor: string;
  readonly title: string;
  readonly committee: string;
  readonly kind: 'riktat' | 'generellt';
  readonly receivedOn: IsoDate;
  readonly reportDue: IsoDate;
  /** Days from the view date to reportDue; negative when it has passed. */
  readonly daysLeft: number;
  readonly overdue: boolean;
  /** The latest report in view, of any date; null when none was submitted. */
  readonly lastReportOn: IsoDate | null;
  readonly status: GrantViewStatus;
}

export interface ReportsDueReport {
  readonly viewDate: IsoDate;
  readonly within: number;
  readonly rows: readonly ReportDueRow[];
}

/** Whole days from one date to another (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  const utc = (date: IsoDate) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** The first day a report may be dated to answer a due date (see the module's comment). */
export function reportWindowStart(receivedOn: IsoDate, reportDue: IsoDate): IsoDate {
  const yearBefore = `${Number(reportDue.slice(0, 4)) - 1}${reportDue.slice(4)}`.replace(/-02-29$/, '-02-28');
  const dayAfterYearBefore = addDays(yearBefore, 1);
  return dayAfterYearBefore > receivedOn ? dayAfterYearBefore : receivedOn;
}

export function reportsDueReport(
  grants: Iterable<GrantFacts>,
  viewDate: IsoDate,
  within: number,
  filter: { readonly committee?: string } = {},
): ReportsDueReport {
  const horizon = addDays(viewDate, within);
  const rows: ReportDueRow[] = [];
  for (const facts of grants) {
    const grant = facts.grant;
    if (grant === null || grant.reportDue === undefined) continue;
    if (filter.committee !== undefined && grant.committee !== filter.committee) continue;
    if (grant.reportDue > horizon) continue;
    const windowStart = reportWindowStart(grant.receivedOn, grant.reportDue);
    if (facts.reports.some((report) => report.submittedOn >= windowStart)) continue;
    const lastReportOn = facts.reports.reduce<IsoDate | null>((latest, report) => (latest === null || report.submittedOn > latest ? report.submittedOn : latest), null);
    const daysLeft = daysBetween(viewDate, grant.reportDue);
    rows.push({
      grantId: grant.grantId,
      grantor: grant.grantor,
      title: grant.title,
      committee: grant.committee,
      kind: grant.kind,
      receivedOn: grant.receivedOn,
      reportDue: grant.reportDue,
      daysLeft,
      overdue: daysLeft < 0,
      lastReportOn,
      status: grantStatusOf(facts, viewDate),
    });
  }
  rows.sort((a, b) => (a.reportDue === b.reportDue ? (a.grantId < b.grantId ? -1 : 1) : a.reportDue < b.reportDue ? -1 : 1));
  return { viewDate, within, rows };
}
