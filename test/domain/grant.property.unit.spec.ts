import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { effectiveEvents, entriesOf } from '../../src/domain/history.js';
import type { GrantCommand } from '../../src/domain/grant/commands.js';
import { GrantEvent } from '../../src/domain/grant/events.js';
import { INITIAL_GRANT_STATE, asCorrected, decideGrant, evolveGrant, foldGrantFacts, type GrantState } from '../../src/domain/grant/decide.js';
import { grantBusinessDate, heldOf, remainingOf, repaymentOutstandingOf, unallocatedOf, unusedOf, type GrantFacts } from '../../src/domain/grant/state.js';
import { Decimal } from 'decimal.js';
import { ZERO, formatMoney, formatOre, oreOf, sum, type Money } from '../../src/domain/money.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { grantFactsAt } from '../../projections/grantView.js';
import { GrantPrefixIndex } from '../../projections/grantPrefix.js';
import { CHECKPOINT_EVERY, GrantFigures } from '../../projections/grantFigures.js';
import { StreamViews } from '../../projections/streamViews.js';
import { grantSummaryOf, oreOfSummary } from '../../projections/grantView.js';
import { grantRevenueByCommitteeYear, revenueKeyOf } from '../../projections/committeeResults.js';
import { visibleEvents } from '../../projections/clocks.js';
import type { Clocks, GrantStreamEvent } from '../../projections/clocks.js';

/**
 * Random command sequences on one grant, each decided against the state so far and, when
 * accepted, evolved into it. Refused commands are skipped: they must leave nothing behind.
 */
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const START = Date.UTC(2020, 0, 1);
const dateOf = (day: number) => new Date(START + day * 86_400_000).toISOString().slice(0, 10);

const day = fc.integer({ min: 0, max: 450 });
// Whole kronor with now and then an odd öre, so exact boundaries are hit as well as rounding.
const amount = fc
  .tuple(fc.integer({ min: 1, max: 600 }), fc.constantFrom(0, 0, 0, 1, 50, 99))
  .map(([kronor, ore]) => `${kronor}.${String(ore).padStart(2, '0')}`);
const allocationId = fc.constantFrom('a', 'b', 'c');

/** A command that may refer to earlier events by index; the index is resolved when the sequence runs. */
type Step = { readonly command: GrantCommand } | { readonly reverse: number };

const receive: fc.Arbitrary<Step> = fc
    .record({
      kind: fc.constantFrom('riktat' as const, 'riktat' as const, 'generellt' as const),
      repay: fc.boolean(),
      amount: fc.integer({ min: 1, max: 3000 }).map((kronor) => `${kronor}.00`),
      on: fc.integer({ min: 0, max: 30 }),
      useByAfter: fc.integer({ min: 0, max: 400 }),
    })
    .map(({ kind, repay, amount, on, useByAfter }) => ({
      command: {
        type: 'ReceiveGrant',
        data: {
          grantId: 'g-1',
          grantor: 'Tillväxtverket',
          title: 'T',
          purpose: 'P',
          kind,
          committee: 'socialnamnden',
          amount,
          receivedOn: dateOf(on),
          useBy: dateOf(on + useByAfter),
          repaymentRequired: repay,
        },
      } as GrantCommand,
    }));

const step: fc.Arbitrary<Step> = fc.oneof(
  receive,
  fc.record({ amount, on: day }).map(({ amount, on }) => ({ command: { type: 'ReceiveInstallment', data: { amount, receivedOn: dateOf(on) } } as GrantCommand })),
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'AllocateFunds', data: { allocationId, activity: 'IFO', amount, allocatedOn: dateOf(on) } } as GrantCommand })),
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'ReleaseAllocation', data: { allocationId, amount, releasedOn: dateOf(on) } } as GrantCommand })),
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'SpendFunds', data: { allocationId, amount, spentOn: dateOf(on), voucher: 'V' } } as GrantCommand })),
  fc.record({ amount, on: day }).map(({ amount, on }) => ({ command: { type: 'ReturnFunds', data: { amount, returnedOn: dateOf(on) } } as GrantCommand })),
  fc
    .record({ amount, on: day, dueAfter: fc.integer({ min: -5, max: 60 }) })
    .map(({ amount, on, dueAfter }) => ({
      command: { type: 'DemandRepayment', data: { amount, demandedOn: dateOf(on), dueOn: dateOf(on + dueAfter), reference: 'Å' } } as GrantCommand,
    })),
  day.map((on) => ({ command: { type: 'SubmitGrantReport', data: { submittedOn: dateOf(on), reference: 'R', final: true } } as GrantCommand })),
  day.map((on) => ({ command: { type: 'CloseGrant', data: { closedOn: dateOf(on) } } as GrantCommand })),
  fc.nat({ max: 1000 }).map((reverse) => ({ reverse })),
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'PlanSpending', data: { allocationId, month: dateOf(on).slice(0, 7), amount } } as GrantCommand })),
  fc
    .record({ amount: fc.option(fc.integer({ min: 1, max: 3000 }).map((kronor) => `${kronor}.00`), { nil: undefined }), useBy: fc.option(day, { nil: undefined }), kind: fc.option(fc.constantFrom('riktat' as const, 'generellt' as const), { nil: undefined }) })
    .map(({ amount, useBy, kind }) => ({
      command: {
        type: 'AmendGrant',
        data: { reason: 'Fel belopp i beslutet', ...(amount && { amount }), ...(useBy !== undefined && { useBy: dateOf(useBy) }), ...(kind && { kind }), ...(!amount && useBy === undefined && !kind && { title: 'Rättad' }) },
      } as GrantCommand,
    })),
  // Allocation and spending drive most figures, so they come up more often.
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'AllocateFunds', data: { allocationId, activity: 'IFO', amount, allocatedOn: dateOf(on) } } as GrantCommand })),
  fc
    .record({ allocationId, amount, on: day })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'SpendFunds', data: { allocationId, amount, spentOn: dateOf(on), voucher: 'V' } } as GrantCommand })),
  fc
    .record({ allocationId, amount: fc.integer({ min: 1, max: 60 }).map((kronor) => `${kronor}.00`), on: fc.integer({ min: 0, max: 200 }) })
    .map(({ allocationId, amount, on }) => ({ command: { type: 'SpendFunds', data: { allocationId, amount, spentOn: dateOf(on), voucher: 'V' } } as GrantCommand })),
);

/** A receipt first, so sequences get past GRANT_NOT_FOUND; then anything, another receipt included. */
const sequence = fc.tuple(receive, fc.array(step, { minLength: 5, maxLength: 39 }));

/** Facts in comparable form: exact decimals as strings, the allocation map as entries. */
function comparable(facts: GrantFacts) {
  return {
    ...facts,
    received: facts.received.toFixed(2),
    spent: facts.spent.toFixed(2),
    returned: facts.returned.toFixed(2),
    netAllocated: facts.netAllocated.toFixed(2),
    demanded: facts.demanded.toFixed(2),
    returns: facts.returns.map((entry) => ({ ...entry, amount: entry.amount.toFixed(2) })),
    plans: [...facts.plans.entries()].map(([key, plan]) => [key, { ...plan, amount: plan.amount.toFixed(2) }]),
    retained: facts.retained.toFixed(2),
    allocations: [...facts.allocations.entries()].map(([key, allocation]) => [
      key,
      { ...allocation, allocated: allocation.allocated.toFixed(2), released: allocation.released.toFixed(2), spent: allocation.spent.toFixed(2) },
    ]),
  };
}

function checkInvariants(facts: GrantFacts): void {
  const allocations = [...facts.allocations.values()];
  const remaining = sum(allocations.map(remainingOf));
  const unallocated = unallocatedOf(facts);
  for (const allocation of allocations) expect(remainingOf(allocation).gte(0), `remaining of ${allocation.allocationId}`).toBe(true);
  expect(unallocated.gte(0), 'unallocated ≥ 0').toBe(true);
  expect(repaymentOutstandingOf(facts).gte(0), 'repaymentOutstanding ≥ 0').toBe(true);
  // held = unallocated + Σ remaining, computed from the allocations rather than from the totals;
  // unused is what is held of earmarked money, and a general grant never has any.
  expect(formatMoney(heldOf(facts))).toBe(formatMoney(unallocated.plus(remaining)));
  expect(formatMoney(unusedOf(facts))).toBe(facts.grant?.kind === 'generellt' ? '0.00' : formatMoney(heldOf(facts)));
  // Conservation: received = spent + returned + unused + retained, the spending counted per allocation.
  const spentPerAllocation = sum(allocations.map((allocation) => allocation.spent));
  expect(formatMoney(facts.spent)).toBe(formatMoney(spentPerAllocation));
  expect(formatMoney(facts.received)).toBe(formatMoney(spentPerAllocation.plus(facts.returned).plus(unallocated).plus(remaining).plus(facts.retained)));
  expect(formatMoney(facts.netAllocated)).toBe(formatMoney(sum(allocations.map((a) => a.allocated.minus(a.released)))));
  if (facts.status !== 'closed') expect(facts.retained.eq(ZERO), 'retained only once closed').toBe(true);
  if (facts.status === 'closed') expect(formatMoney(unallocated), 'nothing unallocated once closed').toBe('0.00');
  if (facts.grant?.kind === 'generellt') expect(facts.allocations.size, 'a general grant has no allocations').toBe(0);
}

/**
 * A grant's money folded the plain way, one Decimal addition an event, as the fold did before it
 * added up in öre: the reference the öre fold (grant/state.ts, settle) is held to.
 */
function decimalMoneyOf(events: readonly GrantEvent[]) {
  let received: Money = ZERO;
  let spent: Money = ZERO;
  let returned: Money = ZERO;
  let netAllocated: Money = ZERO;
  let demanded: Money = ZERO;
  let grantAmount: string | null = null;
  const allocations = new Map<string, { allocated: Money; released: Money; spent: Money }>();
  for (const event of events) {
    switch (event.type) {
      case 'GrantReceived':
        received = received.plus(event.data.amount);
        grantAmount = event.data.amount;
        break;
      case 'GrantInstallmentReceived':
        received = received.plus(event.data.amount);
        break;
      case 'FundsAllocated':
        netAllocated = netAllocated.plus(event.data.amount);
        allocations.set(event.data.allocationId, { allocated: new Decimal(event.data.amount), released: ZERO, spent: ZERO });
        break;
      case 'AllocationReleased': {
        const allocation = allocations.get(event.data.allocationId)!;
        netAllocated = netAllocated.minus(event.data.amount);
        allocation.released = allocation.released.plus(event.data.amount);
        break;
      }
      case 'FundsSpent': {
        const allocation = allocations.get(event.data.allocationId)!;
        spent = spent.plus(event.data.amount);
        allocation.spent = allocation.spent.plus(event.data.amount);
        break;
      }
      case 'RepaymentDemanded':
        demanded = demanded.plus(event.data.amount);
        break;
      case 'FundsReturned':
        returned = returned.plus(event.data.amount);
        break;
      case 'GrantAmended':
        if (grantAmount !== null && event.data.amount !== undefined) {
          received = received.minus(grantAmount).plus(event.data.amount);
          grantAmount = event.data.amount;
        }
        break;
      default:
        break;
    }
  }
  return {
    received: formatMoney(received),
    spent: formatMoney(spent),
    returned: formatMoney(returned),
    netAllocated: formatMoney(netAllocated),
    demanded: formatMoney(demanded),
    allocations: [...allocations].map(([key, a]) => [key, formatMoney(a.allocated), formatMoney(a.released), formatMoney(a.spent)]),
  };
}

/** The money of folded facts, as decimalMoneyOf gives it. */
function moneyOfFacts(facts: GrantFacts) {
  return {
    received: formatMoney(facts.received),
    spent: formatMoney(facts.spent),
    returned: formatMoney(facts.returned),
    netAllocated: formatMoney(facts.netAllocated),
    demanded: formatMoney(facts.demanded),
    allocations: [...facts.allocations].map(([key, a]) => [key, formatMoney(a.allocated), formatMoney(a.released), formatMoney(a.spent)]),
  };
}

/** Grant revenue per committee-year with one Decimal addition an event: the reference for the öre sums of grantRevenueByCommitteeYear. */
function decimalRevenueOf(stream: readonly GrantStreamEvent[], clocks: Clocks): Map<string, string> {
  const revenue = new Map<string, Money>();
  const events = asCorrected(visibleEvents<GrantEvent>(stream, clocks, grantBusinessDate));
  const received = events[0];
  if (received?.type !== 'GrantReceived') return new Map();
  const { committee, kind, receivedOn, amount } = received.data;
  const add = (date: string, value: Money) => {
    const key = revenueKeyOf(committee, Number(date.slice(0, 4)));
    revenue.set(key, (revenue.get(key) ?? ZERO).plus(value));
  };
  for (const event of events) {
    if (kind === 'generellt') {
      if (event.type === 'GrantReceived') add(receivedOn, new Decimal(amount));
      else if (event.type === 'GrantInstallmentReceived') add(event.data.receivedOn, new Decimal(event.data.amount));
      else if (event.type === 'FundsReturned') add(event.data.returnedOn, new Decimal(event.data.amount).neg());
    } else if (event.type === 'FundsSpent') add(event.data.spentOn, new Decimal(event.data.amount));
    else if (event.type === 'GrantClosed' && !new Decimal(event.data.retained).isZero()) add(event.data.closedOn, new Decimal(event.data.retained));
  }
  return new Map([...revenue].map(([key, value]) => [key, formatMoney(value)]));
}

interface Run {
  readonly state: GrantState;
  readonly recorded: Array<RecordedEvent & GrantStreamEvent>;
  readonly accepted: number;
}

const businessDateOf = (event: RecordedEvent) => grantBusinessDate({ type: event.type, data: event.data } as GrantEvent);

function run(steps: readonly Step[]): Run {
  let state = INITIAL_GRANT_STATE;
  const recorded: Array<RecordedEvent & GrantStreamEvent> = [];
  let accepted = 0;
  for (const [index, current] of steps.entries()) {
    let command: GrantCommand;
    if ('reverse' in current) {
      // Name an earlier event when there is one, else an id that is in no stream.
      const target = recorded.length > 0 ? recorded[current.reverse % recorded.length]!.eventId : id(999_999);
      command = { type: 'ReverseEntry', data: { eventId: target, reason: 'Rättelse' } };
    } else {
      command = current.command;
    }
    let events: GrantEvent[];
    try {
      events = decideGrant(command, state);
    } catch (error) {
      if (error instanceof DomainError) continue;
      throw error;
    }
    accepted += 1;
    for (const event of events) {
      // What the decider writes is a valid event in canonical form.
      expect(GrantEvent.parse(event)).toEqual(event);
      const eventId = id(index + 1);
      state = evolveGrant(state, { eventId, event });
      recorded.push({
        ...event,
        eventId,
        streamId: 'grant-g-1',
        revision: recorded.length,
        position: recorded.length + 1,
        metadata: {
          actor: 'test',
          commandId: eventId,
          correlationId: eventId,
          // Half past each second, from ten seconds before May: a moment written without
          // milliseconds, or on a day April does not have, is on another side of some recordings
          // as text than as time (see the figures' test).
          recordedAt: new Date(Date.UTC(2021, 3, 30, 23, 59, 50 + recorded.length, 500)).toISOString(),
          prevHash: '0'.repeat(64),
          hash: '0'.repeat(64),
        },
      });
    }
    checkInvariants(state.facts);
    // Business-date consistency: every view as of a date of the stream keeps the figures whole too.
    for (const date of new Set(recorded.map((event) => businessDateOf(event)).filter((date): date is string => date !== null))) {
      checkInvariants(grantFactsAt(recorded, { asOf: date }));
    }
    expect(comparable(foldGrantFacts(effectiveEvents(entriesOf(state.history), state.reversed)))).toEqual(comparable(state.facts));
  }
  return { state, recorded, accepted };
}

describe('grant decider under random command sequences', () => {
  it('keeps the money conserved and every balance non-negative after every step', () => {
    fc.assert(
      fc.property(sequence, ([first, rest]) => {
        run([first, ...rest]);
      }),
      { numRuns: 200 },
    );
  });

  it('folds the same facts from scratch, through the projection, as it evolved step by step', () => {
    fc.assert(
      fc.property(sequence, ([first, rest]) => {
        const { state, recorded } = run([first, ...rest]);
        expect(comparable(grantFactsAt(recorded, {}))).toEqual(comparable(state.facts));
      }),
      { numRuns: 100 },
    );
  });

  it('a view from the prefix index equals a fold of the view, at every knownAt and asOf of the stream', () => {
    let fromIndex = 0;
    let views = 0;
    fc.assert(
      fc.property(sequence, fc.integer({ min: 0, max: 40 }), ([first, rest], grownAt) => {
        const { recorded } = run([first, ...rest]);
        const index = new GrantPrefixIndex();
        // The index first sees part of the stream, then the whole of it, as a growing stream does.
        const early = recorded.slice(0, Math.min(grownAt, recorded.length));
        const dates = [...new Set(recorded.map((event) => businessDateOf(event)).filter((date): date is string => date !== null))];
        const asOfs = [undefined, '2019-12-31', ...dates, ...dates.map((date) => dateOf((Date.parse(date) - START) / 86_400_000 + 1)), '2030-01-01'];
        const knownAts = [undefined, '2021-04-29T23:59:59.999Z', ...recorded.map((event) => event.metadata.recordedAt)];
        for (const stream of [early, recorded]) {
          for (const asOf of asOfs) {
            for (const knownAt of knownAts) {
              const clocks: Clocks = { ...(asOf === undefined ? {} : { asOf }), ...(knownAt === undefined ? {} : { knownAt }) };
              const fast = index.factsAt(stream, clocks);
              views += 1;
              if (fast === null) continue;
              fromIndex += 1;
              expect(comparable(fast)).toEqual(comparable(grantFactsAt(stream, clocks)));
            }
          }
        }
      }),
      { numRuns: 60 },
    );
    // Most views are prefixes: the index answers them, and the comparison above ran on them.
    expect(fromIndex).toBeGreaterThan(views / 4);
  });

  it('a view from the öre figures shows the summary and revenue of a fold of the view, at every knownAt and asOf', () => {
    let compared = 0;
    fc.assert(
      fc.property(sequence, fc.integer({ min: 0, max: 40 }), ([first, rest], grownAt) => {
        const { recorded } = run([first, ...rest]);
        // A checkpoint every event, every few, and as kept: short streams reach checkpoints too.
        const everies = [1, 2, 3, CHECKPOINT_EVERY];
        const figures = everies.map((every) => new GrantFigures(every));
        const dates = [...new Set(recorded.map((event) => businessDateOf(event)).filter((date): date is string => date !== null))];
        const asOfs = [undefined, '2019-12-31', ...dates, ...dates.map((date) => dateOf((Date.parse(date) - START) / 86_400_000 + 1)), '2030-01-01'];
        // Moments compare as the fold compares them, as text, in any form: without milliseconds
        // (as text after every moment of its second), or shaped like toISOString's but no moment it
        // writes (a search by Date.parse would take it for another moment, and fail here).
        const knownAts = [
          undefined,
          '2021-04-29T23:59:59.999Z',
          ...recorded.map((event) => event.metadata.recordedAt),
          ...recorded.slice(0, 3).map((event) => event.metadata.recordedAt.replace(/\.\d{3}Z$/, 'Z')),
          // Date.parse reads it as 2021-05-01T00:00:05.000Z; as text it is before every recording of May.
          '2021-04-31T00:00:05.000Z',
        ];
        // A stream recorded (in order) with a moment without milliseconds, as an imported log may be.
        const lastWithoutMilliseconds = recorded.map((event, index) =>
          index === recorded.length - 1 ? { ...event, metadata: { ...event.metadata, recordedAt: event.metadata.recordedAt.replace(/\.\d{3}Z$/, 'Z') } } : event,
        );
        // The figures first see part of the stream, then the whole of it, as a growing stream does;
        // fresh figures see the other recording of it.
        const others = everies.map((every) => new GrantFigures(every));
        const growing: Array<[readonly GrantStreamEvent[], GrantFigures[]]> = [
          [recorded.slice(0, Math.min(grownAt, recorded.length)), figures],
          [recorded, figures],
          [lastWithoutMilliseconds, others],
        ];
        for (const [stream, figuresOfStream] of growing) {
          for (const asOf of asOfs) {
            for (const knownAt of knownAts) {
              const clocks: Clocks = { ...(asOf === undefined ? {} : { asOf }), ...(knownAt === undefined ? {} : { knownAt }) };
              const facts = grantFactsAt(stream, clocks);
              const reference = new Map([...grantRevenueByCommitteeYear([stream], clocks)].map(([key, amount]) => [key, formatMoney(amount)]));
              for (const figuresOf of figuresOfStream) {
                for (const viewDate of ['2019-06-30', asOf ?? '2020-07-01', '2031-01-01']) {
                  const summary = figuresOf.summary(stream, clocks, viewDate);
                  expect(summary).toEqual(grantSummaryOf(facts, viewDate));
                  // The öre kept with it (what report totals add) are its amounts.
                  if (summary !== null) expect(oreOfSummary(summary)).toEqual({ received: oreOf(summary.received), spent: oreOf(summary.spent), returned: oreOf(summary.returned), unused: oreOf(summary.unused), toRepay: oreOf(summary.toRepay) });
                }
                expect(new Map([...figuresOf.revenue(stream, clocks)].map(([key, ore]) => [key, formatOre(ore)]))).toEqual(reference);
              }
              if (facts.grant !== null) compared += 1;
            }
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(compared).toBeGreaterThan(1000);
  });

  it('folds in öre to the money a Decimal an event gives, facts and revenue, in every view by asOf and knownAt', () => {
    let compared = 0;
    fc.assert(
      fc.property(sequence, ([first, rest]) => {
        const { state, recorded } = run([first, ...rest]);
        // The step-by-step facts (one event a fold) and the whole fold, both against the plain Decimal reference.
        const effective = effectiveEvents(entriesOf(state.history), state.reversed);
        expect(moneyOfFacts(state.facts)).toEqual(decimalMoneyOf(effective));
        const dates = [...new Set(recorded.map((event) => businessDateOf(event)).filter((date): date is string => date !== null))];
        const views: Clocks[] = [{}, ...dates.map((asOf) => ({ asOf })), ...recorded.map((event) => ({ knownAt: event.metadata.recordedAt }))];
        for (const clocks of views) {
          const visible = visibleEvents<GrantEvent>(recorded, clocks, grantBusinessDate);
          expect(moneyOfFacts(grantFactsAt(recorded, clocks))).toEqual(decimalMoneyOf(visible));
          const revenue = new Map([...grantRevenueByCommitteeYear([recorded], clocks)].map(([key, value]) => [key, formatMoney(value)]));
          // The same keys in the same order, and the same sums.
          expect([...revenue]).toEqual([...decimalRevenueOf(recorded, clocks)]);
          compared += 1;
        }
      }),
      { numRuns: 150 },
    );
    expect(compared).toBeGreaterThan(1000);
  });

  it('views with the same stream-view key see the same events, so what is kept under a key is theirs', () => {
    let shared = 0;
    fc.assert(
      fc.property(sequence, fc.integer({ min: 0, max: 40 }), ([first, rest], grownAt) => {
        const { recorded } = run([first, ...rest]);
        const views = new StreamViews<null>((event) => businessDateOf(event as RecordedEvent));
        const dates = [...new Set(recorded.map((event) => businessDateOf(event)).filter((date): date is string => date !== null))];
        const asOfs = [undefined, '2019-12-31', ...dates, ...dates.map((date) => dateOf((Date.parse(date) - START) / 86_400_000 + 1)), '2030-01-01'];
        const knownAts = [undefined, '2021-04-29T23:59:59.999Z', ...recorded.map((event) => event.metadata.recordedAt)];
        // The index first sees part of the stream, then the whole of it, as a growing stream does.
        for (const stream of [recorded.slice(0, Math.min(grownAt, recorded.length)), recorded]) {
          const seenByKey = new Map<string, string>();
          for (const asOf of asOfs) {
            for (const knownAt of knownAts) {
              const clocks: Clocks = { ...(asOf === undefined ? {} : { asOf }), ...(knownAt === undefined ? {} : { knownAt }) };
              const seen = visibleEvents(stream, clocks, (event: GrantEvent) => grantBusinessDate(event)).map((event) => (event as unknown as RecordedEvent).eventId).join();
              const view = views.viewOf(stream, clocks);
              if (view === null) {
                expect(seen).toBe('');
                continue;
              }
              const earlier = seenByKey.get(view.key);
              if (earlier !== undefined) {
                shared += 1;
                expect(seen).toBe(earlier);
              } else seenByKey.set(view.key, seen);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(shared).toBeGreaterThan(1000);
  });

  it('the generator reaches every kind of event, so the properties above mean something', () => {
    let longRuns = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(sequence, ([first, rest]) => {
        const { recorded, accepted } = run([first, ...rest]);
        if (accepted >= 5) longRuns += 1;
        for (const event of recorded) seen.add(event.type);
      }),
      { numRuns: 500, seed: 42 },
    );
    expect(longRuns).toBeGreaterThan(20);
    expect([...seen].sort()).toEqual([...GrantEvent.options.map((option) => option.shape.type.value)].sort());
  });
});
