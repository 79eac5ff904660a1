import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AllocationReleasedData,
  FundsAllocatedData,
  FundsReturnedData,
  FundsSpentData,
  GrantAmendedData,
  GrantInstallmentReceivedData,
  GrantReceivedData,
  GrantReportSubmittedData,
  SpendingPlannedData,
} from '../../domain/grant/events.js';
import { CloseGrantData, DemandRepaymentData, refineGrantDates, ReverseEntryData, type GrantCommand } from '../../domain/grant/commands.js';
import { EntityId } from '../../domain/schema.js';
import { entityIdFor } from '../../app/ids.js';
import { HttpProblem } from '../problems.js';
import { AllocationParams, ClockQuery, GrantParams } from '../querySchemas.js';
import { READERS, route, writeCommand, WRITERS, type RouteRequest, type RouteResponse } from '../route.js';

const ReceiveGrantBody = GrantReceivedData.extend({ grantId: EntityId.optional() }).superRefine(refineGrantDates);
const AllocateBody = FundsAllocatedData.extend({ allocationId: EntityId.optional() });
const ReleaseBody = AllocationReleasedData.omit({ allocationId: true });
const PlanBody = SpendingPlannedData.omit({ allocationId: true });

type GrantRequest<Body> = RouteRequest<Body, unknown, unknown>;

/** Runs one grant command for a write route and answers with the stream's new revision. */
async function execute<Body>(
  request: GrantRequest<Body>,
  grantId: string,
  command: GrantCommand,
  answer: (revision: number) => Record<string, unknown> = (revision) => ({ revision }),
  status = 200,
): Promise<RouteResponse> {
  const outcome = await request.ledger.executeGrant(grantId, command, writeCommand(request).context);
  return { status, body: answer(outcome.revision), revision: outcome.revision };
}

/** An id the caller left out: derived from the Idempotency-Key so a repeat lands on the same one. */
function chosenOrNewId(request: RouteRequest<unknown, unknown, unknown>, given: string | undefined, kind: string): string {
  if (given !== undefined) return given;
  const key = writeCommand(request).idempotencyKey;
  return key === undefined ? randomUUID() : entityIdFor(key, kind);
}

function simpleCommand<Body extends object>(
  path: string,
  summary: string,
  body: z.ZodType<Body>,
  toCommand: (body: Body) => GrantCommand,
) {
  return route<Body, unknown, { grantId: string }>({
    method: 'post',
    path: `/api/grants/:grantId/${path}`,
    summary,
    access: WRITERS,
    writes: true,
    successStatus: 200,
    params: GrantParams,
    body,
    handle: (request) => execute(request, request.params.grantId, toCommand(request.body)),
  });
}

export const grantRoutes = [
  route({
    method: 'post',
    path: '/api/grants',
    summary: 'Register a grant received (statsbidrag)',
    access: WRITERS,
    writes: true,
    successStatus: 201,
    body: ReceiveGrantBody,
    handle: (request) => {
      const grantId = chosenOrNewId(request, request.body.grantId, 'grant');
      const data = { ...request.body, grantId };
      return execute(request, grantId, { type: 'ReceiveGrant', data }, (revision) => ({ grantId, revision }), 201);
    },
  }),
  simpleCommand('installments', 'Register a further installment of a grant', GrantInstallmentReceivedData, (data) => ({
    type: 'ReceiveInstallment',
    data,
  })),
  route<z.output<typeof AllocateBody>, unknown, { grantId: string }>({
    method: 'post',
    path: '/api/grants/:grantId/allocations',
    summary: 'Allocate earmarked funds to an activity (verksamhet)',
    access: WRITERS,
    writes: true,
    successStatus: 201,
    params: GrantParams,
    body: AllocateBody,
    handle: (request) => {
      const allocationId = chosenOrNewId(request, request.body.allocationId, 'allocation');
      return execute(
        request,
        request.params.grantId,
        { type: 'AllocateFunds', data: { ...request.body, allocationId } },
        (revision) => ({ allocationId, revision }),
        201,
      );
    },
  }),
  route<z.output<typeof ReleaseBody>, unknown, { grantId: string; allocationId: string }>({
    method: 'post',
    path: '/api/grants/:grantId/allocations/:allocationId/releases',
    summary: 'Release money of an allocation back to the grant',
    access: WRITERS,
    writes: true,
    successStatus: 200,
    params: AllocationParams,
    body: ReleaseBody,
    handle: (request) =>
      execute(request, request.params.grantId, {
        type: 'ReleaseAllocation',
        data: { ...request.body, allocationId: request.params.allocationId },
      }),
  }),
  route<z.output<typeof PlanBody>, unknown, { grantId: string; allocationId: string }>({
    method: 'post',
    path: '/api/grants/:grantId/allocations/:allocationId/plan',
    summary: 'Plan spending of an allocation for a month (förbrukningsplan); a later plan for the same month replaces the earlier',
    access: WRITERS,
    writes: true,
    successStatus: 200,
    params: AllocationParams,
    body: PlanBody,
    handle: (request) =>
      execute(request, request.params.grantId, { type: 'PlanSpending', data: { ...request.body, allocationId: request.params.allocationId } }),
  }),
  simpleCommand('spending', 'Record spending against an allocation', FundsSpentData, (data) => ({ type: 'SpendFunds', data })),
  simpleCommand('reports', 'Record a report to the grantor (återrapportering)', GrantReportSubmittedData, (data) => ({
    type: 'SubmitGrantReport',
    data,
  })),
  simpleCommand('repayment-demands', "Record the grantor's claim for repayment (återkrav)", DemandRepaymentData, (data) => ({
    type: 'DemandRepayment',
    data,
  })),
  simpleCommand('returns', 'Record money returned to the grantor', FundsReturnedData, (data) => ({ type: 'ReturnFunds', data })),
  simpleCommand('close', 'Close the grant', CloseGrantData, (data) => ({ type: 'CloseGrant', data })),
  simpleCommand(
    'amendments',
    'Correct what was recorded when the grant was received (GrantAmended): any of grantor, title, purpose, kind, committee, amount, useBy, repaymentRequired, reportDue, reference, with a reason',
    GrantAmendedData,
    (data) => ({ type: 'AmendGrant', data }),
  ),
  simpleCommand('reversals', 'Reverse an earlier entry of the grant (rättelse)', ReverseEntryData, (data) => ({
    type: 'ReverseEntry',
    data,
  })),
  route<unknown, { asOf?: string; knownAt?: string }, { grantId: string }>({
    method: 'get',
    path: '/api/grants/:grantId',
    summary: 'A grant with its figures, allocations and status, as of a date and as known at a moment',
    access: READERS,
    successStatus: 200,
    params: GrantParams,
    query: z.strictObject(ClockQuery),
    handle: ({ ledger, params, query }) => {
      const found = ledger.grant(params.grantId, query);
      if (!found) {
        const exists = ledger.grantExists(params.grantId);
        throw new HttpProblem(404, exists ? 'GRANT_NOT_IN_VIEW' : 'GRANT_NOT_FOUND', 'Grant not found',
          exists ? `grant ${params.grantId} was not yet received or known in this view` : `no grant ${params.grantId}`);
      }
      return {
        status: 200,
        body: { ...found.view, revision: found.revision, asOf: query.asOf ?? null, knownAt: query.knownAt ?? null },
        revision: found.revision,
      };
    },
  }),
  route<unknown, unknown, { grantId: string }>({
    method: 'get',
    path: '/api/grants/:grantId/events',
    summary: "The grant's events with their metadata and hashes",
    access: READERS,
    successStatus: 200,
    params: GrantParams,
    query: z.strictObject({}),
    handle: async ({ ledger, params }) => {
      const events = await ledger.grantEvents(params.grantId);
      if (!events) throw new HttpProblem(404, 'GRANT_NOT_FOUND', 'Grant not found', `no grant ${params.grantId}`);
      return {
        status: 200,
        body: {
          events: events.map((event) => ({
            eventId: event.eventId,
            type: event.type,
            revision: event.revision,
            position: event.position,
            recordedAt: event.metadata.recordedAt,
            actor: event.metadata.actor,
            data: event.data,
            hash: event.metadata.hash,
          })),
        },
        revision: events[events.length - 1]!.revision,
      };
    },
  }),
];
