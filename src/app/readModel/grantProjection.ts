import type { RecordedEvent } from '../../store/port.js';
import { grantBusinessDate, type GrantFacts } from '../../domain/grant/state.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Ore } from '../../domain/money.js';
import { grantRevenueByCommitteeYear, revenueInOre } from '../../../projections/committeeResults.js';
import type { Clocks, GrantStreamEvent } from '../../../projections/clocks.js';
import { grantFactsAt, GrantSummaries, type GrantSummary } from '../../../projections/grantView.js';
import { GrantPrefixIndex } from '../../../projections/grantPrefix.js';
import { GrantFigures } from '../../../projections/grantFigures.js';
import { ProjectionError } from './core.js';
import { coverageOf, decodedOrStop, extendBy, grantEventsFromSnapshot, unfitness, type StreamExtent } from './streams.js';
import { decodeGrantEvent } from '../../domain/storedEvent.js';



interface GrantEntry extends StreamExtent {
  /** Its events, or null while they are still the snapshot's bytes (see materialised). */
  loaded: GrantStreamEvent[] | null;
  /** The events as a snapshot holds them (a JSON array), until first asked for. */
  unread: UnreadEvents | null;
  committee: string | null;
  /** Every committee it was ever under (received, amended): the index of views known before an amendment. */
  readonly committees: string[];
  /** Allocation ids, so a spending or release on an unknown one is caught on arrival (null while unread). */
  allocationIds: Set<string> | null;
  /** Derived from the current view, dropped when the grant gets a new event. */
  current: { facts: GrantFacts; revenue?: ReadonlyMap<string, Ore>; summaries?: GrantSummaries } | null;
  /** Facts of its stream's prefixes, made at the first historical view that cuts it (kept as it grows). */
  prefix?: GrantPrefixIndex;
  /** Its events' figures in öre, made at the first historical report that cuts it (kept as it grows). */
  figures?: GrantFigures;
  /** The projection's count of events applied when this grant got its last one (0: none since the start or snapshot). */
  changedAt: number;
}

/** A grant's events still in a snapshot file: their bytes (a JSON array), read when asked for. */
export interface UnreadEvents {
  bytes(): Buffer;
  /** Called once the grant holds its events: the file may be let go once every grant has. */
  done(): void;
}

/** A grant as a snapshot writes it: its index line, and its events' JSON. */
export interface GrantSnapshotEntry {
  readonly index: GrantIndexLine;
  readonly events: Buffer;
}

/** What a snapshot says of a grant apart from its events: enough to index it and to tell a view's coverage. */
export interface GrantIndexLine extends StreamExtent {
  readonly grantId: string;
  readonly committee: string | null;
  readonly committees: readonly string[];
}

/**
 * The grant streams (grant-*): their events indexed by grant and committee, and each grant's
 * current facts. A grant restored from a snapshot keeps its events as the snapshot's bytes until
 * a view or a new event needs them: a start indexes 10 000 grants without parsing a million
 * events, and warmUp() parses them afterwards, a slice at a time.
 */
export class GrantProjection {
  private readonly grants = new Map<string, GrantEntry>();
  private readonly grantsByCommittee = new Map<string, Set<string>>();
  private unreadCount = 0;
  private applied = 0;

  static handles(streamId: string): boolean {
    return streamId.startsWith('grant-');
  }

  apply(event: RecordedEvent): void {
    const grantId = event.streamId.slice('grant-'.length);
    const existing = this.grants.get(grantId);
    const events = existing ? this.eventsOf(existing) : [];
    const projected = decodedOrStop(event, decodeGrantEvent);
    const unfit = unfitness(projected, events, existing?.allocationIds ?? new Set());
    if (unfit !== null) throw new ProjectionError(event, unfit);
    this.add(grantId, projected);
  }

  /** Adds an event already checked (on arrival, or before a snapshot was taken). */
  private add(grantId: string, projected: GrantStreamEvent): void {
    let entry = this.grants.get(grantId);
    if (!entry) {
      entry = { loaded: [], unread: null, maxBusinessDate: null, firstRecordedAt: null, lastRecordedAt: null, committee: null, committees: [], allocationIds: new Set(), current: null, changedAt: 0 };
      this.grants.set(grantId, entry);
    }
    const events = this.eventsOf(entry);
    if (projected.type === 'FundsAllocated') entry.allocationIds!.add(projected.data.allocationId);
    events.push(projected);
    entry.current = null;
    this.applied += 1;
    entry.changedAt = this.applied;
    extendBy(entry, projected, grantBusinessDate(projected));
    // A grant amended to another committee stays indexed under the first too: views known
    // before the amendment still show it there, and reports filter on each view's committee.
    const committee = projected.type === 'GrantReceived' || projected.type === 'GrantAmended' ? projected.data.committee : undefined;
    if (committee !== undefined) {
      entry.committee = committee;
      if (!entry.committees.includes(committee)) entry.committees.push(committee);
      this.index(grantId, committee);
    }
  }

  private index(grantId: string, committee: string): void {
    const ids = this.grantsByCommittee.get(committee) ?? new Set<string>();
    ids.add(grantId);
    this.grantsByCommittee.set(committee, ids);
  }

  /** A grant's events, parsed from the snapshot's bytes the first time they are needed. */
  private eventsOf(entry: GrantEntry): GrantStreamEvent[] {
    if (entry.loaded === null) {
      const unread = entry.unread!;
      const events = grantEventsFromSnapshot(unread.bytes().toString('utf8'));
      entry.allocationIds = new Set(events.flatMap((event) => (event.type === 'FundsAllocated' ? [event.data.allocationId] : [])));
      entry.loaded = events;
      unread.done();
      entry.unread = null;
      this.unreadCount -= 1;
    }
    return entry.loaded;
  }

  /** Grants whose events are still unread snapshot bytes. */
  get unread(): number {
    return this.unreadCount;
  }

  /**
   * Warms up to `count` grants: reads their events from the snapshot's bytes, folds their
   * current facts, summary and revenue and indexes their figures, so the first report after a start need not do it for ten thousand
   * grants at once. Resolves whether any grant is left cold.
   */
  warmUp(count: number, today: IsoDate): boolean {
    for (const entry of this.grants.values()) {
      // Summaries are made from current facts, which are folded from the events once read.
      if (entry.current?.summaries !== undefined) continue;
      if (count <= 0) return true;
      this.currentRowOf(entry, today);
      // Its current revenue (the committee results of every page) and its figures in öre (about
      // 75 bytes an event), so no report makes them while its caller waits.
      this.currentRevenueOf(entry);
      this.figuresOf(entry).index(this.eventsOf(entry));
      count -= 1;
    }
    return false;
  }

  /**
   * The snapshot's entries, one per grant, each made when asked for (so a writer can spread the
   * work): its index, and its events up to the position as JSON. Taken now: events applied later
   * are left out (a stream's events are appended, never changed).
   */
  snapshotLines(upTo: number): Array<() => GrantSnapshotEntry | null> {
    return [...this.grants].map(([grantId, entry]) => {
      const unread = entry.unread;
      const index: GrantIndexLine = {
        grantId,
        committee: entry.committee,
        committees: [...entry.committees],
        maxBusinessDate: entry.maxBusinessDate,
        firstRecordedAt: entry.firstRecordedAt,
        lastRecordedAt: entry.lastRecordedAt,
      };
      // Still unread: nothing was applied to it since the snapshot it came from, index and all.
      if (unread !== null) return () => ({ index, events: unread.bytes() });
      const events = entry.loaded!;
      const length = events.length;
      return () => {
        let end = length;
        while (end > 0 && events[end - 1]!.position > upTo) end -= 1;
        if (end === 0) return null;
        const written = end === length ? events : events.slice(0, end);
        // The index of what is written, should events after the position have moved it on.
        const extent = end === length ? index : GrantProjection.indexOf(grantId, written);
        return { index: extent, events: Buffer.from(JSON.stringify(written)) };
      };
    });
  }

  private static indexOf(grantId: string, events: readonly GrantStreamEvent[]): GrantIndexLine {
    const scratch = new GrantProjection();
    for (const event of events) scratch.add(grantId, event);
    const entry = scratch.grants.get(grantId)!;
    return { grantId, committee: entry.committee, committees: entry.committees, maxBusinessDate: entry.maxBusinessDate, firstRecordedAt: entry.firstRecordedAt, lastRecordedAt: entry.lastRecordedAt };
  }

  /** Restores a grant from its snapshot index, leaving its events unread. */
  restore(index: GrantIndexLine, events: UnreadEvents): void {
    const entry: GrantEntry = {
      loaded: null,
      unread: events,
      maxBusinessDate: index.maxBusinessDate,
      firstRecordedAt: index.firstRecordedAt,
      lastRecordedAt: index.lastRecordedAt,
      committee: index.committee,
      committees: [...index.committees],
      allocationIds: null,
      current: null,
      changedAt: 0,
    };
    this.grants.set(index.grantId, entry);
    this.unreadCount += 1;
    for (const committee of entry.committees) this.index(index.grantId, committee);
  }

  stream(grantId: string): readonly GrantStreamEvent[] | undefined {
    const entry = this.grants.get(grantId);
    return entry ? this.eventsOf(entry) : undefined;
  }

  streams(): IterableIterator<readonly GrantStreamEvent[]> {
    return [...this.grants.values()].map((entry) => this.eventsOf(entry))[Symbol.iterator]();
  }

  ids(): IterableIterator<string> {
    return this.grants.keys();
  }

  /** The grants of one committee (nämnd), as received. */
  idsOfCommittee(committee: string): Iterable<string> {
    return this.grantsByCommittee.get(committee) ?? [];
  }

  /** The committee a grant belongs to now (as received, or as amended), without folding it. */
  committeeOf(grantId: string): string | undefined {
    return this.grants.get(grantId)?.committee ?? undefined;
  }

  /** The grant's facts as they stand now (no asOf, no knownAt), kept until it changes. */
  currentFacts(grantId: string): GrantFacts | undefined {
    const entry = this.grants.get(grantId);
    return entry && this.currentOf(entry).facts;
  }

  private currentOf(entry: GrantEntry): NonNullable<GrantEntry['current']> {
    return (entry.current ??= { facts: grantFactsAt(this.eventsOf(entry), {}) });
  }

  /** The grant's facts in a view; null when the view does not see it at all. */
  facts(grantId: string, clocks: Clocks): GrantFacts | null {
    const entry = this.grants.get(grantId);
    if (!entry) return null;
    switch (coverageOf(entry, clocks)) {
      case 'all':
        return this.currentFacts(grantId)!;
      case 'none':
        return null;
      case 'some':
        return this.foldedFacts(entry, clocks);
    }
  }

  private foldedFacts(entry: GrantEntry, clocks: Clocks): GrantFacts {
    const events = this.eventsOf(entry);
    return (entry.prefix ??= new GrantPrefixIndex()).factsAt(events, clocks) ?? grantFactsAt(events, clocks);
  }

  /** The grant's summary (its row in the lists and the unused-grants report) in the current view. */
  currentRow(grantId: string, viewDate: IsoDate): GrantSummary | null {
    const entry = this.grants.get(grantId);
    return entry ? this.currentRowOf(entry, viewDate) : null;
  }

  private currentRowOf(entry: GrantEntry, viewDate: IsoDate): GrantSummary | null {
    const current = this.currentOf(entry);
    return (current.summaries ??= new GrantSummaries(() => current.facts)).of(viewDate);
  }

  /** Every grant's summary in a view judged on viewDate, in the order grants were first received. */
  summaries(clocks: Clocks, viewDate: IsoDate): GrantSummary[] {
    return this.summaryWalk(clocks, viewDate).toEnd();
  }

  /** summaries(), one grant a step (see GrantWalk). */
  summaryWalk(clocks: Clocks, viewDate: IsoDate): GrantWalk<GrantSummary> {
    return new GrantWalk(this.grants.values(), (entry) => this.summaryOf(entry, clocks, viewDate), () => this.applied);
  }

  /** Every grant's revenue per committee-year in a view, those the view sees. */
  revenues(clocks: Clocks): Array<ReadonlyMap<string, Ore>> {
    return this.revenueWalk(clocks).toEnd();
  }

  /** revenues(), one grant a step (see GrantWalk). */
  revenueWalk(clocks: Clocks): GrantWalk<ReadonlyMap<string, Ore>> {
    return new GrantWalk(this.grants.values(), (entry) => this.revenueOf(entry, clocks), () => this.applied);
  }

  private summaryOf(entry: GrantEntry, clocks: Clocks, viewDate: IsoDate): GrantSummary | null {
    switch (coverageOf(entry, clocks)) {
      case 'all':
        return this.currentRowOf(entry, viewDate);
      case 'none':
        return null;
      case 'some':
        return this.figuresOf(entry).summary(this.eventsOf(entry), clocks, viewDate);
    }
  }

  /** The grant's revenue per committee-year in a view (see grantRevenueByCommitteeYear). */
  revenue(grantId: string, clocks: Clocks): ReadonlyMap<string, Ore> {
    const entry = this.grants.get(grantId);
    return (entry && this.revenueOf(entry, clocks)) ?? NO_REVENUE;
  }

  /** Its revenue in a view; null when the view does not see it. */
  private revenueOf(entry: GrantEntry, clocks: Clocks): ReadonlyMap<string, Ore> | null {
    switch (coverageOf(entry, clocks)) {
      case 'all':
        return this.currentRevenueOf(entry);
      case 'none':
        return null;
      case 'some':
        return this.figuresOf(entry).revenue(this.eventsOf(entry), clocks);
    }
  }

  private currentRevenueOf(entry: GrantEntry): ReadonlyMap<string, Ore> {
    return (this.currentOf(entry).revenue ??= revenueInOre(grantRevenueByCommitteeYear([this.eventsOf(entry)], {})));
  }

  private figuresOf(entry: GrantEntry): GrantFigures {
    return (entry.figures ??= new GrantFigures());
  }
}

const NO_REVENUE: ReadonlyMap<string, Ore> = new Map();

/**
 * A visit of every grant in the order first received, one step at a time, so that its caller
 * can give the event loop back between steps (see LedgerQueries.ready). Events may arrive
 * meanwhile: finish() visits again the grants that got one, so what it returns is the view as of
 * the last event applied, the same as an unbroken visit would give. Grants received meanwhile
 * are reached too, as a Map's iterator reaches entries added while it runs; finish() must follow
 * the step that returned false with no turn of the event loop between them.
 */
export class GrantWalk<T> {
  private readonly entries: GrantEntry[] = [];
  private readonly values: Array<T | null> = [];
  private readonly started: number;

  constructor(
    private readonly remaining: Iterator<GrantEntry>,
    private readonly visit: (entry: GrantEntry) => T | null,
    private readonly changes: () => number,
  ) {
    this.started = changes();
  }

  /** Visits the next grant; false once every grant was visited. */
  step(): boolean {
    const next = this.remaining.next();
    if (next.done === true) return false;
    this.entries.push(next.value);
    this.values.push(this.visit(next.value));
    return true;
  }

  /** What the visit found, those the view sees, with the grants changed since the first step visited again. */
  finish(): T[] {
    const changed = this.changes() !== this.started;
    const found: T[] = [];
    for (let i = 0; i < this.entries.length; i += 1) {
      const entry = this.entries[i]!;
      const value = changed && entry.changedAt > this.started ? this.visit(entry) : this.values[i]!;
      if (value !== null) found.push(value);
    }
    return found;
  }

  /** Every step at once, then finish(). */
  toEnd(): T[] {
    while (this.step());
    return this.finish();
  }
}
