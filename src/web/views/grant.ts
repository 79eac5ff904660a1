import type { PageLedger as Ledger } from '../reports.js';
import { yesNo } from '../../app/swedish.js';
import type { RecordedEvent } from '../../store/port.js';
import { viewDateOf } from '../../../projections/clocks.js';
import type { GrantView } from '../../../projections/grantView.js';
import { html, type Html } from '../html.js';
import { clockParams, hrefWith, type ParsedClocks } from '../clocks.js';
import type { Session } from '../session.js';
import { clockForm, clockNote, kr, statusBadge, tableRegion } from './common.js';

type Data = Record<string, unknown>;
const s = (data: Data, key: string): string => (typeof data[key] === 'string' ? (data[key] as string) : '');

/** One entry of a grant's history in Swedish: what it was, its business date and its amount. */
export function describeEntry(type: string, data: Data): { what: string; date: string | null; amount: string | null; detail: string } {
  switch (type) {
    case 'GrantReceived':
      return { what: 'Statsbidrag mottaget', date: s(data, 'receivedOn'), amount: s(data, 'amount'), detail: `${s(data, 'grantor')}: ${s(data, 'title')}` };
    case 'GrantInstallmentReceived':
      return { what: 'Delbetalning mottagen', date: s(data, 'receivedOn'), amount: s(data, 'amount'), detail: s(data, 'reference') };
    case 'FundsAllocated':
      return { what: `Fördelat till ${s(data, 'activity')}`, date: s(data, 'allocatedOn'), amount: s(data, 'amount'), detail: `fördelning ${s(data, 'allocationId')}` };
    case 'AllocationReleased':
      return { what: 'Fördelning frigjord', date: s(data, 'releasedOn'), amount: s(data, 'amount'), detail: `fördelning ${s(data, 'allocationId')}` };
    case 'FundsSpent':
      return { what: 'Förbrukat', date: s(data, 'spentOn'), amount: s(data, 'amount'), detail: `verifikation ${s(data, 'voucher')}` };
    case 'GrantReportSubmitted':
      return { what: 'Återrapportering inlämnad', date: s(data, 'submittedOn'), amount: null, detail: s(data, 'reference') };
    case 'RepaymentDemanded':
      return { what: 'Återkrav', date: s(data, 'demandedOn'), amount: s(data, 'amount'), detail: `ska betalas senast ${s(data, 'dueOn')}; ${s(data, 'reference')}` };
    case 'FundsReturned':
      return { what: 'Återbetalt till bidragsgivaren', date: s(data, 'returnedOn'), amount: s(data, 'amount'), detail: s(data, 'reference') };
    case 'GrantClosed':
      return { what: 'Statsbidraget stängt', date: s(data, 'closedOn'), amount: null, detail: `behållet ${kr(s(data, 'retained') || '0.00')}` };
    case 'GrantAmended':
      return { what: 'Mottagandet ändrat', date: null, amount: s(data, 'amount') || null, detail: s(data, 'reason') };
    case 'EntryReversed':
      return { what: 'Rättelse', date: null, amount: null, detail: `${s(data, 'reason')} (post ${s(data, 'reversedEventId')})` };
    default:
      return { what: type, date: null, amount: null, detail: '' };
  }
}

function figures(view: GrantView): Html {
  const item = (label: string, value: string) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
  const toRepay = (view as GrantView & { toRepay?: string }).toRepay;
  return html`<dl class="figures">
    ${item('Erhållet', kr(view.received))}
    ${item('Förbrukat', kr(view.spent))}
    ${item('Återbetalt', kr(view.returned))}
    ${item('Outnyttjat', kr(view.unused))}
    ${item('Ej fördelat', kr(view.unallocated))}
    ${item('Fördelat, kvar', kr(view.allocatedRemaining))}
    ${item('Återkrav, obetalt', kr(view.repaymentOutstanding))}
    ${toRepay !== undefined ? item('Att återbetala', kr(toRepay)) : ''}
    ${view.status === 'closed' ? item('Behållet vid stängning', kr(view.retained)) : ''}
  </dl>`;
}

function details(view: GrantView): Html {
  const row = (label: string, value: string | Html) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`;
  return tableRegion('Uppgifter om bidraget', html`<table class="details">
    <caption>Uppgifter om bidraget</caption>
    <tbody>
      ${row('Bidragsgivare', view.grantor)}
      ${row('Benämning', view.title)}
      ${row('Ändamål', view.purpose)}
      ${row('Slag', view.kind)}
      ${row('Nämnd', view.committee)}
      ${row('Mottaget', view.receivedOn)}
      ${row('Användas senast', view.useBy)}
      ${row('Återrapporteras senast', view.reportDue ?? '–')}
      ${row('Återbetalningsskyldighet', yesNo(view.repaymentRequired))}
      ${row('Referens', view.reference ?? '–')}
      ${row('Status', statusBadge(view.status))}
      ${row('Id', view.grantId)}
    </tbody>
  </table>`);
}

function allocations(view: GrantView, session: Session, grantId: string): Html {
  if (view.allocations.length === 0) return html`<p>Inga fördelningar.</p>`;
  const ekonom = session.role === 'ekonom' && view.status !== 'closed';
  return tableRegion('Fördelningar', html`<table>
    <caption>Fördelningar till verksamheter</caption>
    <thead><tr><th scope="col">Verksamhet</th><th scope="col">Fördelat den</th><th scope="col" class="num">Fördelat</th><th scope="col" class="num">Frigjort</th><th scope="col" class="num">Förbrukat</th><th scope="col" class="num">Kvar</th>${ekonom ? html`<th scope="col">Registrera</th>` : ''}</tr></thead>
    <tbody>${view.allocations.map((allocation) => html`<tr>
      <th scope="row">${allocation.activity} <span class="hint">${allocation.allocationId}</span></th><td>${allocation.allocatedOn}</td>
      <td class="num">${kr(allocation.allocated)}</td><td class="num">${kr(allocation.released)}</td><td class="num">${kr(allocation.spent)}</td><td class="num">${kr(allocation.remaining)}</td>
      ${ekonom ? html`<td><a href="${hrefWith('/registrera/forbrukning', { grantId, allocationId: allocation.allocationId })}">Förbrukning<span class="visually-hidden"> för ${allocation.activity} ${allocation.allocationId}</span></a>,
        <a href="${hrefWith('/registrera/frigorelse', { grantId, allocationId: allocation.allocationId })}">frigör<span class="visually-hidden"> ${allocation.activity} ${allocation.allocationId}</span></a></td>` : ''}
    </tr>`)}</tbody>
  </table>`);
}

interface HistoryEntry {
  readonly event: RecordedEvent;
  readonly reversed: boolean;
  readonly afterAsOf: boolean;
}

/** Every entry known in the view, reversed ones marked (a reversal known in the view takes effect). */
function historyOf(events: readonly RecordedEvent[], knownAt: string | undefined, asOf: string | undefined): HistoryEntry[] {
  const known = events.filter((event) => knownAt === undefined || event.metadata.recordedAt <= knownAt);
  const reversed = new Set(known.filter((event) => event.type === 'EntryReversed').map((event) => (event.data as { reversedEventId: string }).reversedEventId));
  return known.map((event) => {
    const date = describeEntry(event.type, event.data as Data).date;
    return { event, reversed: reversed.has(event.eventId), afterAsOf: asOf !== undefined && date !== null && date > asOf };
  });
}

function timeline(entries: readonly HistoryEntry[], session: Session, grantId: string, closed: boolean): Html {
  const canReverse = session.role === 'ekonom' && !closed;
  return html`<ol class="timeline">
    ${entries.map(({ event, reversed, afterAsOf }) => {
      const entry = describeEntry(event.type, event.data as Data);
      const reversible = canReverse && !reversed && event.type !== 'GrantReceived' && event.type !== 'EntryReversed';
      return html`<li>
        <p><strong${reversed ? html` class="reversed"` : ''}>${entry.what}${entry.amount ? `: ${kr(entry.amount)}` : ''}</strong>
          ${reversed ? html` <span class="status status-closed">rättad</span>` : ''}${afterAsOf ? html` <span class="status status-closed">efter Per datum</span>` : ''}</p>
        <p class="meta">Bokföringsdag: ${entry.date ?? '–'} · Registrerad: <time datetime="${event.metadata.recordedAt}">${event.metadata.recordedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time> · Av: ${event.metadata.actor} · Post: ${event.eventId}</p>
        ${entry.detail ? html`<p class="meta">${entry.detail}</p>` : ''}
        ${reversible ? html`<p><a href="${hrefWith('/registrera/rattelse-statsbidrag', { grantId, eventId: event.eventId })}">Rätta<span class="visually-hidden"> posten ${entry.what} ${entry.date ?? ''}</span></a></p>` : ''}
      </li>`;
    })}
  </ol>`;
}

/** The grant statement (bidragsredovisning): the money entries that count in this view. */
export function statementRows(entries: readonly HistoryEntry[]): Array<{ date: string; what: string; amount: string | null; detail: string; eventId: string }> {
  return entries
    .filter((entry) => !entry.reversed && !entry.afterAsOf && entry.event.type !== 'EntryReversed')
    .map((entry) => ({ ...describeEntry(entry.event.type, entry.event.data as Data), eventId: entry.event.eventId }))
    .map((entry) => ({ date: entry.date ?? '', what: entry.what, amount: entry.amount, detail: entry.detail, eventId: entry.eventId }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

export async function grantHistory(ledger: Ledger, grantId: string, parsed: ParsedClocks): Promise<HistoryEntry[] | null> {
  const events = await ledger.grantEvents(grantId);
  return events ? historyOf(events, parsed.clocks.knownAt, parsed.clocks.asOf) : null;
}

export async function grantPage(ledger: Ledger, grantId: string, parsed: ParsedClocks, session: Session): Promise<{ status: number; title: string; body: Html }> {
  const path = `/statsbidrag/${encodeURIComponent(grantId)}`;
  const form = clockForm(path, parsed.typed, parsed.errors, {});
  if (Object.keys(parsed.errors).length > 0) return { status: 400, title: 'Statsbidrag', body: html`<h1>Statsbidrag</h1>${form}` };
  const found = ledger.grant(grantId, parsed.clocks);
  const history = await grantHistory(ledger, grantId, parsed);
  if (!history) return { status: 404, title: 'Statsbidraget finns inte', body: html`<h1>Statsbidraget finns inte</h1><p>Det finns inget statsbidrag med id ${grantId}.</p><p><a href="/statsbidrag">Till alla statsbidrag</a></p>` };
  const viewDate = viewDateOf(parsed.clocks, ledger.today());
  if (!found) {
    return {
      status: 404,
      title: 'Statsbidraget syns inte i vyn',
      body: html`<h1>Statsbidraget syns inte i vyn</h1>${form}${clockNote(parsed.typed, viewDate)}<p>Bidraget var inte mottaget eller inte känt vid den valda tidpunkten.</p>`,
    };
  }
  const view = found.view;
  const clock = clockParams(parsed.typed);
  const statement = statementRows(history);
  const ekonom = session.role === 'ekonom' && view.status !== 'closed';
  const action = (slug: string, label: string) => html`<li><a href="${hrefWith(`/registrera/${slug}`, { grantId })}">${label}</a></li>`;
  return {
    status: 200,
    title: view.title,
    body: html`<p><a href="${hrefWith('/statsbidrag', clock)}">Alla statsbidrag</a></p>
    <h1>${view.title}</h1>
    <p class="lead">${view.grantor} · ${view.committee} · ${statusBadge(view.status)}</p>
    ${form}
    ${clockNote(parsed.typed, viewDate)}
    <h2>Belopp</h2>
    ${figures(view)}
    ${details(view)}
    ${ekonom ? html`<h2>Registrera på bidraget</h2><ul class="form-list">
      ${action('delbetalning', 'Registrera delbetalning')}${view.kind === 'riktat' ? action('fordelning', 'Fördela medel') : ''}
      ${action('aterrapportering', 'Registrera återrapportering')}${action('aterkrav', 'Registrera återkrav')}
      ${action('aterbetalning', 'Registrera återbetalning')}${action('andra-statsbidrag', 'Ändra mottaget statsbidrag')}${action('stang-statsbidrag', 'Stäng statsbidrag')}
    </ul>` : ''}
    <h2>Fördelningar</h2>
    ${allocations(view, session, grantId)}
    <h2>Bidragsredovisning</h2>
    ${statement.length === 0 ? html`<p>Inga poster i vyn.</p>` : tableRegion('Bidragsredovisning', html`<table>
      <caption>Poster som räknas per ${parsed.typed.asOf || viewDate}</caption>
      <thead><tr><th scope="col">Bokföringsdag</th><th scope="col">Post</th><th scope="col" class="num">Belopp</th><th scope="col">Uppgift</th></tr></thead>
      <tbody>${statement.map((row) => html`<tr><td>${row.date}</td><th scope="row">${row.what}</th><td class="num">${row.amount ? kr(row.amount) : ''}</td><td>${row.detail}</td></tr>`)}</tbody>
    </table>`)}
    ${view.reports.length > 0 ? html`<p>Återrapporterat: ${view.reports.map((report, index) => html`${index > 0 ? ', ' : ''}${report.submittedOn} (${report.reference})`)}</p>` : ''}
    <ul class="downloads">
      <li><a href="${hrefWith(`${path}/bidragsredovisning.xlsx`, clock)}" download>Bidragsredovisning som Excel (xlsx)</a></li>
      <li><a href="${hrefWith(`${path}/bidragsredovisning.csv`, clock)}" download>Bidragsredovisning som CSV</a></li>
    </ul>
    <h2>Historik</h2>
    <p>Alla poster i den ordning de registrerades${parsed.typed.knownAt ? ', så långt de var kända vid Känt vid' : ''}. Inget raderas: en rättelse är en ny post.</p>
    ${timeline(history, session, grantId, view.status === 'closed')}`,
  };
}
