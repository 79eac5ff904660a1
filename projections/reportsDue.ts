import type { IsoDate } from '../src/domain/dates.js';
import { addDays } from '../src/domain/dates.js';
import type { GrantFacts } from '../src/domain/grant/state.js';
import { grantStatusOf, type GrantViewStatus } from './grantView.js';

/**
 * Reports due (återrapportering): grants whose reportDue has passed, or falls within `within` days
 * of the view date, and whose report for that due date is not in view.
 *
 * Which report answers a due date (a grant has one reportDue):
 * - a final report (reportDue on or after useBy) accounts for the use of the money, so only a
 *   report dated on or after useBy counts, or on or after the grant's closing when it was closed
 *   earlier (all money used);
 * - an interim report (reportDue before useBy) covers the year up to reportDue: a report dated on
 *   or after the later of the receipt and the day after one year before reportDue counts.
 * A late report counts. A closed grant still owes its report. Where this errs, it errs towards a
 * reminder, and the row shows the latest report's date for the ekonom to judge.
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

/** The first day a report may be dated to answer the grant's reportDue (see the module's comment). */
export function reportWindowStart(grant: { receivedOn: IsoDate; useBy: IsoDate; reportDue: IsoDate }, closedOn: IsoDate | null): IsoDate {
  if (grant.reportDue >= grant.useBy) return closedOn !== null && closedOn < grant.useBy ? closedOn : grant.useBy;
  const yearBefore = `${Number(grant.reportDue.slice(0, 4)) - 1}${grant.reportDue.slice(4)}`.replace(/-02-29$/, '-02-28');
  const dayAfterYearBefore = addDays(yearBefore, 1);
  return dayAfterYearBefore > grant.receivedOn ? dayAfterYearBefore : grant.receivedOn;
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
    const windowStart = reportWindowStart({ receivedOn: grant.receivedOn, useBy: grant.useBy, reportDue: grant.reportDue }, facts.closedOn);
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
