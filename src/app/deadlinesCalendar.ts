import ical from 'ical-generator';
import type { ReadSide } from './ledger/readSide.js';
import { swedishKronor } from './swedish.js';
import type { GrantEvent } from '../domain/grant/events.js';
import { grantBusinessDate, unusedOf } from '../domain/grant/state.js';
import { asCorrected, foldGrantFacts } from '../domain/grant/decide.js';
import { visibleEvents } from '../../projections/clocks.js';

/** An all-day date as a Date at noon UTC, so no time zone moves it to another day. */
const allDay = (date: string) => new Date(`${date}T12:00:00.000Z`);

/**
 * Every deadline of the grants as an iCalendar feed (RFC 5545) for calendars and cron: useBy of
 * each grant not yet closed, reportDue, and the dueOn of each repayment demand. UIDs derive from
 * the grant, so a calendar that polls the feed updates its events instead of adding new ones.
 */
export function deadlinesCalendar(ledger: ReadSide, filter: { readonly committee?: string } = {}): string {
  ledger.readModel.assertRunning();
  const calendar = ical({ name: 'Statsbidrag: datum att hålla', prodId: { company: 'grantledger', product: 'deadlines', language: 'SV' } });
  const grantIds = filter.committee === undefined ? ledger.readModel.grantIds() : ledger.readModel.grantIdsOfCommittee(filter.committee);
  for (const grantId of grantIds) {
    const stream = ledger.readModel.grantStream(grantId) ?? [];
    const events = asCorrected(visibleEvents<GrantEvent>(stream, {}, grantBusinessDate));
    const facts = foldGrantFacts(events);
    const grant = facts.grant;
    if (grant === null || (filter.committee !== undefined && grant.committee !== filter.committee)) continue;
    const stamp = new Date(stream[stream.length - 1]!.metadata.recordedAt);
    const name = `${grant.title} (${grant.grantor})`;
    if (grant.kind === 'riktat' && facts.status !== 'closed') {
      calendar.createEvent({
        id: `${grantId}-use-by@grantledger`, stamp, allDay: true, start: allDay(grant.useBy),
        summary: `Användas senast: ${name}`,
        description: `${grant.committee}: ${swedishKronor(unusedOf(facts).toFixed(2))} outnyttjat${grant.repaymentRequired ? ', återbetalningsskyldighet' : ''}.`,
      });
    }
    if (grant.reportDue !== undefined) {
      calendar.createEvent({
        id: `${grantId}-report-due@grantledger`, stamp, allDay: true, start: allDay(grant.reportDue),
        summary: `Återrapportering: ${name}`,
        description: `${grant.committee}: ${facts.reports.length} rapport(er) inlämnade.`,
      });
    }
    const reversed = new Set(stream.filter((event) => event.type === 'EntryReversed').map((event) => (event.data as { reversedEventId: string }).reversedEventId));
    for (const event of stream) {
      if (event.type !== 'RepaymentDemanded' || reversed.has(event.eventId)) continue;
      const demand = event.data as Extract<GrantEvent, { type: 'RepaymentDemanded' }>['data'];
      calendar.createEvent({
        id: `${event.eventId}@grantledger`, stamp, allDay: true, start: allDay(demand.dueOn),
        summary: `Återbetalning förfaller: ${name}`,
        description: `${grant.committee}: återkrav ${swedishKronor(demand.amount)} (${demand.reference}).`,
      });
    }
  }
  return calendar.toString();
}
