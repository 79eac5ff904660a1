import { yearOf, type IsoDate } from '../src/domain/dates.js';
import { formatOre, oreOf, type Ore } from '../src/domain/money.js';
import type { GrantEvent, GrantEventOf } from '../src/domain/grant/events.js';
import { amendedReceipt, grantBusinessDate } from '../src/domain/grant/state.js';
import type { Clocks, GrantStreamEvent } from './clocks.js';
import { withOre, type GrantSummary, type GrantViewStatus } from './grantView.js';
import { revenueKeyOf } from './committeeResults.js';
import { addDistinct, upperBound } from './streamViews.js';

type Receipt = GrantEventOf<'GrantReceived'>['data'];

/** A grant's figures in one view, as sums of öre: the summary and the revenue are made from these. */
interface Sums {
  receipt: Receipt | null;
  amendments: Array<GrantEventOf<'GrantAmended'>['data']>;
  installments: Ore;
  spent: Ore;
  returned: Ore;
  netAllocated: Ore;
  demanded: Ore;
  firstDemandOn: IsoDate | null;
  closed: boolean;
  retained: Ore;
  /** How many of the stream's events the view knows. */
  known: number;
  /** Per year of business date, what makes revenue: for a riktat and for a generellt grant, as its kind may be amended. */
  years: Map<number, YearSums> | null;
}

/** What a view holds of a grant in one year that makes revenue, whichever its (corrected) kind. */
interface YearSums {
  spent: Ore;
  retained: Ore;
  installments: Ore;
  returned: Ore;
  /** How many spendings, and closings that keep money, fall in the year: a riktat grant has revenue then. */
  riktat: number;
  /** How many installments and returns fall in the year: a generellt grant has revenue then. */
  generellt: number;
}

/** The events whose amounts only add up (or are taken back by a reversal): kept as running totals. */
type Additive = 'GrantInstallmentReceived' | 'FundsAllocated' | 'AllocationReleased' | 'FundsSpent' | 'FundsReturned';

function isAdditive(type: GrantEvent['type']): type is Additive {
  return type === 'GrantInstallmentReceived' || type === 'FundsAllocated' || type === 'AllocationReleased' || type === 'FundsSpent' || type === 'FundsReturned';
}

/** The events that do not add up and that a view reads one by one (they are few). */
function isOther(type: GrantEvent['type']): boolean {
  return type === 'GrantReceived' || type === 'GrantAmended' || type === 'RepaymentDemanded' || type === 'GrantClosed';
}

/** What the first checkpoint·CHECKPOINT_EVERY events of a stream hold, reversals among them applied. */
interface Checkpoint {
  /** The latest business date among them ('' when none). */
  readonly latestDate: string;
  readonly installments: Ore;
  readonly spent: Ore;
  readonly returned: Ore;
  readonly netAllocated: Ore;
  /** Their revenue figures per year of business date (never changed once kept). */
  readonly years: ReadonlyMap<number, Readonly<YearSums>>;
}

/** A checkpoint every so many events: a view visits at most this many before its tail. */
export const CHECKPOINT_EVERY = 8;

const EMPTY: Checkpoint = { latestDate: '', installments: 0n, spent: 0n, returned: 0n, netAllocated: 0n, years: new Map() };

/**
 * A grant's summary and revenue per committee-year in any historical view (asOf, knownAt),
 * from its events' amounts kept as whole öre, without folding Decimals or allocation maps.
 *
 * A view holds the events recorded by knownAt (a prefix of the stream, found by binary search)
 * that are dated on or before asOf. The additive figures (installments, spendings, returns,
 * allocations and releases) are kept as running totals at a checkpoint every CHECKPOINT_EVERY
 * events, a reversal taking its target back where the reversal stands, with the latest business
 * date before each. So the latest checkpoint within the known events whose events are all dated
 * on or before asOf is one more binary search, and its totals are read, not added up. Only the
 * known events after it are visited one by one: fewer than CHECKPOINT_EVERY, and the "tail"
 * (known, but after an event dated past asOf), plus the few events that do not simply add up
 * (the receipt, amendments, demands, closings). A view that cuts a thousand grants visits their
 * tails, not their histories. What is kept is about 75 bytes an event, so every grant's figures
 * are made in the background after a start (warmUp), not by the first report that needs them.
 *
 * It says what the reference fold (foldGrantFacts and grantSummaryOf, grantRevenueByCommitteeYear)
 * says, in the same terms: the property test in test/domain/grant.property.unit.spec.ts checks the
 * two against each other on random histories, reversals and amendments included.
 */
export class GrantFigures {
  /** @param every how many events between checkpoints (tests use small ones, to reach them in short streams) */
  constructor(private readonly every: number = CHECKPOINT_EVERY) {}

  /** Each event's amount in öre (0 for those without one; retained for a closing). */
  private ore = new BigInt64Array(0);
  /** Each event's business date (null for those without one), so a view need not work it out again. */
  private readonly dates: Array<IsoDate | null> = [];
  /** The stream's distinct business dates, ascending: any asOf between two of them cuts the same events. */
  private readonly distinctDates: IsoDate[] = [];
  /** The last view's key and what was made for it: neighbouring views (the next day, another page of the same date) mostly see the same events. */
  private lastSummary: { readonly key: ViewKey; readonly beforeUseBy: boolean; readonly summary: GrantSummary | null } | null = null;
  private lastRevenue: { readonly key: ViewKey; readonly revenue: ReadonlyMap<string, Ore> } | null = null;
  /** checkpoints[c]: what the first c·every events hold. */
  private readonly checkpoints: Checkpoint[] = [];
  /** What the events indexed so far hold: the next checkpoint, as it is being made. */
  private running: { latestDate: string; installments: Ore; spent: Ore; returned: Ore; netAllocated: Ore; years: Map<number, Readonly<YearSums>> } = { ...EMPTY, years: new Map() };
  /** The events that do not add up: the receipt, amendments, demands and closings, in stream order. */
  private readonly others: number[] = [];
  /** For a reversed event, the index of its first reversal; for a reversal, that of its target (null: none yet). */
  private firstReversalOf: Map<number, number> | null = null;
  private targetOf: Map<number, number> | null = null;

  /** Indexes the events the stream gained since the last call (a stream only grows). */
  index(stream: readonly GrantStreamEvent[]): void {
    // One business date is kept per event indexed: their count is how far the stream is indexed.
    for (let index = this.dates.length; index < stream.length; index += 1) {
      if (index % this.every === 0) {
        // A checkpoint's year figures are frozen: whoever adds to them later (the running totals,
        // a view) copies them first (yearIn).
        for (const of of this.running.years.values()) Object.freeze(of);
        this.checkpoints.push({ ...this.running, years: this.yearsToKeep() });
      }
      const event: GrantEvent = stream[index]!;
      if (index >= this.ore.length) {
        // Sized for the whole stream when it is first indexed; doubled as it grows after that.
        const grown = new BigInt64Array(Math.max(stream.length, this.ore.length * 2));
        grown.set(this.ore);
        this.ore = grown;
      }
      const ore = oreOfEvent(event);
      this.ore[index] = ore;
      const date = grantBusinessDate(event);
      this.dates.push(date);
      if (date !== null) addDistinct(this.distinctDates, date);
      if (date !== null && date > this.running.latestDate) this.running.latestDate = date;
      if (isAdditive(event.type)) addTo(this.running, event.type, date, ore);
      else if (event.type === 'EntryReversed') {
        const target = this.indexOfEvent(stream, event.data.reversedEventId, index);
        if (target !== undefined) {
          (this.targetOf ??= new Map()).set(index, target);
          this.firstReversalOf ??= new Map();
          if (!this.firstReversalOf.has(target)) {
            this.firstReversalOf.set(target, index);
            // Where the reversal stands, its target's figures are taken back (a reversal of a reversal takes nothing).
            const reversed: GrantEvent = stream[target]!;
            if (isAdditive(reversed.type)) addTo(this.running, reversed.type, this.dates[target]!, -this.ore[target]!);
          }
        }
      } else if (isOther(event.type)) this.others.push(index);
    }
  }

  /** The running year figures as a checkpoint keeps them: the last checkpoint's, while none changed (most events make no revenue). */
  private yearsToKeep(): ReadonlyMap<number, Readonly<YearSums>> {
    const years = this.running.years;
    const last = this.checkpoints.at(-1)?.years;
    if (last !== undefined && last.size === years.size && [...years].every(([year, of]) => last.get(year) === of)) return last;
    return new Map(years);
  }

  /** The index of the event with this id before `before` (reversals are rare: a search is enough). */
  private indexOfEvent(stream: readonly GrantStreamEvent[], eventId: string, before: number): number | undefined {
    for (let index = before - 1; index >= 0; index -= 1) if (stream[index]!.eventId === eventId) return index;
    return undefined;
  }

  /**
   * What the view sees of the stream, as a key: how many events it knows, and the latest of the
   * stream's own dates on or before asOf ('*' when asOf cuts none). Views with equal keys see the
   * same events, so what was made for one serves the other. (Two fields rather than one string:
   * ten thousand grants a report, so no string is built to compare.)
   */
  private keyOf(stream: readonly GrantStreamEvent[], clocks: Clocks): ViewKey {
    this.index(stream);
    const knownAt = clocks.knownAt;
    // recordedAt never decreases along a stream: the known events are a prefix.
    const known = knownAt === undefined ? stream.length : countWhile(stream.length, (index) => stream[index]!.metadata.recordedAt <= knownAt);
    const asOf = clocks.asOf;
    const dates = this.distinctDates;
    if (asOf === undefined || dates.length === 0 || asOf >= dates[dates.length - 1]!) return { known, date: '*' };
    const below = upperBound(dates, asOf);
    return { known, date: below === 0 ? '' : dates[below - 1]! };
  }

  /**
   * The view's sums, from a stream indexed by keyOf and the number of events it knows.
   * @param byYear whether to add up what makes revenue per year (the revenue needs it, the summary does not)
   */
  private sumsOf(stream: readonly GrantStreamEvent[], key: ViewKey, asOf: IsoDate | undefined, byYear: boolean): Sums {
    let known = key.known;
    // Every grant stream starts with its receipt: dated after asOf, the view holds no grant at
    // all, whatever else it knows (a view of a past date skips every later grant at once).
    if (known > 0 && asOf !== undefined && this.dates[0]! > asOf) known = 0;
    // The latest checkpoint within the known events whose events are all dated on or before
    // asOf: the view holds them all, less what the reversals among them took back, which its
    // totals have done already.
    const checkpoints = this.checkpoints;
    const within = Math.max(0, Math.min(Math.floor(known / this.every), checkpoints.length - 1));
    const at = asOf === undefined || known === 0 ? within : countWhile(within + 1, (index) => checkpoints[index]!.latestDate <= asOf) - 1;
    // (An empty stream has no checkpoint yet.)
    const from = checkpoints[at] ?? EMPTY;
    const sums: Sums = {
      receipt: null,
      amendments: [],
      installments: from.installments,
      spent: from.spent,
      returned: from.returned,
      netAllocated: from.netAllocated,
      demanded: 0n,
      firstDemandOn: null,
      closed: false,
      retained: 0n,
      known,
      years: null,
    };
    if (byYear) {
      sums.years = new Map(from.years);
    }
    // The known events after the checkpoint, each judged on its own.
    const start = at * this.every;
    for (let index = start; index < known; index += 1) {
      const event: GrantEvent = stream[index]!;
      if (event.type === 'EntryReversed') {
        // A reversal of an event before the checkpoint takes it back; one of an event after it
        // leaves it out below (as a reversed event).
        const target = this.targetOf?.get(index);
        if (target === undefined || target >= start || this.firstReversalOf!.get(target) !== index) continue;
        const reversed: GrantEvent = stream[target]!;
        if (isAdditive(reversed.type)) addTo(sums, reversed.type, this.dates[target]!, -this.ore[target]!);
      } else if (isAdditive(event.type) && this.inView(index, known, asOf)) addTo(sums, event.type, this.dates[index]!, this.ore[index]!);
    }
    // The events that do not add up, in stream order (an amendment corrects the receipt before it).
    for (const index of this.others) {
      if (index >= known) break;
      const event: GrantEvent = stream[index]!;
      if (!this.inView(index, known, asOf)) continue;
      const ore = this.ore[index]!;
      switch (event.type) {
        case 'GrantReceived':
          sums.receipt = event.data;
          break;
        case 'RepaymentDemanded':
          sums.demanded += ore;
          if (sums.firstDemandOn === null || event.data.demandedOn < sums.firstDemandOn) sums.firstDemandOn = event.data.demandedOn;
          break;
        case 'GrantClosed':
          sums.closed = true;
          sums.retained = ore;
          if (sums.years !== null && ore !== 0n) {
            const of = yearIn(sums.years, yearOf(event.data.closedOn));
            of.retained += ore;
            of.riktat += 1;
          }
          break;
        case 'GrantAmended':
          // An amendment corrects a receipt the view holds; before it, there is nothing to correct.
          if (sums.receipt !== null) sums.amendments.push(event.data);
          break;
        default:
          break;
      }
    }
    return sums;
  }

  /** Whether a known event is in the view: not reversed by a reversal it knows, and dated on or before asOf. */
  private inView(index: number, known: number, asOf: IsoDate | undefined): boolean {
    if (this.firstReversalOf !== null) {
      const reversedAt = this.firstReversalOf.get(index);
      if (reversedAt !== undefined && reversedAt < known) return false;
    }
    if (asOf === undefined) return true;
    const date = this.dates[index];
    return date === null || date! <= asOf;
  }

  /** What is still to be repaid of the demands in the view: the returns from the first demand on settle it. */
  private outstandingOf(stream: readonly GrantStreamEvent[], sums: Sums, asOf: IsoDate | undefined): Ore {
    if (sums.firstDemandOn === null) return 0n;
    let outstanding = sums.demanded;
    for (let index = 0; index < sums.known; index += 1) {
      const event: GrantEvent = stream[index]!;
      if (event.type !== 'FundsReturned' || !this.inView(index, sums.known, asOf)) continue;
      if (event.data.returnedOn >= sums.firstDemandOn) outstanding -= this.ore[index]!;
    }
    return outstanding < 0n ? 0n : outstanding;
  }

  /** The (corrected) receipt's amount: kept in öre already (the stream's first event), unless an amendment corrected it. */
  private receiptOre(sums: Sums, grant: Receipt): Ore {
    return sums.amendments.length === 0 ? this.ore[0]! : oreOf(grant.amount);
  }

  /** The grant's summary in the view, judged on viewDate; null when the view does not hold its receipt. */
  summary(stream: readonly GrantStreamEvent[], clocks: Clocks, viewDate: IsoDate): GrantSummary | null {
    const key = this.keyOf(stream, clocks);
    const last = this.lastSummary;
    // The summary depends on viewDate only through whether it is before the grant's useBy.
    if (last !== null && sameKey(last.key, key) && (last.summary === null || last.beforeUseBy === viewDate < last.summary.useBy)) return last.summary;
    const summary = this.summaryIn(stream, key, clocks.asOf, viewDate);
    this.lastSummary = { key, beforeUseBy: summary !== null && viewDate < summary.useBy, summary };
    return summary;
  }

  private summaryIn(stream: readonly GrantStreamEvent[], key: ViewKey, asOf: IsoDate | undefined, viewDate: IsoDate): GrantSummary | null {
    const sums = this.sumsOf(stream, key, asOf, false);
    const grant = correctedReceipt(sums);
    if (grant === null) return null;
    const received = this.receiptOre(sums, grant) + sums.installments;
    const held = received - sums.spent - sums.returned - sums.retained;
    const unused = grant.kind === 'generellt' ? 0n : held;
    const outstanding = this.outstandingOf(stream, sums, asOf);
    const beforeUseBy = viewDate < grant.useBy;
    const status: GrantViewStatus = sums.closed ? 'closed' : grant.kind !== 'riktat' || beforeUseBy ? 'open' : unused > 0n ? 'expired' : 'settled';
    const toRepay = !grant.repaymentRequired || beforeUseBy ? 0n : unused;
    const summary: GrantSummary = {
      grantId: grant.grantId,
      grantor: grant.grantor,
      title: grant.title,
      committee: grant.committee,
      kind: grant.kind,
      received: formatOre(received),
      spent: formatOre(sums.spent),
      returned: formatOre(sums.returned),
      unused: formatOre(unused),
      unallocated: formatOre(received - sums.netAllocated - sums.returned - sums.retained),
      allocatedRemaining: formatOre(sums.netAllocated - sums.spent),
      useBy: grant.useBy,
      reportDue: grant.reportDue ?? null,
      status,
      repaymentRequired: grant.repaymentRequired,
      repaymentOutstanding: formatOre(outstanding),
      toRepay: formatOre(toRepay),
    };
    return withOre(summary, { received, spent: sums.spent, returned: sums.returned, unused, toRepay });
  }

  /** The grant's revenue per committee-year in the view, in öre (the rules of grantRevenueByCommitteeYear). */
  revenue(stream: readonly GrantStreamEvent[], clocks: Clocks): ReadonlyMap<string, Ore> {
    const key = this.keyOf(stream, clocks);
    if (this.lastRevenue !== null && sameKey(this.lastRevenue.key, key)) return this.lastRevenue.revenue;
    const revenue = this.revenueIn(stream, key, clocks.asOf);
    this.lastRevenue = { key, revenue };
    return revenue;
  }

  private revenueIn(stream: readonly GrantStreamEvent[], key: ViewKey, asOf: IsoDate | undefined): ReadonlyMap<string, Ore> {
    const sums = this.sumsOf(stream, key, asOf, true);
    const grant = correctedReceipt(sums);
    const revenue = new Map<string, Ore>();
    if (grant === null) return revenue;
    const add = (year: number, ore: Ore) => {
      const key = revenueKeyOf(grant.committee, year);
      revenue.set(key, (revenue.get(key) ?? 0n) + ore);
    };
    if (grant.kind === 'generellt') {
      // A general grant is revenue when received, less what is returned, each in its own year.
      add(yearOf(grant.receivedOn), this.receiptOre(sums, grant));
      for (const [year, of] of sums.years!) if (of.generellt > 0) add(year, of.installments - of.returned);
    } else {
      // Earmarked money becomes revenue as it is used, and what is kept at closing then.
      for (const [year, of] of sums.years!) if (of.riktat > 0) add(year, of.spent + of.retained);
    }
    return revenue;
  }
}

/** The receipt in the view, corrected by the amendments in the view (in stream order); null when it has none. */
function correctedReceipt(sums: Sums): Receipt | null {
  if (sums.receipt === null) return null;
  return sums.amendments.reduce((receipt, amendment) => amendedReceipt(receipt, amendment), sums.receipt);
}

/** Adds an additive event's amount (negative: takes it back) to totals, and to its year's revenue figures when they are kept. */
function addTo(
  sums: { installments: Ore; spent: Ore; returned: Ore; netAllocated: Ore; years: Map<number, Readonly<YearSums>> | null },
  type: Additive,
  date: IsoDate | null,
  ore: Ore,
): void {
  // Taking back an event takes back its count too: a year has revenue while a visible event makes it.
  const count = ore < 0n ? -1 : 1;
  switch (type) {
    case 'FundsAllocated':
      sums.netAllocated += ore;
      return;
    case 'AllocationReleased':
      sums.netAllocated -= ore;
      return;
    case 'GrantInstallmentReceived':
      sums.installments += ore;
      if (sums.years !== null) {
        const of = yearIn(sums.years, yearOf(date!));
        of.installments += ore;
        of.generellt += count;
      }
      return;
    case 'FundsReturned':
      sums.returned += ore;
      if (sums.years !== null) {
        const of = yearIn(sums.years, yearOf(date!));
        of.returned += ore;
        of.generellt += count;
      }
      return;
    case 'FundsSpent':
      sums.spent += ore;
      if (sums.years !== null) {
        const of = yearIn(sums.years, yearOf(date!));
        of.spent += ore;
        of.riktat += count;
      }
      return;
  }
}

/** A year's revenue figures to change: a checkpoint's are never changed, so they are copied first. */
function yearIn(years: Map<number, Readonly<YearSums>>, year: number): YearSums {
  const of = years.get(year);
  if (of !== undefined && !Object.isFrozen(of)) return of;
  const copy: YearSums = of === undefined ? { spent: 0n, retained: 0n, installments: 0n, returned: 0n, riktat: 0, generellt: 0 } : { ...of };
  years.set(year, copy);
  return copy;
}

/** What a view sees of a stream: its first `known` events, less those dated after `date` ('*': none are). */
interface ViewKey {
  readonly known: number;
  readonly date: string;
}

function sameKey(a: ViewKey, b: ViewKey): boolean {
  return a.known === b.known && a.date === b.date;
}

/** How many of 0..length-1 pass `at`, which holds for a prefix of them (binary search). */
function countWhile(length: number, at: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (at(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function oreOfEvent(event: GrantEvent): Ore {
  switch (event.type) {
    case 'GrantReceived':
    case 'GrantInstallmentReceived':
    case 'FundsAllocated':
    case 'AllocationReleased':
    case 'FundsSpent':
    case 'RepaymentDemanded':
    case 'FundsReturned':
      return oreOf(event.data.amount);
    case 'GrantClosed':
      return oreOf(event.data.retained);
    default:
      return 0n;
  }
}
