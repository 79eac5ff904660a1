import { z } from 'zod';
import { AppropriationAdjustedData, ForecastRecordedData, OutcomeRecordedData } from './events.js';
import { ActivityCode, CommitteeSlug, FiscalYear, IsoDate, NonNegativeAmount, SignedAmount, Text, Uuid } from '../schema.js';

/** Every budget command names its stream: one committee (nämnd) and one fiscal year. */
export const BudgetKeySchema = z.strictObject({ committee: CommitteeSlug, fiscalYear: FiscalYear });

export const GrantAppropriationData = z.strictObject({
  activity: ActivityCode.optional(),
  amount: NonNegativeAmount,
  decidedOn: IsoDate,
  decisionRef: Text(200),
});

export const CloseFiscalYearData = z.strictObject({
  closedOn: IsoDate,
  /** The council's decision on resultatöverföring; the result itself when absent. */
  carriedForward: SignedAmount.optional(),
});

export const ReverseBudgetEntryData = z.strictObject({ eventId: Uuid, reason: Text(500) });

export const BudgetCommand = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('GrantAppropriation'), budget: BudgetKeySchema, data: GrantAppropriationData }),
  z.strictObject({ type: z.literal('AdjustAppropriation'), budget: BudgetKeySchema, data: AppropriationAdjustedData }),
  z.strictObject({ type: z.literal('RecordOutcome'), budget: BudgetKeySchema, data: OutcomeRecordedData }),
  z.strictObject({ type: z.literal('RecordForecast'), budget: BudgetKeySchema, data: ForecastRecordedData }),
  z.strictObject({
    type: z.literal('CloseFiscalYear'),
    budget: BudgetKeySchema,
    data: CloseFiscalYearData,
    /**
     * The committee's grant revenue for the year, read by the application layer from the grant
     * streams, since the decider does no I/O.
     */
    grantRevenue: SignedAmount,
  }),
  z.strictObject({ type: z.literal('ReverseEntry'), budget: BudgetKeySchema, data: ReverseBudgetEntryData }),
]);

export type BudgetCommand = z.output<typeof BudgetCommand>;
export type BudgetCommandType = BudgetCommand['type'];
