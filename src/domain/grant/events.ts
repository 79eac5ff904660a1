import { z } from 'zod';
import {
  ActivityCode,
  CommitteeSlug,
  EntityId,
  IsoDate,
  NonNegativeAmount,
  PositiveAmount,
  Period,
  Text,
  Uuid,
} from '../schema.js';

/**
 * Events of a grant stream (`grant-<grantId>`), past-tense nouns.
 * Glossary: statsbidrag = state grant; riktat = earmarked; generellt = general;
 * bidragsgivare = grantor; ändamål = purpose; användas senast = use by;
 * återbetalningsskyldighet = duty to repay; återrapportering = report to the grantor;
 * återkrav = the grantor's claim for repayment.
 */
export const GrantKind = z.enum(['riktat', 'generellt'], { error: 'must be "riktat" or "generellt"' });
export type GrantKind = z.infer<typeof GrantKind>;

export const GrantReceivedData = z.strictObject({
  grantId: EntityId,
  grantor: Text(200),
  title: Text(300),
  purpose: Text(2000),
  kind: GrantKind,
  committee: CommitteeSlug,
  amount: PositiveAmount,
  receivedOn: IsoDate,
  useBy: IsoDate,
  repaymentRequired: z.boolean({ error: 'must be true or false' }),
  reportDue: IsoDate.optional(),
  reference: Text(200).optional(),
});

export const GrantInstallmentReceivedData = z.strictObject({
  amount: PositiveAmount,
  receivedOn: IsoDate,
  reference: Text(200).optional(),
});

export const FundsAllocatedData = z.strictObject({
  allocationId: EntityId,
  activity: ActivityCode,
  amount: PositiveAmount,
  allocatedOn: IsoDate,
});

export const AllocationReleasedData = z.strictObject({
  allocationId: EntityId,
  amount: PositiveAmount,
  releasedOn: IsoDate,
});

export const FundsSpentData = z.strictObject({
  allocationId: EntityId,
  amount: PositiveAmount,
  spentOn: IsoDate,
  voucher: Text(100),
});

export const GrantReportSubmittedData = z.strictObject({
  submittedOn: IsoDate,
  reference: Text(200),
  /**
   * Whether this is the final report (slutrapport), accounting for the use of the whole grant, or
   * an interim one (delrapport). A command that leaves it out records a final report, as every
   * report was before the ledger told them apart (schema version 1; see upcast/).
   */
  final: z.boolean({ error: 'must be true or false' }).default(true),
});

export const RepaymentDemandedData = z.strictObject({
  amount: PositiveAmount,
  demandedOn: IsoDate,
  dueOn: IsoDate,
  reference: Text(200),
});

export const FundsReturnedData = z.strictObject({
  amount: PositiveAmount,
  returnedOn: IsoDate,
  reference: Text(200).optional(),
});

export const GrantClosedData = z.strictObject({
  closedOn: IsoDate,
  /** Unallocated money kept as revenue when no repayment is due. */
  retained: NonNegativeAmount,
});

/** The fields of GrantReceived that GrantAmended may correct (not grantId, not receivedOn). */
export const AMENDABLE_FIELDS = [
  'grantor',
  'title',
  'purpose',
  'kind',
  'committee',
  'amount',
  'useBy',
  'repaymentRequired',
  'reportDue',
  'reference',
] as const;
export type AmendableField = (typeof AMENDABLE_FIELDS)[number];

/**
 * A spending plan (förbrukningsplan) for one allocation and month: what the ekonom expects to
 * spend then. A later plan for the same allocation and month replaces the earlier one.
 */
export const SpendingPlannedData = z.strictObject({
  allocationId: EntityId,
  month: Period,
  amount: NonNegativeAmount,
});

/**
 * A correction of what GrantReceived recorded (rättelse av mottaget bidrag): the fields given
 * replace the received ones. It corrects the receipt itself, so it counts from receivedOn in every
 * view that knows it, and views known before it show the old values.
 */
export const GrantAmendedData = z
  .strictObject({
    reason: Text(500),
    grantor: Text(200).optional(),
    title: Text(300).optional(),
    purpose: Text(2000).optional(),
    kind: GrantKind.optional(),
    committee: CommitteeSlug.optional(),
    amount: PositiveAmount.optional(),
    useBy: IsoDate.optional(),
    repaymentRequired: z.boolean({ error: 'must be true or false' }).optional(),
    reportDue: IsoDate.optional(),
    reference: Text(200).optional(),
  })
  .refine((data) => AMENDABLE_FIELDS.some((field) => data[field] !== undefined), {
    message: `name at least one field to correct: ${'grantor, title, purpose, kind, committee, amount, useBy, repaymentRequired, reportDue or reference'}`,
  });

/** Shared by both stream types: a correction (rättelse) that takes an earlier event out of every later view. */
export const EntryReversedData = z.strictObject({
  reversedEventId: Uuid,
  reason: Text(500),
});

export const GrantEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('GrantReceived'), data: GrantReceivedData }),
  z.strictObject({ type: z.literal('GrantInstallmentReceived'), data: GrantInstallmentReceivedData }),
  z.strictObject({ type: z.literal('FundsAllocated'), data: FundsAllocatedData }),
  z.strictObject({ type: z.literal('AllocationReleased'), data: AllocationReleasedData }),
  z.strictObject({ type: z.literal('FundsSpent'), data: FundsSpentData }),
  z.strictObject({ type: z.literal('GrantReportSubmitted'), data: GrantReportSubmittedData }),
  z.strictObject({ type: z.literal('RepaymentDemanded'), data: RepaymentDemandedData }),
  z.strictObject({ type: z.literal('FundsReturned'), data: FundsReturnedData }),
  z.strictObject({ type: z.literal('GrantClosed'), data: GrantClosedData }),
  z.strictObject({ type: z.literal('GrantAmended'), data: GrantAmendedData }),
  z.strictObject({ type: z.literal('SpendingPlanned'), data: SpendingPlannedData }),
  z.strictObject({ type: z.literal('EntryReversed'), data: EntryReversedData }),
]);

/** Events as the ledger writes them: already parsed, money in canonical strings. */
export type GrantEvent = z.output<typeof GrantEvent>;
export type GrantEventType = GrantEvent['type'];
export type GrantEventOf<T extends GrantEventType> = Extract<GrantEvent, { type: T }>;

export const GRANT_EVENT_TYPES = GrantEvent.options.map((option) => option.shape.type.value);

export function grantStreamName(grantId: string): string {
  return `grant-${grantId}`;
}
