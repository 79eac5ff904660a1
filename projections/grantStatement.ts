import { formatMoney, ZERO } from '../src/domain/money.js';
import type { IsoDate } from '../src/domain/dates.js';
import type { GrantEvent } from '../src/domain/grant/events.js';
import { grantBusinessDate } from '../src/domain/grant/state.js';
import { foldGrantFacts } from '../src/domain/grant/decide.js';
import { visibleEvents, type Clocks, type GrantStreamEvent } from './clocks.js';
import { grantViewOf, type AllocationView, type GrantView } from './grantView.js';

/**
 * The grant statement (bidragsredovisning): what the grantor asks for in an återrapportering.
 * Every money movement of the grant in business-date order, per kind, and the figures they add up
 * to: received per installment, each allocation with its spending (date, voucher, amount),
 * releases, the grantor's demands, returns, the reports submitted, what is unused and to repay.
 */
export interface GrantStatement {
  readonly grant: Omit<GrantView, 'allocations' | 'reports'>;
  readonly installments: ReadonlyArray<{ readonly receivedOn: IsoDate; readonly amount: string; readonly reference: string | null }>;
  readonly allocations: ReadonlyArray<
    AllocationView & { readonly spending: ReadonlyArray<{ readonly spentOn: IsoDate; readonly voucher: string; readonly amount: string }> }
  >;
  readonly releases: ReadonlyArray<{ readonly allocationId: string; readonly activity: string; readonly releasedOn: IsoDate; readonly amount: string }>;
  readonly demands: ReadonlyArray<{ readonly demandedOn: IsoDate; readonly dueOn: IsoDate; readonly amount: string; readonly reference: string }>;
  readonly returns: ReadonlyArray<{ readonly returnedOn: IsoDate; readonly amount: string; readonly reference: string | null }>;
  readonly reports: ReadonlyArray<{ readonly submittedOn: IsoDate; readonly reference: string }>;
  /** Corrections of what GrantReceived recorded (GrantAmended), in recording order. */
  readonly amendments: ReadonlyArray<{ readonly reason: string; readonly changed: string }>;
}

const byDate = <T>(dateOf: (item: T) => string) => (a: T, b: T) => (dateOf(a) < dateOf(b) ? -1 : dateOf(a) > dateOf(b) ? 1 : 0);

/** The statement of one grant in a view; null when the view does not see the grant. */
export function grantStatementOf(stream: readonly GrantStreamEvent[], clocks: Clocks, viewDate: IsoDate): GrantStatement | null {
  const events = visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate);
  const facts = foldGrantFacts(events);
  const view = grantViewOf(facts, viewDate);
  if (view === null) return null;
  const { allocations: allocationViews, reports: _reports, ...header } = view;
  const installments: Array<GrantStatement['installments'][number]> = [];
  const spending = new Map<string, Array<{ spentOn: IsoDate; voucher: string; amount: string }>>();
  const releases: Array<GrantStatement['releases'][number]> = [];
  const demands: Array<GrantStatement['demands'][number]> = [];
  const returns: Array<GrantStatement['returns'][number]> = [];
  const reports: Array<GrantStatement['reports'][number]> = [];
  const amendments: Array<GrantStatement['amendments'][number]> = [];
  let laterInstallments = ZERO;
  for (const typed of events) {
    switch (typed.type) {
      case 'GrantInstallmentReceived':
        installments.push({ receivedOn: typed.data.receivedOn, amount: typed.data.amount, reference: typed.data.reference ?? null });
        laterInstallments = laterInstallments.plus(typed.data.amount);
        break;
      case 'FundsSpent': {
        const list = spending.get(typed.data.allocationId) ?? [];
        list.push({ spentOn: typed.data.spentOn, voucher: typed.data.voucher, amount: typed.data.amount });
        spending.set(typed.data.allocationId, list);
        break;
      }
      case 'AllocationReleased':
        releases.push({
          allocationId: typed.data.allocationId,
          activity: facts.allocations.get(typed.data.allocationId)?.activity ?? '',
          releasedOn: typed.data.releasedOn,
          amount: typed.data.amount,
        });
        break;
      case 'RepaymentDemanded':
        demands.push({ demandedOn: typed.data.demandedOn, dueOn: typed.data.dueOn, amount: typed.data.amount, reference: typed.data.reference });
        break;
      case 'FundsReturned':
        returns.push({ returnedOn: typed.data.returnedOn, amount: typed.data.amount, reference: typed.data.reference ?? null });
        break;
      case 'GrantReportSubmitted':
        reports.push({ submittedOn: typed.data.submittedOn, reference: typed.data.reference });
        break;
      case 'GrantAmended': {
        const { reason, ...changed } = typed.data;
        amendments.push({ reason, changed: Object.entries(changed).filter(([, value]) => value !== undefined).map(([field, value]) => `${field}: ${String(value)}`).join(', ') });
        break;
      }
      default:
        break;
    }
  }
  // The first installment is what GrantReceived recorded, as amended: the grant's received figure
  // less the later installments, so a corrected amount shows here too.
  const grant = facts.grant!;
  installments.unshift({ receivedOn: grant.receivedOn, amount: formatMoney(facts.received.minus(laterInstallments)), reference: grant.reference ?? null });
  return {
    grant: header,
    installments: installments.sort(byDate((item) => item.receivedOn)),
    allocations: allocationViews
      .map((allocation) => ({ ...allocation, spending: (spending.get(allocation.allocationId) ?? []).sort(byDate((item) => item.spentOn)) }))
      .sort(byDate((item) => item.allocatedOn)),
    releases: releases.sort(byDate((item) => item.releasedOn)),
    demands: demands.sort(byDate((item) => item.demandedOn)),
    returns: returns.sort(byDate((item) => item.returnedOn)),
    reports: reports.sort(byDate((item) => item.submittedOn)),
    amendments,
  };
}
