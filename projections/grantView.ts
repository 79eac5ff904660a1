import type { IsoDate } from '../src/domain/dates.js';
import { formatMoney, oreOf, type Ore } from '../src/domain/money.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import {
  allocatedRemainingOf,
  grantBusinessDate,
  remainingOf,
  repaymentOutstandingOf,
  toRepayOf,
  unallocatedOf,
  unusedOf,
  type GrantFacts,
} from '../src/domain/grant/state.js';
import { foldGrantFacts } from '../src/domain/grant/decide.js';
import { viewDateOf, visibleEvents, type Clocks, type GrantStreamEvent } from './clocks.js';

/**
 * open; expired on or after useBy with earmarked money unused; settled on or after useBy with
 * nothing unused, not yet closed; closed.
 */
export type GrantViewStatus = 'open' | 'expired' | 'settled' | 'closed';

export interface AllocationView {
  readonly allocationId: string;
  readonly activity: string;
  readonly allocatedOn: IsoDate;
  readonly allocated: string;
  readonly released: string;
  readonly spent: string;
  readonly remaining: string;
}

export interface GrantView {
  readonly grantId: string;
  readonly grantor: string;
  readonly title: string;
  readonly purpose: string;
  readonly kind: 'riktat' | 'generellt';
  readonly committee: string;
  readonly receivedOn: IsoDate;
  readonly useBy: IsoDate;
  readonly reportDue: IsoDate | null;
  readonly reference: string | null;
  readonly repaymentRequired: boolean;
  readonly received: string;
  readonly spent: string;
  readonly returned: string;
  readonly unused: string;
  readonly unallocated: string;
  readonly allocatedRemaining: string;
  readonly retained: string;
  readonly repaymentDemanded: string;
  readonly repaymentOutstanding: string;
  /** att återbetala: unused money of a grant with a duty to repay, from its useBy on. */
  readonly toRepay: string;
  readonly status: GrantViewStatus;
  readonly closedOn: IsoDate | null;
  readonly reports: ReadonlyArray<{ readonly submittedOn: IsoDate; readonly reference: string }>;
  readonly allocations: readonly AllocationView[];
}

/**
 * A view as of a date shows the books at the close of that day. Money to be used by a date can no
 * longer be used once that day has closed, so DOMAIN.md's worked example (useBy 2020-12-31, viewed
 * as of 2020-12-31) is already expired.
 */
export function grantStatusOf(facts: GrantFacts, viewDate: IsoDate): GrantViewStatus {
  if (facts.status === 'closed') return 'closed';
  // Only earmarked money is tracked as unused; a general grant is revenue when received.
  if (facts.grant?.kind !== 'riktat' || viewDate < facts.grant.useBy) return 'open';
  return unusedOf(facts).gt(0) ? 'expired' : 'settled';
}

export function grantFactsAt(stream: readonly GrantStreamEvent[], clocks: Clocks): GrantFacts {
  return foldGrantFacts(visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate));
}

/** The figures every listing of a grant shows; the unused-grants report shows only these. */
export type GrantSummary = Pick<
  GrantView,
  | 'grantId' | 'grantor' | 'title' | 'committee' | 'kind' | 'received' | 'spent' | 'returned' | 'unused' | 'unallocated'
  | 'allocatedRemaining' | 'useBy' | 'reportDue' | 'status' | 'repaymentRequired' | 'repaymentOutstanding' | 'toRepay'
>;

/** The amounts of a summary that reports add up, in whole öre. */
export interface SummaryOre {
  readonly received: Ore;
  readonly spent: Ore;
  readonly returned: Ore;
  readonly unused: Ore;
  readonly toRepay: Ore;
}

const oreOfSummaries = new WeakMap<GrantSummary, SummaryOre>();

/**
 * A summary's amounts in öre, for totals over thousands of rows: summaries are kept and shared,
 * so each is parsed once at most, and one made from öre (GrantFigures) is never parsed at all.
 */
export function oreOfSummary(summary: GrantSummary): SummaryOre {
  let ore = oreOfSummaries.get(summary);
  if (ore === undefined) {
    ore = { received: oreOf(summary.received), spent: oreOf(summary.spent), returned: oreOf(summary.returned), unused: oreOf(summary.unused), toRepay: oreOf(summary.toRepay) };
    oreOfSummaries.set(summary, ore);
  }
  return ore;
}

/** The summaries' amounts added up exactly, in öre kept with each summary (no string is parsed for one made from öre). */
export function totalOre(summaries: Iterable<GrantSummary>): { received: Ore; spent: Ore; returned: Ore; unused: Ore; toRepay: Ore } {
  const total = { received: 0n, spent: 0n, returned: 0n, unused: 0n, toRepay: 0n };
  for (const summary of summaries) {
    const ore = oreOfSummary(summary);
    total.received += ore.received;
    total.spent += ore.spent;
    total.returned += ore.returned;
    total.unused += ore.unused;
    total.toRepay += ore.toRepay;
  }
  return total;
}

/** Keeps the öre a summary was formatted from, so that totals never parse it back. */
export function withOre(summary: GrantSummary, ore: SummaryOre): GrantSummary {
  oreOfSummaries.set(summary, ore);
  return summary;
}

/** The summary's fields of a whole view. */
export function summaryOfView(view: GrantView): GrantSummary {
  return {
    grantId: view.grantId,
    grantor: view.grantor,
    title: view.title,
    committee: view.committee,
    kind: view.kind,
    received: view.received,
    spent: view.spent,
    returned: view.returned,
    unused: view.unused,
    unallocated: view.unallocated,
    allocatedRemaining: view.allocatedRemaining,
    useBy: view.useBy,
    reportDue: view.reportDue,
    status: view.status,
    repaymentRequired: view.repaymentRequired,
    repaymentOutstanding: view.repaymentOutstanding,
    toRepay: view.toRepay,
  };
}

/**
 * A grant's summary straight from its facts, without formatting its allocations; null when the
 * grant did not exist in that view.
 */
export function grantSummaryOf(facts: GrantFacts, viewDate: IsoDate): GrantSummary | null {
  const grant = facts.grant;
  if (grant === null) return null;
  return {
    grantId: grant.grantId,
    grantor: grant.grantor,
    title: grant.title,
    committee: grant.committee,
    kind: grant.kind,
    received: formatMoney(facts.received),
    spent: formatMoney(facts.spent),
    returned: formatMoney(facts.returned),
    unused: formatMoney(unusedOf(facts)),
    unallocated: formatMoney(unallocatedOf(facts)),
    allocatedRemaining: formatMoney(allocatedRemainingOf(facts)),
    useBy: grant.useBy,
    reportDue: grant.reportDue ?? null,
    status: grantStatusOf(facts, viewDate),
    repaymentRequired: grant.repaymentRequired,
    repaymentOutstanding: formatMoney(repaymentOutstandingOf(facts)),
    toRepay: formatMoney(toRepayOf(facts, viewDate)),
  };
}

/**
 * A grant's summaries in one set of facts, kept: a summary depends on the date a view is judged
 * on only through whether that date is before the grant's useBy (its status and toRepay), so
 * there are two at most, whatever the date.
 */
export class GrantSummaries {
  private readonly bySide: [GrantSummary | undefined, GrantSummary | undefined] = [undefined, undefined];
  /** The grant's useBy, null when the facts hold no grant; undefined until first asked. */
  private useBy: IsoDate | null | undefined;
  /** @param facts the facts these summaries are of, folded only when a side is first asked for */
  constructor(private readonly facts: () => GrantFacts) {}

  of(viewDate: IsoDate): GrantSummary | null {
    let facts: GrantFacts | undefined;
    if (this.useBy === undefined) {
      facts = this.facts();
      this.useBy = facts.grant?.useBy ?? null;
    }
    if (this.useBy === null) return null;
    const side = viewDate < this.useBy ? 0 : 1;
    return (this.bySide[side] ??= grantSummaryOf(facts ?? this.facts(), viewDate)!);
  }
}

/** The view of one grant from its facts: its summary, and everything else it holds. */
export function grantViewOf(facts: GrantFacts, viewDate: IsoDate): GrantView | null {
  const summary = grantSummaryOf(facts, viewDate);
  const grant = facts.grant;
  if (summary === null || grant === null) return null;
  return {
    ...summary,
    purpose: grant.purpose,
    receivedOn: grant.receivedOn,
    reference: grant.reference ?? null,
    retained: formatMoney(facts.retained),
    repaymentDemanded: formatMoney(facts.demanded),
    closedOn: facts.closedOn,
    reports: facts.reports.map((report) => ({ submittedOn: report.submittedOn, reference: report.reference })),
    allocations: [...facts.allocations.values()].map((allocation) => ({
      allocationId: allocation.allocationId,
      activity: allocation.activity,
      allocatedOn: allocation.allocatedOn,
      allocated: formatMoney(allocation.allocated),
      released: formatMoney(allocation.released),
      spent: formatMoney(allocation.spent),
      remaining: formatMoney(remainingOf(allocation)),
    })),
  };
}

export function grantView(stream: readonly GrantStreamEvent[], clocks: Clocks, today: IsoDate): GrantView | null {
  return grantViewOf(grantFactsAt(stream, clocks), viewDateOf(clocks, today));
}
