import type { PageLedger as Ledger } from '../reports.js';
import { STATUS_WORDS } from '../../app/swedish.js';
import { viewDateOf } from '../../../projections/clocks.js';
import { oreOfSummary, type GrantSummary as UnusedGrantRow } from '../../../projections/grantView.js';
import type { GrantList as UnusedGrantsReport, GrantListFilter } from '../reports.js';
import type { EarlyWarningRow } from '../../../projections/earlyWarning.js';
import { html, type Html } from '../html.js';
import { clockParams, hrefWith, type ParsedClocks } from '../clocks.js';
import type { FieldErrors } from '../forms.js';
import { clockForm, clockNote, kr, statusBadge, tableRegion } from './common.js';

export const PAGE_SIZE = 50;

const SORTS = {
  useBy: { label: 'Användas senast', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => (a.useBy < b.useBy ? -1 : a.useBy > b.useBy ? 1 : 0) },
  title: { label: 'Benämning', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => a.title.localeCompare(b.title, 'sv') },
  grantor: { label: 'Bidragsgivare', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => a.grantor.localeCompare(b.grantor, 'sv') },
  committee: { label: 'Nämnd', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => a.committee.localeCompare(b.committee, 'sv') },
  received: { label: 'Erhållet', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => compareOre(oreOfSummary(a).received, oreOfSummary(b).received) },
  spent: { label: 'Förbrukat', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => compareOre(oreOfSummary(a).spent, oreOfSummary(b).spent) },
  unused: { label: 'Outnyttjat', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => compareOre(oreOfSummary(a).unused, oreOfSummary(b).unused) },
  status: { label: 'Status', compare: (a: UnusedGrantRow, b: UnusedGrantRow) => a.status.localeCompare(b.status) },
} as const;
type SortKey = keyof typeof SORTS;

const STATUS_FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['open', STATUS_WORDS.open],
  ['at-risk', STATUS_WORDS['at-risk']],
  ['expired', STATUS_WORDS.expired],
  ['settled', STATUS_WORDS.settled],
  ['closed', STATUS_WORDS.closed],
];

export interface GrantListQuery {
  readonly committee: string;
  readonly grantor: string;
  readonly status: string;
  readonly kind: string;
  readonly sort: SortKey;
  readonly order: 'asc' | 'desc';
  readonly page: number;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function grantListQueryOf(query: Record<string, unknown>): { list: GrantListQuery; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const sort = (text(query.sort) in SORTS ? text(query.sort) : 'useBy') as SortKey;
  const order = text(query.order) === 'desc' ? 'desc' : 'asc';
  const pageText = text(query.page);
  const page = /^\d{1,6}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1;
  const status = text(query.status);
  if (status !== '' && !STATUS_FILTERS.some(([code]) => code === status)) errors.status = 'Välj en status i listan.';
  const kind = text(query.kind);
  if (kind !== '' && kind !== 'riktat' && kind !== 'generellt') errors.kind = 'Välj riktat eller generellt.';
  const committee = text(query.committee);
  if (committee !== '' && !/^[a-z0-9-]{2,64}$/.test(committee)) errors.committee = 'Välj en nämnd i listan.';
  return { list: { committee, grantor: text(query.grantor).slice(0, 200), status, kind, sort, order, page }, errors };
}

/** Sorted rows, kept with the report they came from (the current report is memoised by the ledger). */
/** Amounts compare as whole öre, exactly (never as JS numbers). */
function compareOre(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const sortedRows = new WeakMap<UnusedGrantsReport, Map<string, readonly UnusedGrantRow[]>>();

function sorted(report: UnusedGrantsReport, sort: SortKey, order: 'asc' | 'desc'): readonly UnusedGrantRow[] {
  let bySort = sortedRows.get(report);
  if (!bySort) sortedRows.set(report, (bySort = new Map()));
  const key = `${sort} ${order}`;
  const cached = bySort.get(key);
  if (cached) return cached;
  const compare = SORTS[sort].compare;
  const direction = order === 'asc' ? 1 : -1;
  const rows = [...report.rows].sort((a, b) => direction * compare(a, b) || (a.grantId < b.grantId ? -1 : 1));
  bySort.set(key, rows);
  return rows;
}

/** Committees and grantors to choose from: from the current view, remembered per report. */
const choicesCache = new WeakMap<UnusedGrantsReport, { committees: string[]; grantors: string[] }>();

function choicesOf(report: UnusedGrantsReport): { committees: string[]; grantors: string[] } {
  const cached = choicesCache.get(report);
  if (cached) return cached;
  const committees = new Set<string>();
  const grantors = new Set<string>();
  for (const row of report.rows) {
    committees.add(row.committee);
    grantors.add(row.grantor);
  }
  const choices = { committees: [...committees].sort(), grantors: [...grantors].sort((a, b) => a.localeCompare(b, 'sv')) };
  choicesCache.set(report, choices);
  return choices;
}

function select(name: string, label: string, options: ReadonlyArray<readonly [string, string]>, chosen: string, error?: string): Html {
  const id = `f-${name}`;
  return html`<div class="field${error ? ' field-error' : ''}">
    <label for="${id}">${label}</label>
    ${error ? html`<span class="error-message" id="${id}-error">${error}</span>` : ''}
    <select id="${id}" name="${name}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
      <option value="">Alla</option>
      ${options.map(([value, text]) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${text}</option>`)}
    </select>
  </div>`;
}

export function filterOf(list: GrantListQuery): GrantListFilter {
  return {
    ...(list.committee ? { committee: list.committee } : {}),
    ...(list.grantor ? { grantor: list.grantor } : {}),
    ...(list.status ? { status: list.status } : {}),
    ...(list.kind ? { kind: list.kind as 'riktat' | 'generellt' } : {}),
  };
}

/** Issue 14's column: what an open riktat grant will have left at useBy at its pace, flagged when it warns. */
function projectedCell(warning: EarlyWarningRow | null): Html {
  if (warning === null) return html`<td class="num">–</td>`;
  return html`<td class="num">${kr(warning.projectedUnused)}${warning.warning ? html` ${statusBadge('at-risk')}` : ''}</td>`;
}

export function grantListPage(ledger: Ledger, parsed: ParsedClocks, list: GrantListQuery, listErrors: FieldErrors): Html {
  const clock = clockParams(parsed.typed);
  const filters = { committee: list.committee, grantor: list.grantor, status: list.status, kind: list.kind };
  const errors = { ...listErrors, ...parsed.errors };
  const all = Object.keys(errors).length === 0 ? ledger.grantList({}, parsed.clocks) : null;
  const choices = all ? choicesOf(all) : { committees: [], grantors: [] };
  const extra = html`
    ${select('committee', 'Nämnd', choices.committees.map((value) => [value, value] as const), list.committee, errors.committee)}
    ${select('grantor', 'Bidragsgivare', choices.grantors.map((value) => [value, value] as const), list.grantor)}
    ${select('status', 'Status', STATUS_FILTERS, list.status, errors.status)}
    ${select('kind', 'Slag', [['riktat', 'riktat'], ['generellt', 'generellt']], list.kind, errors.kind)}
    <input type="hidden" name="sort" value="${list.sort}"><input type="hidden" name="order" value="${list.order}">`;
  const form = clockForm('/statsbidrag', parsed.typed, errors, {}, extra);
  if (!all) return html`<h1>Statsbidrag</h1>${form}`;
  const viewDate = viewDateOf(parsed.clocks, ledger.today());
  const report = ledger.grantList(filterOf(list), parsed.clocks);
  const rows = sorted(report, list.sort, list.order);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(list.page, pages);
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const base = { ...filters, ...clock };
  const header = (key: SortKey, numeric = false) => {
    const current = list.sort === key;
    const nextOrder = current && list.order === 'asc' ? 'desc' : 'asc';
    const ariaSort = current ? (list.order === 'asc' ? 'ascending' : 'descending') : null;
    return html`<th scope="col"${numeric ? html` class="num"` : ''}${ariaSort ? html` aria-sort="${ariaSort}"` : ''}><a class="sort-link" href="${hrefWith('/statsbidrag', { ...base, sort: key, order: nextOrder })}">${SORTS[key].label}</a>${current ? html`<span aria-hidden="true">${list.order === 'asc' ? ' ▲' : ' ▼'}</span>` : ''}</th>`;
  };
  const pageLink = (target: number, label: string) => html`<a href="${hrefWith('/statsbidrag', { ...base, sort: list.sort, order: list.order, page: String(target) })}">${label}</a>`;
  const downloads = (format: 'xlsx' | 'csv') => hrefWith(`/nedladdning/statsbidrag.${format}`, base);
  return html`<h1>Statsbidrag</h1>
    <p class="lead">Statsbidrag, riktade och generella, med vad som är förbrukat, återbetalt och outnyttjat. Generella bidrag är intäkt när de tas emot och har inget outnyttjat.</p>
    ${form}
    ${clockNote(parsed.typed, viewDate)}
    <p>${rows.length} bidrag${rows.length > PAGE_SIZE ? `, visar ${(page - 1) * PAGE_SIZE + 1}–${(page - 1) * PAGE_SIZE + shown.length}` : ''}.</p>
    ${tableRegion('Statsbidrag', html`<table>
      <caption>Statsbidrag, sida ${page} av ${pages}</caption>
      <thead><tr>${header('title')}${header('grantor')}${header('committee')}${header('received', true)}${header('spent', true)}<th scope="col" class="num">Återbetalt</th>${header('unused', true)}${header('useBy')}${header('status')}<th scope="col" class="num">Beräknat kvar vid användas senast</th></tr></thead>
      <tbody>
        ${shown.map((row) => html`<tr>
          <th scope="row"><a href="${hrefWith(`/statsbidrag/${encodeURIComponent(row.grantId)}`, clock)}">${row.title}</a></th>
          <td>${row.grantor}</td><td>${row.committee}</td>
          <td class="num">${kr(row.received)}</td><td class="num">${kr(row.spent)}</td><td class="num">${kr(row.returned)}</td>
          <td class="num">${kr(row.unused)}</td><td>${row.useBy}</td><td>${statusBadge(row.status)}</td>
          ${projectedCell(ledger.earlyWarningRow(row.grantId, parsed.clocks))}
        </tr>`)}
      </tbody>
      <tfoot><tr><th scope="row" colspan="3">Summa, alla ${rows.length} bidrag</th>
        <td class="num">${kr(report.totals.received)}</td><td class="num">${kr(report.totals.spent)}</td><td class="num">${kr(report.totals.returned)}</td>
        <td class="num">${kr(report.totals.unused)}</td><td colspan="3"></td></tr></tfoot>
    </table>`)}
    ${pages > 1
      ? html`<nav aria-label="Sidor"><ul class="pagination">
          ${page > 1 ? html`<li>${pageLink(page - 1, 'Föregående sida')}</li>` : ''}
          <li>Sida ${page} av ${pages}</li>
          ${page < pages ? html`<li>${pageLink(page + 1, 'Nästa sida')}</li>` : ''}
        </ul></nav>`
      : ''}
    <h2>Ladda ner</h2>
    <ul class="downloads">
      <li><a href="${downloads('xlsx')}" download>Statsbidrag som Excel (xlsx)</a></li>
      <li><a href="${downloads('csv')}" download>Statsbidrag som CSV</a></li>
    </ul>`;
}
