import { z } from 'zod';
import { EntryReversedData } from '../grant/events.js';
import {
  ActivityCode,
  CommitteeSlug,
  FiscalYear,
  IsoDate,
  NonNegativeAmount,
  Period,
  SignedAmount,
  SignedNonZeroAmount,
  Text,
} from '../schema.js';

/**
 * Events of a budget stream (`budget-<committee>-<year>`).
 * Glossary: anslag/budgetram/kommunbidrag = appropriation; tilläggsanslag/omfördelning =
 * adjustment; utfall = outcome; prognos = forecast; bokslut = closing of the year;
 * resultatöverföring = carrying the result over to later years.
 */
export const AppropriationGrantedData = z.strictObject({
  committee: CommitteeSlug,
  fiscalYear: FiscalYear,
  activity: ActivityCode.optional(),
  amount: NonNegativeAmount,
  decidedOn: IsoDate,
  decisionRef: Text(200),
});

export const AppropriationAdjustedData = z.strictObject({
  activity: ActivityCode.optional(),
  amount: SignedNonZeroAmount,
  decidedOn: IsoDate,
  reason: Text(500),
  decisionRef: Text(200),
});

export const OutcomeRecordedData = z.strictObject({
  period: Period,
  activity: ActivityCode,
  costs: NonNegativeAmount,
  revenues: NonNegativeAmount,
});

export const ForecastRecordedData = z.strictObject({
  afterPeriod: Period,
  activity: ActivityCode.optional(),
  deviation: SignedAmount,
});

export const FiscalYearClosedData = z.strictObject({
  closedOn: IsoDate,
  /** The grant revenue the result was computed with, so the closing explains itself. */
  grantRevenue: SignedAmount,
  result: SignedAmount,
  carriedForward: SignedAmount,
});

export const BudgetEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('AppropriationGranted'), data: AppropriationGrantedData }),
  z.strictObject({ type: z.literal('AppropriationAdjusted'), data: AppropriationAdjustedData }),
  z.strictObject({ type: z.literal('OutcomeRecorded'), data: OutcomeRecordedData }),
  z.strictObject({ type: z.literal('ForecastRecorded'), data: ForecastRecordedData }),
  z.strictObject({ type: z.literal('FiscalYearClosed'), data: FiscalYearClosedData }),
  z.strictObject({ type: z.literal('EntryReversed'), data: EntryReversedData }),
]);

export type BudgetEvent = z.output<typeof BudgetEvent>;
export type BudgetEventType = BudgetEvent['type'];
export type BudgetEventOf<T extends BudgetEventType> = Extract<BudgetEvent, { type: T }>;

export const BUDGET_EVENT_TYPES = BudgetEvent.options.map((option) => option.shape.type.value);

export interface BudgetKey {
  readonly committee: string;
  readonly fiscalYear: number;
}

export function budgetStreamName(key: BudgetKey): string {
  return `budget-${key.committee}-${key.fiscalYear}`;
}
