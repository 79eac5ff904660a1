import type { PageLedger as Ledger } from '../reports.js';
import { yesNo } from '../../app/swedish.js';
import { formatMoney } from '../../domain/money.js';
import { viewDateOf } from '../../../projections/clocks.js';
import type { CommitteeResultRow } from '../../../projections/committeeResults.js';
import { html, type Html } from '../html.js';
import { clockParams, hrefWith, type ParsedClocks } from '../clocks.js';
import { clockForm, clockNote, kr, tableRegion } from './common.js';
import { resultFundChart } from './chart.js';

type ResultRow = CommitteeResultRow & {
  readonly budgetToDate?: string;
  readonly monthsReported?: number;
  readonly expectedResult?: string | null;
  readonly carriedIn?: string;
};

const MONTHS = ['januari', 'februari', 'mars', 'april', 'maj', 'juni', 'juli', 'augusti', 'september', 'oktober', 'november', 'december'];
const afterMonth = (period: string) => `efter ${MONTHS[Number(period.slice(5, 7)) - 1] ?? period} ${period.slice(0, 4)}`;

/** Above this many committees, charts and forecasts wait until one is chosen, and the table has pages. */
const DETAILED_COMMITTEES = 6;
const ROWS_PER_PAGE = 50;

/**
 * One committee's years per verksamhet: what each activity was budgeted to date, what it cost and
 * earned, and its latest forecast line. Rows without an activity are the committee as a whole.
 */
function activitiesTable(ledger: Ledger, parsed: ParsedClocks, committee: string, years: readonly number[]): Html {
  const reports = [...new Set(years)].sort((a, b) => a - b).map((year) => ledger.activities(committee, year, parsed.clocks));
  if (reports.every((report) => report.rows.length === 0)) return html`<h3>${committee}</h3><p>Inga verksamheter i vyn.</p>`;
  return html`<h3>${committee}</h3>${tableRegion(`Resultat per verksamhet för ${committee}`, html`<table>
    <caption>Resultat per verksamhet för ${committee}, per år (avvikelse = budget hittills − kostnader + intäkter + statsbidrag)</caption>
    <thead><tr>
      <th scope="col">År</th><th scope="col">Verksamhet</th>
      <th scope="col" class="num">Budget</th><th scope="col" class="num">Budget hittills</th>
      <th scope="col" class="num">Kostnader</th><th scope="col" class="num">Intäkter</th><th scope="col" class="num">Statsbidrag som intäkt</th>
      <th scope="col" class="num">Avvikelse</th><th scope="col">Senaste prognos</th>
    </tr></thead>
    <tbody>${reports.flatMap((report) => [
      ...report.rows.map((row) => html`<tr>
        <td>${report.year}</td><th scope="row">${row.activity ?? 'hela nämnden'}</th>
        <td class="num">${kr(row.budget)}</td><td class="num">${kr(row.budgetToDate)}</td>
        <td class="num">${kr(row.costs)}</td><td class="num">${kr(row.revenues)}</td><td class="num">${kr(row.grantRevenue)}</td>
        <td class="num"><strong>${kr(row.deviation)}</strong></td>
        <td>${row.forecast ? html`${kr(row.forecast.deviation)} ${afterMonth(row.forecast.afterPeriod)}` : '–'}</td>
      </tr>`),
      report.rows.length === 0 ? '' : html`<tr class="total">
        <td>${report.year}</td><th scope="row">Summa ${report.year}</th>
        <td class="num">${kr(report.totals.budget)}</td><td class="num">${kr(report.totals.budgetToDate)}</td>
        <td class="num">${kr(report.totals.costs)}</td><td class="num">${kr(report.totals.revenues)}</td><td class="num">${kr(report.totals.grantRevenue)}</td>
        <td class="num"><strong>${kr(report.totals.deviation)}</strong></td><td></td>
      </tr>`,
    ])}</tbody>
  </table>`)}`;
}

export function resultsPage(ledger: Ledger, parsed: ParsedClocks, committeeText: string, pageText = ''): Html {
  const committee = /^[a-z0-9-]{2,64}$/.test(committeeText) ? committeeText : '';
  const all = Object.keys(parsed.errors).length === 0 ? ledger.committeeResults({}, parsed.clocks).rows : [];
  const committees = [...new Set(all.map((row) => row.committee))].sort();
  const extra = html`<div class="field"><label for="f-committee">Nämnd</label>
    <select id="f-committee" name="committee"><option value="">Alla</option>
      ${committees.map((value) => html`<option value="${value}"${value === committee ? html` selected` : ''}>${value}</option>`)}
    </select></div>`;
  const form = clockForm('/resultat', parsed.typed, parsed.errors, {}, extra);
  if (Object.keys(parsed.errors).length > 0) return html`<h1>Resultat</h1>${form}`;
  const viewDate = viewDateOf(parsed.clocks, ledger.today());
  const allRows = (committee ? all.filter((row) => row.committee === committee) : all) as readonly ResultRow[];
  const detailed = committee !== '' || committees.length <= DETAILED_COMMITTEES;
  const pages = Math.max(1, Math.ceil(allRows.length / ROWS_PER_PAGE));
  const pageNumber = Math.min(pages, /^\d{1,5}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1);
  const rows = allRows.slice((pageNumber - 1) * ROWS_PER_PAGE, pageNumber * ROWS_PER_PAGE);
  const clock = clockParams(parsed.typed);
  const budgets = detailed ? ledger.budgetsIn(parsed.clocks, committee || undefined) : [];
  const shownCommittees = !detailed ? [] : committee ? [committee] : committees;
  const pageLink = (target: number, label: string) => html`<a href="${hrefWith('/resultat', { ...base, page: String(target) })}">${label}</a>`;
  const base = { ...clock, ...(committee ? { committee } : {}) };
  return html`<h1>Resultat</h1>
    <p class="lead">Nämndernas resultat per år: budget, utfall, statsbidrag som intäkt, prognos och resultatfond.</p>
    ${form}
    ${clockNote(parsed.typed, viewDate)}
    ${rows.length === 0 ? html`<p>Inga budgetar i vyn.</p>` : tableRegion('Resultat per nämnd och år', html`<table>
      <caption>Resultat per nämnd och år${pages > 1 ? `, sida ${pageNumber} av ${pages}` : ''}</caption>
      <thead><tr>
        <th scope="col">Nämnd</th><th scope="col">År</th>
        <th scope="col" class="num">Resultat</th><th scope="col" class="num">Förväntat resultat</th><th scope="col" class="num">Resultatfond</th>
        <th scope="col" class="num">Budget</th><th scope="col" class="num">Budget hittills</th>
        <th scope="col" class="num">Kostnader</th><th scope="col" class="num">Intäkter</th><th scope="col" class="num">Statsbidrag som intäkt</th>
        <th scope="col">Senaste prognos</th><th scope="col" class="num">Ingående resultatfond</th><th scope="col" class="num">Överfört</th><th scope="col">Stängt</th>
      </tr></thead>
      <tbody>${rows.map((row) => html`<tr>
        <th scope="row">${row.committee}</th><td>${row.fiscalYear}</td>
        <td class="num"><strong>${kr(row.result)}</strong></td><td class="num">${kr(row.expectedResult ?? null)}</td><td class="num">${kr(row.cumulativeResult)}</td>
        <td class="num">${kr(row.budget)}</td><td class="num">${kr(row.budgetToDate)}${row.monthsReported !== undefined ? html`<br><span class="hint">${row.monthsReported} av 12 mån</span>` : ''}</td>
        <td class="num">${kr(row.costs)}</td><td class="num">${kr(row.revenues)}</td><td class="num">${kr(row.grantRevenue)}</td>
        <td>${row.latestForecast ? html`${kr(row.latestForecast.deviation)} ${afterMonth(row.latestForecast.afterPeriod)}` : '–'}</td>
        <td class="num">${kr(row.carriedIn)}</td><td class="num">${kr(row.carriedForward)}</td>
        <td>${row.closed ? `${yesNo(true)}, ${row.closedOn ?? ''}` : yesNo(false)}</td>
      </tr>`)}</tbody>
    </table>`)}
    ${pages > 1
      ? html`<nav aria-label="Sidor"><ul class="pagination">
          ${pageNumber > 1 ? html`<li>${pageLink(pageNumber - 1, 'Föregående sida')}</li>` : ''}
          <li>Sida ${pageNumber} av ${pages}</li>
          ${pageNumber < pages ? html`<li>${pageLink(pageNumber + 1, 'Nästa sida')}</li>` : ''}
        </ul></nav>`
      : ''}
    ${detailed ? '' : html`<p>Välj en nämnd för att se dess prognoser och resultatfond som diagram.</p>`}
    <ul class="downloads">
      <li><a href="${hrefWith('/nedladdning/resultat.xlsx', base)}" download>Resultat som Excel (xlsx)</a></li>
      <li><a href="${hrefWith('/nedladdning/resultat.csv', base)}" download>Resultat som CSV</a></li>
    </ul>
    ${!detailed ? '' : html`<h2>Prognoser och deras historik</h2>
    ${budgets.every((budget) => budget.facts.forecasts.size === 0) ? html`<p>Inga prognoser i vyn.</p>` : tableRegion('Prognoser', html`<table>
      <caption>Prognoser per nämnd, år och period (den senaste perioden gäller)</caption>
      <thead><tr><th scope="col">Nämnd</th><th scope="col">År</th><th scope="col">Period</th><th scope="col">Verksamhet</th><th scope="col" class="num">Avvikelse</th></tr></thead>
      <tbody>${budgets
        .slice()
        .sort((a, b) => (a.key.committee === b.key.committee ? a.key.fiscalYear - b.key.fiscalYear : a.key.committee < b.key.committee ? -1 : 1))
        .flatMap((budget) =>
          [...budget.facts.forecasts.values()]
            .sort((a, b) => (a.afterPeriod === b.afterPeriod ? (a.activity ?? '').localeCompare(b.activity ?? '') : a.afterPeriod < b.afterPeriod ? -1 : 1))
            .map((forecast) => html`<tr><th scope="row">${budget.key.committee}</th><td>${budget.key.fiscalYear}</td><td>${afterMonth(forecast.afterPeriod)}</td><td>${forecast.activity ?? 'hela nämnden'}</td><td class="num">${kr(formatMoney(forecast.deviation))}</td></tr>`),
        )}</tbody>
    </table>`)}
    <h2>Resultat per verksamhet</h2>
    ${shownCommittees.map((name) => activitiesTable(ledger, parsed, name, allRows.filter((row) => row.committee === name).map((row) => row.fiscalYear)))}
    <h2>Resultatfond</h2>`}
    ${shownCommittees.map((name, index) => html`<h3>${name}</h3>${resultFundChart(`fund-${index}`, name, allRows.filter((row) => row.committee === name).map((row) => ({ year: row.fiscalYear, value: row.cumulativeResult, closed: row.closed })))}`)}
    <p><a href="${hrefWith('/', clock)}">Till översikten</a></p>`;
}
