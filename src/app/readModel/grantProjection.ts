import type { RecordedEvent } from '../../store/port.js';
import type { GrantEvent } from '../../domain/grant/events.js';
import { grantBusinessDate, type GrantFacts } from '../../domain/grant/state.js';
import type { IsoDate } from '../../domain/dates.js';
import type { Money } from '../../domain/money.js';
import { unusedGrantRowOf, type ReportableGrant } from '../../../projections/unusedGrants.js';
import { grantRevenueByCommitteeYear } from '../../../projections/committeeResults.js';
import type { Clocks, ProjectedEvent } from '../../../projections/clocks.js';
import { grantFactsAt } from '../../../projections/grantView.js';
import { ProjectionError } from './core.js';
import { coverageOf, decodedOrStop, noteBusinessDate, unfitness, type StreamEntry } from './streams.js';
import { decodeGrantEvent } from '../../domain/storedEvent.js';


/** A stored grant event as the domain types it (its shape was checked on arrival). */
const asGrantEvent = (event: ProjectedEvent): GrantEvent => event as unknown as GrantEvent;

interface GrantEntry extends StreamEntry {
  committee: string | null;
  /** Allocation ids, so a spending or release on an unknown one is caught on arrival. */
  readonly allocationIds: Set<string>;
  /** Derived from the current view, dropped when the grant gets a new event. */
  current: { facts: GrantFacts; revenue?: ReadonlyMap<string, Money>; row?: { viewDate: IsoDate; row: ReportableGrant | null } } | null;
}

/** What a snapshot keeps of the grant projection: each stream's compacted events, in order. */
export interface GrantProjectionSnapshot {
  readonly streams: ReadonlyArray<readonly [grantId: string, events: readonly ProjectedEvent[]]>;
}

/** The grant streams (grant-*): their events indexed by grant and committee, and each grant's current facts. */
export class GrantProjection {
  private readonly grants = new Map<string, GrantEntry>();
  private readonly grantsByCommittee = new Map<string, Set<string>>();

  static handles(streamId: string): boolean {
    return streamId.startsWith('grant-');
  }

  apply(event: RecordedEvent): void {
    const grantId = event.streamId.slice('grant-'.length);
    const existing = this.grants.get(grantId);
    const projected = decodedOrStop(event, decodeGrantEvent);
    const unfit = unfitness(projected, existing?.events ?? [], existing?.allocationIds ?? new Set());
    if (unfit !== null) throw new ProjectionError(event, unfit);
    this.add(grantId, projected);
  }

  /** Adds an event already checked (on arrival, or before a snapshot was taken). */
  private add(grantId: string, projected: ProjectedEvent): void {
    let entry = this.grants.get(grantId);
    if (!entry) {
      entry = { events: [], maxBusinessDate: null, committee: null, allocationIds: new Set(), current: null };
      this.grants.set(grantId, entry);
    }
    if (projected.type === 'FundsAllocated') entry.allocationIds.add((projected.data as { allocationId: string }).allocationId);
    entry.events.push(projected);
    entry.current = null;
    noteBusinessDate(entry, grantBusinessDate(asGrantEvent(projected)));
    // A grant amended to another committee stays indexed under the first too: views known
    // before the amendment still show it there, and reports filter on each view's committee.
    const committee = (projected.data as { committee?: string }).committee;
    if ((projected.type === 'GrantReceived' || projected.type === 'GrantAmended') && committee !== undefined) {
      entry.committee = committee;
      const ids = this.grantsByCommittee.get(committee) ?? new Set<string>();
      ids.add(grantId);
      this.grantsByCommittee.set(committee, ids);
    }
  }

  snapshot(): GrantProjectionSnapshot {
    return { streams: [...this.grants].map(([grantId, entry]) => [grantId, entry.events] as const) };
  }

  restore(snapshot: GrantProjectionSnapshot): void {
    for (const [grantId, events] of snapshot.streams) for (const event of events) this.add(grantId, event);
  }

  stream(grantId: string): readonly ProjectedEvent[] | undefined {
    return this.grants.get(grantId)?.events;
  }

  streams(): IterableIterator<readonly ProjectedEvent[]> {
    return [...this.grants.values()].map((entry) => entry.events)[Symbol.iterator]();
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
    if (!entry) return undefined;
    entry.current ??= { facts: grantFactsAt(entry.events, {}) };
    return entry.current.facts;
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
        return grantFactsAt(entry.events, clocks);
    }
  }

  /** The grant's row of the unused-grants report in the current view, kept for the day. */
  currentRow(grantId: string, viewDate: IsoDate): ReportableGrant | null {
    const facts = this.currentFacts(grantId);
    const entry = this.grants.get(grantId);
    if (!facts || !entry?.current) return null;
    if (entry.current.row?.viewDate !== viewDate) entry.current.row = { viewDate, row: unusedGrantRowOf(facts, viewDate) };
    return entry.current.row.row;
  }

  /** The grant's revenue per committee-year in a view (see grantRevenueByCommitteeYear). */
  revenue(grantId: string, clocks: Clocks): ReadonlyMap<string, Money> {
    const entry = this.grants.get(grantId);
    if (!entry) return new Map();
    switch (coverageOf(entry, clocks)) {
      case 'all':
        this.currentFacts(grantId);
        return (entry.current!.revenue ??= grantRevenueByCommitteeYear([entry.events], {}));
      case 'none':
        return new Map();
      case 'some':
        return grantRevenueByCommitteeYear([entry.events], clocks);
    }
  }
}
