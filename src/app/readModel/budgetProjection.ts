import type { RecordedEvent } from '../../store/port.js';
import { budgetStreamName, type BudgetKey } from '../../domain/budget/events.js';
import { budgetBusinessDate, type BudgetFacts } from '../../domain/budget/state.js';
import { budgetFactsAt, type BudgetInView, type BudgetStream } from '../../../projections/committeeResults.js';
import type { Clocks, BudgetStreamEvent } from '../../../projections/clocks.js';
import { ProjectionError } from './core.js';
import { cutOf, StreamViews } from '../../../projections/streamViews.js';
import type { IsoDate } from '../../domain/dates.js';
import { coverageOf, decodedOrStop, extendBy, unfitness, type StreamExtent } from './streams.js';
import { decodeBudgetEvent } from '../../domain/storedEvent.js';

const BUDGET_STREAM = /^budget-([a-z0-9-]{2,64})-(\d{4})$/;


interface BudgetEntry extends StreamExtent {
  readonly key: BudgetKey;
  readonly events: BudgetStreamEvent[];
  current: BudgetFacts | null;
  /** Facts of historical views that cut the stream, by the events they see (kept as it grows). */
  views?: StreamViews<BudgetFacts, BudgetStreamEvent>;
}

const budgetDateOf = (event: BudgetStreamEvent): IsoDate | null => budgetBusinessDate(event);

/** The budget streams (budget-<committee>-<year>): their events by committee, and each year's current facts. */
export class BudgetProjection {
  private readonly budgets = new Map<string, BudgetEntry>();
  private readonly budgetsByCommittee = new Map<string, BudgetEntry[]>();

  static handles(streamId: string): boolean {
    return streamId.startsWith('budget-');
  }

  apply(event: RecordedEvent): void {
    if (!BUDGET_STREAM.test(event.streamId)) throw new ProjectionError(event, 'not a budget stream name');
    const projected = decodedOrStop(event, decodeBudgetEvent);
    const unfit = unfitness(projected, this.budgets.get(event.streamId)?.events ?? [], undefined);
    if (unfit !== null) throw new ProjectionError(event, unfit);
    this.add(event.streamId, projected);
  }

  private add(streamId: string, projected: BudgetStreamEvent): void {
    let entry = this.budgets.get(streamId);
    if (!entry) {
      const match = BUDGET_STREAM.exec(streamId)!;
      entry = { key: { committee: match[1]!, fiscalYear: Number(match[2]) }, events: [], maxBusinessDate: null, firstRecordedAt: null, lastRecordedAt: null, current: null };
      this.budgets.set(streamId, entry);
      const ofCommittee = this.budgetsByCommittee.get(entry.key.committee) ?? [];
      ofCommittee.push(entry);
      this.budgetsByCommittee.set(entry.key.committee, ofCommittee);
    }
    entry.events.push(projected);
    entry.current = null;
    extendBy(entry, projected, budgetBusinessDate(projected));
  }

  /**
   * The snapshot's lines, one per stream, each made when asked for (so a writer can spread the
   * work): the stream's events up to the position, as JSON. Taken now: events applied later are
   * left out (a stream's events are appended, never changed).
   */
  snapshotLines(upTo: number): Array<() => string | null> {
    return [...this.budgets].map(([streamId, entry]) => {
      const events = entry.events;
      const length = events.length;
      return () => {
        let end = length;
        while (end > 0 && events[end - 1]!.position > upTo) end -= 1;
        return end === 0 ? null : `${streamId}\t${JSON.stringify(events.slice(0, end))}`;
      };
    });
  }

  /** Restores a stream from its snapshot line. */
  restoreLine(line: string): void {
    const tab = line.indexOf('\t');
    const streamId = line.slice(0, tab);
    for (const event of JSON.parse(line.slice(tab + 1)) as BudgetStreamEvent[]) this.add(streamId, event);
  }

  stream(streamId: string): BudgetStream | undefined {
    return this.budgets.get(streamId);
  }

  streams(): IterableIterator<BudgetStream> {
    return this.budgets.values();
  }

  /** The committees with a budget stream. */
  committees(): IterableIterator<string> {
    return this.budgetsByCommittee.keys();
  }

  /** Every budget's facts in a view, the current ones kept until the budget changes. */
  inView(clocks: Clocks, committee?: string): BudgetInView[] {
    const budgets: BudgetInView[] = [];
    const entries = committee === undefined ? this.budgets.values() : (this.budgetsByCommittee.get(committee) ?? []);
    for (const entry of entries) {
      const coverage = coverageOf(entry, clocks);
      if (coverage === 'none') continue;
      const facts = coverage === 'all' ? (entry.current ??= budgetFactsAt(entry.events, {})) : BudgetProjection.factsInView(entry, clocks);
      if (facts !== null) budgets.push({ key: entry.key, facts });
    }
    return budgets;
  }

  /** The facts of a view that cuts the stream, kept under the key of the events it sees (see StreamViews). */
  private static factsInView(entry: BudgetEntry, clocks: Clocks): BudgetFacts | null {
    const views = (entry.views ??= new StreamViews(budgetDateOf));
    const view = views.viewOf(entry.events, clocks);
    if (view === null) return null;
    return views.valueAt(view.key, () => {
      const cut = cutOf(entry.events, view);
      return budgetFactsAt(cut.events, cut.clocks);
    });
  }

  /** Whether a committee's year has a budget, and whether it is closed, as the log stands now. */
  yearStatus(committee: string, fiscalYear: number): 'none' | 'open' | 'closed' {
    const entry = this.budgets.get(budgetStreamName({ committee, fiscalYear }));
    if (!entry) return 'none';
    entry.current ??= budgetFactsAt(entry.events, {});
    return entry.current.closing === null ? 'open' : 'closed';
  }
}
