import type { ReadSide } from './ledger/readSide.js';
import type { IsoDate } from '../domain/dates.js';
import type { GrantFacts } from '../domain/grant/state.js';
import { budgetStreamName } from '../domain/budget/events.js';
import { viewDateOf, type Clocks, type GrantStreamEvent } from '../../projections/clocks.js';
import { activitiesReport, type ActivitiesReport } from '../../projections/activities.js';
import { grantStatementOf, type GrantStatement } from '../../projections/grantStatement.js';
import { reportsDueReport, type ReportsDueReport } from '../../projections/reportsDue.js';
import { yearEndReport, type YearEndReport } from '../../projections/yearEnd.js';
import { resultFundReport, type ResultFundReport } from '../../projections/resultFund.js';

/**
 * The monthly reports an ekonom opens (issue 9), read from the ledger's read model. Each is a pure
 * projection; this module only picks the streams and the view date.
 */

function grantIdsOf(ledger: ReadSide, committee: string | undefined): Iterable<string> {
  return committee === undefined ? ledger.readModel.grantIds() : ledger.readModel.grantIdsOfCommittee(committee);
}

function grantFactsIn(ledger: ReadSide, clocks: Clocks, committee: string | undefined): GrantFacts[] {
  const all: GrantFacts[] = [];
  for (const grantId of grantIdsOf(ledger, committee)) {
    const facts = ledger.readModel.grantFacts(grantId, clocks);
    if (facts) all.push(facts);
  }
  return all;
}

export function activitiesOf(ledger: ReadSide, query: { committee: string; year: number }, clocks: Clocks): ActivitiesReport {
  ledger.readModel.assertRunning();
  const budget = ledger.readModel.budgetStream(budgetStreamName({ committee: query.committee, fiscalYear: query.year }));
  const grantStreams: Array<readonly GrantStreamEvent[]> = [];
  for (const grantId of ledger.readModel.grantIdsOfCommittee(query.committee)) {
    const stream = ledger.readModel.grantStream(grantId);
    if (stream) grantStreams.push(stream);
  }
  return activitiesReport(query.committee, query.year, budget?.events ?? [], grantStreams, clocks, viewDateOf(clocks, ledger.today()));
}

/** null when there is no such grant; 'not-in-view' when the view does not see it yet. */
export function grantStatementFor(ledger: ReadSide, grantId: string, clocks: Clocks): GrantStatement | null | 'not-in-view' {
  ledger.readModel.assertRunning();
  const stream = ledger.readModel.grantStream(grantId);
  if (!stream) return null;
  return grantStatementOf(stream, clocks, viewDateOf(clocks, ledger.today())) ?? 'not-in-view';
}

export function reportsDueOf(ledger: ReadSide, query: { within: number; committee?: string | undefined }, clocks: Clocks): ReportsDueReport {
  ledger.readModel.assertRunning();
  const filter = query.committee === undefined ? {} : { committee: query.committee };
  return reportsDueReport(grantFactsIn(ledger, clocks, query.committee), viewDateOf(clocks, ledger.today()), query.within, filter);
}

/** The balances as of the balance date (31 December of the year, or an interim date). */
export function yearEndOf(ledger: ReadSide, query: { committee?: string | undefined; balanceDate: IsoDate; knownAt?: string | undefined }): YearEndReport {
  ledger.readModel.assertRunning();
  const clocks: Clocks = query.knownAt === undefined ? { asOf: query.balanceDate } : { asOf: query.balanceDate, knownAt: query.knownAt };
  const filter = query.committee === undefined ? {} : { committee: query.committee };
  return yearEndReport(grantFactsIn(ledger, clocks, query.committee), query.balanceDate, filter);
}

export function resultFundOf(ledger: ReadSide, query: { committee?: string | undefined }, clocks: Clocks): ResultFundReport {
  ledger.readModel.assertRunning();
  const filter = query.committee === undefined ? {} : { committee: query.committee };
  return resultFundReport(ledger.readModel.budgetsIn(clocks, query.committee), filter);
}
