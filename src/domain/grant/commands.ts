import { z } from 'zod';
import {
  AllocationReleasedData,
  FundsAllocatedData,
  FundsReturnedData,
  FundsSpentData,
  GrantAmendedData,
  SpendingPlannedData,
  GrantInstallmentReceivedData,
  GrantReceivedData,
  GrantReportSubmittedData,
  RepaymentDemandedData,
} from './events.js';
import { IsoDate, Uuid, Text } from '../schema.js';

/**
 * Commands on a grant, imperative. Each carries the data its event will hold; ids (grantId,
 * allocationId) are chosen by the caller or the application layer, never by the decider.
 */
/** The dates of a grant must follow its receipt; shared by the command and the HTTP body. */
export function refineGrantDates(data: { receivedOn: string; useBy: string; reportDue?: string | undefined }, ctx: z.RefinementCtx): void {
  if (data.useBy < data.receivedOn) {
    ctx.addIssue({ code: 'custom', path: ['useBy'], message: 'must not be before receivedOn' });
  }
  if (data.reportDue !== undefined && data.reportDue < data.receivedOn) {
    ctx.addIssue({ code: 'custom', path: ['reportDue'], message: 'must not be before receivedOn' });
  }
}

export const ReceiveGrantData = GrantReceivedData.superRefine(refineGrantDates);

export const DemandRepaymentData = RepaymentDemandedData.superRefine((data, ctx) => {
  if (data.dueOn < data.demandedOn) {
    ctx.addIssue({ code: 'custom', path: ['dueOn'], message: 'must not be before demandedOn' });
  }
});

export const CloseGrantData = z.strictObject({ closedOn: IsoDate });
export const ReverseEntryData = z.strictObject({ eventId: Uuid, reason: Text(500) });

export const GrantCommand = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ReceiveGrant'), data: ReceiveGrantData }),
  z.strictObject({ type: z.literal('ReceiveInstallment'), data: GrantInstallmentReceivedData }),
  z.strictObject({ type: z.literal('AllocateFunds'), data: FundsAllocatedData }),
  z.strictObject({ type: z.literal('ReleaseAllocation'), data: AllocationReleasedData }),
  z.strictObject({ type: z.literal('SpendFunds'), data: FundsSpentData }),
  z.strictObject({ type: z.literal('SubmitGrantReport'), data: GrantReportSubmittedData }),
  z.strictObject({ type: z.literal('DemandRepayment'), data: DemandRepaymentData }),
  z.strictObject({ type: z.literal('ReturnFunds'), data: FundsReturnedData }),
  z.strictObject({ type: z.literal('CloseGrant'), data: CloseGrantData }),
  z.strictObject({ type: z.literal('AmendGrant'), data: GrantAmendedData }),
  z.strictObject({ type: z.literal('PlanSpending'), data: SpendingPlannedData }),
  z.strictObject({ type: z.literal('ReverseEntry'), data: ReverseEntryData }),
]);

export type GrantCommand = z.output<typeof GrantCommand>;
export type GrantCommandType = GrantCommand['type'];
