import { z } from 'zod';
import { AppropriationAdjustedData, ForecastRecordedData, OutcomeRecordedData, type BudgetKey } from '../../domain/budget/events.js';
import { CloseFiscalYearData, GrantAppropriationData, ReverseBudgetEntryData, type BudgetCommand } from '../../domain/budget/commands.js';
import { FiscalYear } from '../../domain/schema.js';
import { HttpProblem, invalidInput } from '../problems.js';
import { BudgetParams, ClockQuery } from '../querySchemas.js';
import { READERS, route, writeCommand, WRITERS, type RouteRequest } from '../route.js';

type Params = { committee: string; year: number };

function budgetKeyOf(params: Params): BudgetKey {
  const year = FiscalYear.safeParse(params.year);
  if (!year.success) throw invalidInput(year.error, 'path');
  return { committee: params.committee, fiscalYear: year.data };
}

function budgetCommand<Body extends object>(
  path: string,
  summary: string,
  body: z.ZodType<Body>,
  toCommand: (budget: BudgetKey, body: Body) => BudgetCommand,
  successStatus = 201,
) {
  return route<Body, unknown, Params>({
    method: 'post',
    path: `/api/budgets/:committee/:year/${path}`,
    summary,
    access: WRITERS,
    writes: true,
    successStatus,
    params: BudgetParams,
    body,
    handle: async (request: RouteRequest<Body, unknown, Params>) => {
      const key = budgetKeyOf(request.params);
      const { context } = writeCommand(request);
      const outcome = await request.ledger.executeBudget(key, toCommand(key, request.body), context);
      return { status: successStatus, body: { revision: outcome.revision }, revision: outcome.revision };
    },
  });
}

export const budgetRoutes = [
  budgetCommand('appropriations', "Record the council's appropriation (anslag) for the year", GrantAppropriationData, (budget, data) => ({
    type: 'GrantAppropriation',
    budget,
    data,
  })),
  budgetCommand('adjustments', 'Adjust the appropriation (tilläggsanslag, omfördelning)', AppropriationAdjustedData, (budget, data) => ({
    type: 'AdjustAppropriation',
    budget,
    data,
  })),
  budgetCommand('outcomes', 'Record costs and revenues of a month (utfall)', OutcomeRecordedData, (budget, data) => ({
    type: 'RecordOutcome',
    budget,
    data,
  })),
  budgetCommand('forecasts', 'Record a full-year forecast deviation (prognos)', ForecastRecordedData, (budget, data) => ({
    type: 'RecordForecast',
    budget,
    data,
  })),
  budgetCommand(
    'reversals',
    'Reverse an earlier entry of the budget (rättelse)',
    ReverseBudgetEntryData,
    (budget, data) => ({ type: 'ReverseEntry', budget, data }),
    200,
  ),
  route<z.output<typeof CloseFiscalYearData>, unknown, Params>({
    method: 'post',
    path: '/api/budgets/:committee/:year/close',
    summary: 'Close the fiscal year (bokslut) and carry its result over (resultatöverföring)',
    access: WRITERS,
    writes: true,
    successStatus: 200,
    params: BudgetParams,
    body: CloseFiscalYearData,
    handle: async (request) => {
      const key = budgetKeyOf(request.params);
      const { context } = writeCommand(request);
      const outcome = await request.ledger.closeFiscalYear(key, request.body, context);
      const closing = outcome.events.find((event) => event.type === 'FiscalYearClosed');
      const data = closing?.data as { result: string; carriedForward: string } | undefined;
      if (!data) throw new Error('closing a fiscal year recorded no FiscalYearClosed');
      return {
        status: 200,
        body: { revision: outcome.revision, result: data.result, carriedForward: data.carriedForward },
        revision: outcome.revision,
      };
    },
  }),
  route<unknown, { asOf?: string; knownAt?: string }, Params>({
    method: 'get',
    path: '/api/budgets/:committee/:year',
    summary: "A committee's fiscal year: budget, outcome, grant revenue, result",
    access: READERS,
    successStatus: 200,
    params: BudgetParams,
    query: z.strictObject(ClockQuery),
    handle: async ({ ledger, params, query }) => {
      const key = budgetKeyOf(params);
      await ledger.ready(query, 'revenue');
      const found = ledger.budget(key, query);
      if (!found) throw new HttpProblem(404, 'BUDGET_NOT_FOUND', 'Budget not found', `no budget for ${key.committee} ${key.fiscalYear} in this view`);
      return { status: 200, body: { ...found.row, revision: found.revision }, revision: found.revision };
    },
  }),
];
