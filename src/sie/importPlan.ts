import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { formatMoney, type Money } from '../domain/money.js';
import { ZERO } from '../domain/money.js';
import { grantStreamName, type GrantEvent } from '../domain/grant/events.js';
import { budgetStreamName, type BudgetEvent } from '../domain/budget/events.js';
import { remainingOf } from '../domain/grant/state.js';
import { GrantCommand } from '../domain/grant/commands.js';
import { decideGrant } from '../domain/grant/decide.js';
import { decideBudget } from '../domain/budget/decide.js';
import { NO_CLOSED_YEARS, type CommitteeYears } from '../domain/periods.js';
import { yearOf } from '../domain/dates.js';
import { BudgetCommand } from '../domain/budget/commands.js';
import { budgetDecider, grantDecider } from '../app/deciders.js';
import type { Decider } from '../app/commandHandler.js';
import { entityIdFor, eventIdFor } from '../app/ids.js';
import type { EventStore, NewEvent, RecordedEvent } from '../store/port.js';
import { AccountClassifier, type SieMapping } from './mapping.js';
import type { SieHeader, SieProblem, SieUnknownLabel, SieVerification } from './parser.js';
import { SieReader, type SieReadOptions, type SieSource } from './reader.js';
import { importRecordStreamName, SIE_IMPORT_EVENT, takenKeysOf, verificationKey, verificationsImportedData } from './importRecord.js';
import { currentSchemaVersion } from '../domain/storedEvent.js';

/**
 * Deciding a SIE import, before anything is written: every transaction of the file, in file order,
 * judged by the same pure deciders the commands use, on in-memory states of the grants and budgets
 * it touches (read from the store once). The outcome is a plan: the events each stream would get,
 * or every refusal. Nothing here writes.
 */

/** Lists in an answer are cut here; their counts are always whole. */
export const LIST_LIMIT = 1000;
/** Transactions named per refused outcome sum (the rest are counted). */
const LINES_PER_SUM = 50;

export interface TransactionRef {
  /** Series and number, e.g. "A 12". */
  readonly verification: string;
  readonly line: number;
}

export interface Refusal extends TransactionRef {
  /** The domain rule (DomainError.rule) or the import's own rule that refused it. */
  readonly rule: string;
  readonly message: string;
}

export interface Unmatched extends TransactionRef {
  readonly account: string;
  readonly amount: string;
  readonly reason: string;
}

export interface PlannedSpending extends TransactionRef {
  readonly grantId: string;
  readonly allocationId: string;
  readonly activity: string;
  readonly amount: string;
  readonly spentOn: string;
  readonly voucher: string;
}

export interface PlannedOutcome {
  readonly committee: string;
  readonly fiscalYear: number;
  readonly period: string;
  readonly activity: string;
  readonly costs: string;
  readonly revenues: string;
  readonly transactions: number;
}

export interface ImportCounts {
  verificationsRead: number;
  taken: number;
  alreadyImported: number;
  spendingEntries: number;
  outcomeEntries: number;
  unmatched: number;
  refused: number;
  /** Transactions on ignored accounts, grant revenues (the ledger books those itself) and zero amounts. */
  ignored: number;
}

export interface PlannedAppend {
  readonly streamId: string;
  readonly expectedRevision: number | 'no_stream';
  readonly events: NewEvent[];
}

export interface ImportPlan {
  readonly file: {
    readonly orgnr: string | null;
    readonly fiscalYear: { start: string; end: string } | null;
    readonly program: string | null;
    readonly companyName: string | null;
  };
  readonly counts: ImportCounts;
  readonly problems: readonly SieProblem[];
  readonly unknownLabels: readonly SieUnknownLabel[];
  readonly refused: Refusal[];
  readonly unmatched: Unmatched[];
  readonly spending: PlannedSpending[];
  readonly outcomes: PlannedOutcome[];
  /** Appends in a fixed order: grants, budgets, then the record of imported verifications. */
  readonly appends: PlannedAppend[];
}

interface StreamState<State> {
  readonly streamId: string;
  state: State;
  readonly revision: number | null;
  /** Event ids already in the stream, so a partly stored earlier attempt is not decided twice. */
  readonly eventIds: ReadonlySet<string>;
  readonly events: NewEvent[];
  nextIndex: number;
}

async function loadStream<Command, Event, State>(store: EventStore, streamId: string, decider: Decider<Command, Event, State>): Promise<StreamState<State>> {
  let state = decider.initialState;
  let revision: number | null = null;
  const eventIds = new Set<string>();
  for await (const event of store.readStream(streamId)) {
    state = decider.evolve(state, { eventId: event.eventId, event: decider.toDomainEvent(event) });
    revision = event.revision;
    eventIds.add(event.eventId);
  }
  return { streamId, state, revision, eventIds, events: [], nextIndex: 0 };
}

interface PendingSpend {
  readonly grant: StreamState<typeof grantDecider.initialState>;
  readonly grantId: string;
  readonly activity: string;
  readonly ref: TransactionRef;
  readonly amount: Money;
  readonly spentOn: string;
  readonly voucher: string;
  readonly commandId: string;
  readonly eventId: string;
  readonly sequence: number;
}

interface OutcomeSum {
  readonly committee: string;
  readonly fiscalYear: number;
  readonly period: string;
  readonly activity: string;
  costs: Money;
  revenues: Money;
  transactions: number;
  readonly lines: TransactionRef[];
}

/** Control characters out, length bounded: the voucher is free text of the ledger. */
function voucherOf(verification: SieVerification): string {
  const text = `${verification.series} ${verification.number}`.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return text.slice(0, 100);
}

function labelOf(verification: SieVerification): string {
  return `${verification.series} ${verification.number}`.trim();
}

export interface PlanOptions extends SieReadOptions {
  readonly actor: string;
  /** The token that imports (its id), or "cli": written into every event's metadata, under its hash. */
  readonly tokenId: string;
  /** The committees' years for budgets the file does not touch (the read model); NO_CLOSED_YEARS when absent. */
  readonly years?: CommitteeYears;
}

/** Decides a whole file against the store's current state. */
export async function planImport(store: EventStore, source: SieSource, mapping: SieMapping, options: PlanOptions): Promise<ImportPlan> {
  return new ImportPlanner(store, mapping, options).plan(source);
}

class ImportPlanner {
  private readonly classifier: AccountClassifier;
  private readonly grants = new Map<string, StreamState<typeof grantDecider.initialState>>();
  private readonly budgets = new Map<string, StreamState<typeof budgetDecider.initialState>>();
  private readonly sums = new Map<string, OutcomeSum>();
  private readonly counts: ImportCounts = { verificationsRead: 0, taken: 0, alreadyImported: 0, spendingEntries: 0, outcomeEntries: 0, unmatched: 0, refused: 0, ignored: 0 };
  private readonly refused: Refusal[] = [];
  private readonly unmatched: Unmatched[] = [];
  private readonly spending: PlannedSpending[] = [];
  private readonly pendingSpends: PendingSpend[] = [];
  private readonly problems: SieProblem[] = [];
  /** Verifications already imported by earlier files, and those this file takes (series + number). */
  private taken: Set<string> | null = null;
  private readonly takenNow = new Map<string, number>();
  private readonly newKeys: Array<{ series: string; number: string }> = [];
  private readonly digest = createHash('sha256');
  private record: { streamId: string; revision: number | null; orgnr: string; start: string; end: string } | null = null;

  constructor(private readonly store: EventStore, private readonly mapping: SieMapping, private readonly options: PlanOptions) {
    this.classifier = new AccountClassifier(mapping.accounts);
  }

  async plan(source: SieSource): Promise<ImportPlan> {
    const reader = new SieReader(source, this.options);
    for await (const verification of reader.verifications()) {
      if (this.taken === null && !(await this.start(reader.header, verification.line))) continue;
      await this.verification(verification);
    }
    const read = reader.result();
    this.counts.verificationsRead = read.verificationsRead;
    const problems = [...read.problems, ...this.problems].sort((a, b) => a.line - b.line);
    let outcomes: PlannedOutcome[] = [];
    if (this.problems.length === 0 && read.problems.length === 0) {
      this.decideSpends();
      await this.loadBudgets();
      outcomes = this.decideOutcomes();
      this.refused.sort((a, b) => a.line - b.line);
    }
    const appends = this.appends();
    return {
      file: {
        orgnr: read.header.orgnr,
        fiscalYear: this.record ? { start: this.record.start, end: this.record.end } : null,
        program: read.header.program ? `${read.header.program.name} ${read.header.program.version ?? ''}`.trim() : null,
        companyName: read.header.companyName,
      },
      counts: this.counts,
      problems,
      unknownLabels: read.unknownLabels,
      refused: this.refused,
      unmatched: this.unmatched,
      spending: this.spending,
      outcomes,
      appends,
    };
  }

  /** The first verification: the file must have said whose books and which year they are. */
  private async start(header: SieHeader, line: number): Promise<boolean> {
    const year = header.fiscalYears.find((candidate) => candidate.index === 0);
    if (header.orgnr === null || year === undefined) {
      if (this.problems.length === 0) {
        this.problems.push({ line, reason: `verifications need ${header.orgnr === null ? '#ORGNR' : '#RAR 0'} before them: a verification is imported once per organisation number and fiscal year` });
      }
      return false;
    }
    const streamId = importRecordStreamName(header.orgnr, year.start);
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readStream(streamId)) events.push(event);
    this.taken = takenKeysOf(events);
    this.record = { streamId, revision: events.length === 0 ? null : events[events.length - 1]!.revision, orgnr: header.orgnr, start: year.start, end: year.end };
    return true;
  }

  private async verification(verification: SieVerification): Promise<void> {
    const key = verificationKey(verification.series, verification.number);
    if (this.taken!.has(key)) {
      this.counts.alreadyImported += 1;
      return;
    }
    const earlierLine = this.takenNow.get(key);
    if (earlierLine !== undefined) {
      this.problems.push({ line: verification.line, reason: `the verification ${labelOf(verification)} is in the file twice (first on line ${earlierLine})` });
      return;
    }
    this.takenNow.set(key, verification.line);
    this.newKeys.push({ series: verification.series, number: verification.number });
    this.digest.update(`${key}\n`);
    this.counts.taken += 1;
    for (const [index, transaction] of verification.transactions.entries()) {
      await this.transaction(verification, index, transaction);
    }
  }

  private noteUnmatched(verification: SieVerification, transaction: SieVerification['transactions'][number], reason: string): void {
    this.counts.unmatched += 1;
    if (this.unmatched.length < LIST_LIMIT) {
      this.unmatched.push({ verification: labelOf(verification), line: transaction.line, account: transaction.account, amount: formatMoney(transaction.amount), reason });
    }
  }

  private noteRefused(refusal: Refusal): void {
    this.counts.refused += 1;
    if (this.refused.length < LIST_LIMIT) this.refused.push(refusal);
  }

  private objectOf(transaction: SieVerification['transactions'][number], dimension: string): string | null {
    return transaction.objects.find((ref) => ref.dimension === dimension)?.object ?? null;
  }

  private async transaction(verification: SieVerification, index: number, transaction: SieVerification['transactions'][number]): Promise<void> {
    const accountClass = this.classifier.classify(transaction.account);
    if (accountClass === null) return this.noteUnmatched(verification, transaction, `account ${transaction.account} is in none of the mapping's account lists`);
    if (accountClass === 'ignore' || transaction.amount.isZero()) {
      this.counts.ignored += 1;
      return;
    }
    const date = transaction.date ?? verification.date;
    const grantObject = this.objectOf(transaction, this.mapping.grant.dimension);
    const activityObject = this.objectOf(transaction, this.mapping.activity.dimension);
    const activity = activityObject === null ? null : this.mapping.activity.objects ? (this.mapping.activity.objects[activityObject] ?? null) : activityObject;
    const committeeObject = this.objectOf(transaction, this.mapping.committee.dimension);
    let committee = committeeObject === null ? null : (this.mapping.committee.objects[committeeObject] ?? null);

    if (grantObject !== null) {
      const grantId = this.mapping.grant.objects[grantObject];
      if (grantId === undefined) {
        return this.noteUnmatched(verification, transaction, `grant object ${grantObject} of dimension ${this.mapping.grant.dimension} is not in the mapping`);
      }
      if (accountClass === 'revenues') {
        // The ledger recognises a grant's revenue itself, as its costs occur.
        this.counts.ignored += 1;
        return;
      }
      if (activity === null) return this.noteUnmatched(verification, transaction, this.activityProblem(activityObject));
      const grant = await this.grantState(grantId);
      const grantCommittee = grant.state.facts.grant?.committee;
      // The period lock asks whether the grant's committee has closed the spending's year.
      if (grantCommittee !== undefined) await this.budgetState(grantCommittee, yearOf(date));
      committee ??= grantCommittee ?? null;
      if (!this.spend(grant, grantId, activity, verification, index, transaction, date)) return;
      // An unknown grant has no committee to fall back on; its spending is refused, and the file with it.
      if (committee === null) return;
    } else if (committee === null || activity === null) {
      const reason =
        committee === null
          ? committeeObject === null
            ? `no object of the committee dimension ${this.mapping.committee.dimension}`
            : `committee object ${committeeObject} of dimension ${this.mapping.committee.dimension} is not in the mapping`
          : this.activityProblem(activityObject);
      return this.noteUnmatched(verification, transaction, reason);
    }
    if (committee === null) return this.noteUnmatched(verification, transaction, `no object of the committee dimension ${this.mapping.committee.dimension}`);
    this.addToOutcome(committee, activity!, date, accountClass, transaction.amount, { verification: labelOf(verification), line: transaction.line });
  }

  private activityProblem(activityObject: string | null): string {
    if (activityObject === null) return `no object of the activity dimension ${this.mapping.activity.dimension}`;
    return this.mapping.activity.objects
      ? `activity object ${activityObject} of dimension ${this.mapping.activity.dimension} is not in the mapping`
      : `activity object ${activityObject} is not an activity code such as IFO (map it under activity.objects)`;
  }

  private async grantState(grantId: string) {
    let grant = this.grants.get(grantId);
    if (!grant) {
      grant = await loadStream(this.store, grantStreamName(grantId), grantDecider);
      this.grants.set(grantId, grant);
    }
    return grant;
  }

  /**
   * Queues one FundsSpent; false when refused outright (a credit). Spending is decided after the
   * file is read, per grant in business-date order (file order within a day): the domain's rules
   * are defined on that timeline, and judging a year of entries in date order spares the decider a
   * replay of the whole grant for every back-dated one.
   */
  private spend(
    grant: StreamState<typeof grantDecider.initialState>,
    grantId: string,
    activity: string,
    verification: SieVerification,
    index: number,
    transaction: SieVerification['transactions'][number],
    spentOn: string,
  ): boolean {
    const ref = { verification: labelOf(verification), line: transaction.line };
    if (transaction.amount.isNeg()) {
      this.noteRefused({
        ...ref,
        rule: 'GRANT_COST_CREDIT',
        message: `a credit of ${formatMoney(transaction.amount.neg())} on grant ${grantId}'s costs cannot be spending; reverse the spending it corrects in the ledger`,
      });
      return false;
    }
    const commandId = verificationCommandId(this.record!.orgnr, this.record!.start, verification);
    const eventId = eventIdFor(commandId, index);
    if (grant.eventIds.has(eventId)) return true; // stored by an earlier, interrupted attempt of this very import
    this.pendingSpends.push({ grant, grantId, activity, ref, amount: transaction.amount, spentOn, voucher: voucherOf(verification), commandId, eventId, sequence: this.pendingSpends.length });
    return true;
  }

  private decideSpends(): void {
    const ordered = [...this.pendingSpends].sort((a, b) => (a.spentOn < b.spentOn ? -1 : a.spentOn > b.spentOn ? 1 : a.sequence - b.sequence));
    for (const pending of ordered) this.decideSpend(pending);
    this.spending.sort((a, b) => a.line - b.line);
  }

  private decideSpend(pending: PendingSpend): void {
    const { grant, grantId, activity, ref, amount, spentOn, voucher, commandId, eventId } = pending;
    const candidates = [...grant.state.facts.allocations.values()].filter((allocation) => allocation.activity === activity);
    const allocation = candidates.find((candidate) => remainingOf(candidate).gte(amount)) ?? candidates[0];
    const parsed = GrantCommand.safeParse({
      type: 'SpendFunds',
      data: { allocationId: allocation?.allocationId ?? 'none', amount: formatMoney(amount), spentOn, voucher },
    });
    if (!parsed.success) {
      this.noteRefused({ ...ref, rule: 'INVALID_ENTRY', message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
      return;
    }
    let events: GrantEvent[];
    try {
      events = decideGrant(parsed.data, grant.state, this.years);
      if (allocation === undefined) throw new DomainError('ALLOCATION_NOT_FOUND', `grant ${grantId} has no allocation for activity ${activity}`, 'allocationId');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const message = error.rule === 'ALLOCATION_NOT_FOUND' ? `grant ${grantId} has no allocation for activity ${activity}` : error.message;
      this.noteRefused({ ...ref, rule: error.rule, message });
      return;
    }
    for (const event of events) {
      grant.state = grantDecider.evolve(grant.state, { eventId, event });
      grant.events.push({ eventId, type: event.type, data: event.data, metadata: this.metadata(commandId, event.type) });
    }
    this.counts.spendingEntries += events.length;
    this.spending.push({ ...ref, grantId, allocationId: allocation!.allocationId, activity, amount: formatMoney(amount), spentOn, voucher });
  }

  private metadata(commandId: string, type: string) {
    return { actor: this.options.actor, tokenId: this.options.tokenId, commandId, correlationId: this.correlationId(), schemaVersion: currentSchemaVersion(type) };
  }

  private correlationId(): string {
    return entityIdFor(`sie:${this.record!.orgnr}:${this.record!.start}`, 'sie-import');
  }

  private addToOutcome(committee: string, activity: string, date: string, accountClass: 'costs' | 'revenues', amount: Money, ref: TransactionRef): void {
    const period = date.slice(0, 7);
    const key = `${committee}|${period}|${activity}`;
    let sum = this.sums.get(key);
    if (!sum) {
      sum = { committee, fiscalYear: Number(date.slice(0, 4)), period, activity, costs: ZERO, revenues: ZERO, transactions: 0, lines: [] };
      this.sums.set(key, sum);
    }
    // Costs are debits (positive in SIE), revenues credits (negative).
    if (accountClass === 'costs') sum.costs = sum.costs.plus(amount);
    else sum.revenues = sum.revenues.minus(amount);
    sum.transactions += 1;
    if (sum.lines.length < LINES_PER_SUM) sum.lines.push(ref);
  }

  private refuseSum(sum: OutcomeSum, rule: string, message: string): void {
    for (const ref of sum.lines) this.noteRefused({ ...ref, rule, message });
    // The rest of a large sum is counted, not named.
    this.counts.refused += sum.transactions - sum.lines.length;
  }

  /** One OutcomeRecorded per committee, activity and month, decided on each budget's state. */
  private decideOutcomes(): PlannedOutcome[] {
    const outcomes: PlannedOutcome[] = [];
    const sums = [...this.sums.values()].sort((a, b) => a.committee.localeCompare(b.committee) || a.period.localeCompare(b.period) || a.activity.localeCompare(b.activity));
    return sums.length === 0 ? outcomes : this.decideSums(sums, outcomes);
  }

  private decideSums(sums: OutcomeSum[], outcomes: PlannedOutcome[]): PlannedOutcome[] {
    for (const sum of sums) {
      if (sum.costs.isNeg() || sum.revenues.isNeg()) {
        const side = sum.costs.isNeg() ? `costs ${formatMoney(sum.costs)}` : `revenues ${formatMoney(sum.revenues)}`;
        this.refuseSum(sum, 'OUTCOME_NET_NEGATIVE', `${sum.committee} ${sum.activity} ${sum.period}: the file's ${side} net below zero, which an outcome cannot record; correct the earlier outcome in the ledger`);
        continue;
      }
      if (sum.costs.isZero() && sum.revenues.isZero()) continue;
      const budget = this.budgets.get(budgetStreamName({ committee: sum.committee, fiscalYear: sum.fiscalYear }));
      if (!budget) throw new Error(`invariant violated: budget ${sum.committee} ${sum.fiscalYear} was not loaded`);
      const commandId = entityIdFor(`${this.planDigest()}/${budget.streamId}`, 'sie-outcomes');
      const eventId = eventIdFor(commandId, budget.nextIndex);
      budget.nextIndex += 1;
      const planned: PlannedOutcome = {
        committee: sum.committee,
        fiscalYear: sum.fiscalYear,
        period: sum.period,
        activity: sum.activity,
        costs: formatMoney(sum.costs),
        revenues: formatMoney(sum.revenues),
        transactions: sum.transactions,
      };
      if (budget.eventIds.has(eventId)) {
        outcomes.push(planned);
        continue;
      }
      const parsed = BudgetCommand.safeParse({
        type: 'RecordOutcome',
        budget: { committee: sum.committee, fiscalYear: sum.fiscalYear },
        data: { period: sum.period, activity: sum.activity, costs: planned.costs, revenues: planned.revenues },
      });
      if (!parsed.success) {
        this.refuseSum(sum, 'INVALID_ENTRY', parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
        continue;
      }
      let events: BudgetEvent[];
      try {
        events = decideBudget(parsed.data, budget.state, this.years);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        this.refuseSum(sum, error.rule, error.message);
        continue;
      }
      for (const event of events) {
        budget.state = budgetDecider.evolve(budget.state, { eventId, event });
        budget.events.push({ eventId, type: event.type, data: event.data, metadata: this.metadata(commandId, event.type) });
      }
      this.counts.outcomeEntries += events.length;
      outcomes.push(planned);
    }
    return outcomes;
  }

  /** Which verifications this import takes, as one digest: the seed of its outcome and record ids. */
  private planDigest(): string {
    return this.digestValue ??= this.digest.digest('hex');
  }

  private digestValue: string | undefined;

  /** Budgets are loaded before deciding, so decideOutcomes stays synchronous. */
  async loadBudgets(): Promise<void> {
    for (const sum of this.sums.values()) await this.budgetState(sum.committee, sum.fiscalYear);
  }

  private async budgetState(committee: string, fiscalYear: number) {
    const streamId = budgetStreamName({ committee, fiscalYear });
    let budget = this.budgets.get(streamId);
    if (!budget) {
      budget = await loadStream(this.store, streamId, budgetDecider);
      this.budgets.set(streamId, budget);
    }
    return budget;
  }

  /** The committees' years as the grant decider's period lock asks for them, from the budgets read for this file. */
  private readonly years: CommitteeYears = {
    yearStatus: (committee, fiscalYear) => {
      const budget = this.budgets.get(budgetStreamName({ committee, fiscalYear }));
      if (!budget) return (this.options.years ?? NO_CLOSED_YEARS).yearStatus(committee, fiscalYear);
      return !budget.state.facts.exists ? 'none' : budget.state.facts.closing !== null ? 'closed' : 'open';
    },
  };

  private appends(): PlannedAppend[] {
    if (this.counts.taken === 0 || this.record === null) return [];
    const appends: PlannedAppend[] = [];
    for (const stream of [...this.grants.values(), ...this.budgets.values()]) {
      if (stream.events.length > 0) appends.push({ streamId: stream.streamId, expectedRevision: stream.revision ?? 'no_stream', events: stream.events });
    }
    const commandId = entityIdFor(`${this.planDigest()}/${this.record.streamId}`, 'sie-record');
    appends.push({
      streamId: this.record.streamId,
      expectedRevision: this.record.revision ?? 'no_stream',
      events: [
        {
          eventId: eventIdFor(commandId, 0),
          type: SIE_IMPORT_EVENT,
          data: verificationsImportedData(this.record, this.newKeys, this.counts),
          metadata: this.metadata(commandId, SIE_IMPORT_EVENT),
        },
      ],
    });
    return appends;
  }
}

/** The command id of one verification: the seed of its spending events' ids. */
export function verificationCommandId(orgnr: string, fiscalYearStart: string, verification: { series: string; number: string }): string {
  return `sie:${orgnr}:${fiscalYearStart}:${verification.series}:${verification.number}`;
}

