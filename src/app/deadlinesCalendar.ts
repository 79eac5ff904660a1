import ical from 'ical-generator';
import type { ReadSide } from './ledger/readSide.js';
import { swedishKronor } from './swedish.js';
import type { GrantEvent } from '../domain/grant/events.js';
import { grantBusinessDate, unusedOf } from '../domain/grant/state.js';
import { asCorrected, foldGrantFacts } from '../domain/grant/decide.js';
import { visibleEvents, type GrantStreamEvent } from '../../projections/clocks.js';
import { Yielder, type Pauses } from './yielder.js';

/** An all-day date as a Date at noon UTC, so no time zone moves it to another day. */
const allDay = (date: string) => new Date(`${date}T12:00:00.000Z`);

/** One event of the feed, as made from a grant's stream. */
interface Deadline {
  readonly id: string;
  readonly stamp: Date;
  readonly start: Date;
  readonly summary: string;
  readonly description: string;
}

/**
 * Every deadline of the grants as an iCalendar feed (RFC 5545) for calendars and cron: useBy of
 * each grant not yet closed, reportDue, and the dueOn of each repayment demand. UIDs derive from
 * the grant, so a calendar that polls the feed updates its events instead of adding new ones.
 * Every grant's events are folded: one grant a step, and the feed written one event a step,
 * giving the event loop back whenever the slice is used up, so a calendar polling ten thousand
 * grants holds up no one else (events arriving meanwhile are in the feed, see GrantWalk).
 */
export async function deadlinesCalendar(ledger: ReadSide, filter: { readonly committee?: string } = {}, pauses: Pauses = new Yielder()): Promise<string> {
  ledger.readModel.assertRunning();
  const walk = ledger.readModel.grantStreamWalk((grantId, stream) => deadlinesOf(grantId, stream, filter), filter.committee);
  while (walk.step()) if (pauses.due()) await pauses.pause();
  const calendar = ical({ name: 'Statsbidrag: datum att hålla', prodId: { company: 'grantledger', product: 'deadlines', language: 'SV' } });
  for (const deadlines of walk.finish()) {
    for (const deadline of deadlines) calendar.createEvent({ ...deadline, allDay: true });
    if (pauses.due()) await pauses.pause();
  }
  return calendar.toString();
}

/** A grant's deadlines, or null when it has none to show (no grant, or under another committee now). */
function deadlinesOf(grantId: string, stream: readonly GrantStreamEvent[], filter: { readonly committee?: string }): Deadline[] | null {
  const events = asCorrected(visibleEvents<GrantEvent>(stream, {}, grantBusinessDate));
  const facts = foldGrantFacts(events);
  const grant = facts.grant;
  if (grant === null || (filter.committee !== undefined && grant.committee !== filter.committee)) return null;
  const deadlines: Deadline[] = [];
  const stamp = new Date(stream[stream.length - 1]!.metadata.recordedAt);
  const name = `${grant.title} (${grant.grantor})`;
  if (grant.kind === 'riktat' && facts.status !== 'closed') {
    deadlines.push({
      id: `${grantId}-use-by@grantledger`, stamp, start: allDay(grant.useBy),
      summary: `Användas senast: ${name}`,
      description: `${grant.committee}: ${swedishKronor(unusedOf(facts).toFixed(2))} outnyttjat${grant.repaymentRequired ? ', återbetalningsskyldighet' : ''}.`,
    });
  }
  if (grant.reportDue !== undefined) {
    deadlines.push({
      id: `${grantId}-report-due@grantledger`, stamp, start: allDay(grant.reportDue),
      summary: `Återrapportering: ${name}`,
      description: `${grant.committee}: ${facts.reports.length} rapport(er) inlämnade.`,
    });
  }
  const reversed = new Set(stream.filter((event) => event.type === 'EntryReversed').map((event) => (event.data as { reversedEventId: string }).reversedEventId));
  for (const event of stream) {
    if (event.type !== 'RepaymentDemanded' || reversed.has(event.eventId)) continue;
    const demand = event.data as Extract<GrantEvent, { type: 'RepaymentDemanded' }>['data'];
    deadlines.push({
      id: `${event.eventId}@grantledger`, stamp, start: allDay(demand.dueOn),
      summary: `Återbetalning förfaller: ${name}`,
      description: `${grant.committee}: återkrav ${swedishKronor(demand.amount)} (${demand.reference}).`,
    });
  }
  return deadlines;
}
