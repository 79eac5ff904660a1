import type { PageLedger as Ledger } from '../reports.js';
import { formatOre, type Ore } from '../../domain/money.js';
import { viewDateOf } from '../../../projections/clocks.js';
import { isAtRisk, type UnusedGrantRow, type UnusedGrantsReport } from '../../../projections/unusedGrants.js';
import { oreOfSummary } from '../../../projections/grantView.js';
import type { CommitteeResultRow } from '../../../projections/committeeResults.js';
import { html, type Html } from '../html.js';
import { clockParams, hrefWith, type ParsedClocks } from '../clocks.js';
import { clockForm, clockNote, kr, statusBadge, tableRegion } from './common.js';
import { resultFundChart } from './chart.js';
import type { EarlyWarningReport } from '../../../projections/earlyWarning.js';

type ResultRow = CommitteeResultRow;

interface CommitteeSummary {
  readonly committee: string;
  /** Sums in whole öre: thousands of rows add up without a Decimal parsed for each. */
  unused: Ore;
  readonly byGrantor: Map<string, { unused: Ore; count: number }>;
  readonly atRisk: UnusedGrantRow[];
  readonly toRepay: Array<{ row: UnusedGrantRow; amount: string }>;
  toRepayTotal: Ore;
}

function daysUntilYearEnd(viewDate: string): number {
  const end = Date.UTC(Number(viewDate.slice(0, 4)), 11, 31);
  const from = Date.UTC(Number(viewDate.slice(0, 4)), Number(viewDate.slice(5, 7)) - 1, Number(viewDate.slice(8, 10)));
  return Math.round((end - from) / 86_400_000);
}

/** Summaries per committee, kept with the (memoised) report they came from. */
const summaries = new WeakMap<UnusedGrantsReport, Map<string, Map<string, CommitteeSummary>>>();

function summarise(report: UnusedGrantsReport, viewDate: string): Map<string, CommitteeSummary> {
  let byDate = summaries.get(report);
  if (!byDate) summaries.set(report, (byDate = new Map()));
  const cached = byDate.get(viewDate);
  if (cached) return cached;
  const within = daysUntilYearEnd(viewDate);
  const result = new Map<string, CommitteeSummary>();
  for (const row of report.rows) {
    let summary = result.get(row.committee);
    if (!summary) {
      summary = { committee: row.committee, unused: 0n, byGrantor: new Map(), atRisk: [], toRepay: [], toRepayTotal: 0n };
      result.set(row.committee, summary);
    }
    const unused = oreOfSummary(row).unused;
    summary.unused += unused;
    const grantor = summary.byGrantor.get(row.grantor) ?? { unused: 0n, count: 0 };
    summary.byGrantor.set(row.grantor, { unused: grantor.unused + unused, count: grantor.count + 1 });
    if (isAtRisk(row, viewDate, within)) summary.atRisk.push(row);
    const toRepay = oreOfSummary(row).toRepay;
    if (toRepay > 0n) {
      summary.toRepay.push({ row, amount: row.toRepay });
      summary.toRepayTotal += toRepay;
    }
  }
  byDate.set(viewDate, result);
  return result;
}

const LIST_LIMIT = 10;

function grantLink(row: { readonly grantId: string; readonly title: string }, params: Record<string, string>): Html {
  return html`<a href="${hrefWith(`/statsbidrag/${encodeURIComponent(row.grantId)}`, params)}">${row.title}</a>`;
}

/** Issue 14's panel: grants of the committee whose money is projected to be left at useBy. */
function earlyWarningPanel(committee: string, report: EarlyWarningReport, params: Record<string, string>): Html {
  const warned = report.rows.filter((row) => row.warning);
  const total = report.totals.find((line) => line.committee === committee);
  return html`<h3>Tidig varning</h3>
    ${warned.length === 0
      ? html`<p>Inga riktade bidrag beräknas ha medel kvar när de ska vara använda (inom tolv månader), i den takt de används.</p>`
      : html`<p>Beräknat kvar vid användas senast: <strong>${kr(total?.projectedUnused ?? '0.00')}</strong>, varav ${kr(total?.toRepay ?? '0.00')} att återbetala.</p>
        <ul>${warned.slice(0, LIST_LIMIT).map(
          (row) => html`<li>${grantLink(row, params)}: ${kr(row.projectedUnused)} kvar ${row.useBy} i nuvarande takt (${kr(row.pace)} per månad, ${row.monthsLeft} mån kvar${row.planCoverage.months > 0 ? `, plan för ${row.planCoverage.months}` : ''}) ${statusBadge('at-risk')}</li>`,
        )}</ul>`}`;
}

function committeeSection(
  committee: string,
  summary: CommitteeSummary | undefined,
  warnings: EarlyWarningReport,
  results: readonly ResultRow[],
  year: number,
  params: Record<string, string>,
  index: number,
): Html {
  const headingId = `nämnd-${index}`;
  const thisYear = results.find((row) => row.fiscalYear === year);
  const grantors = summary ? [...summary.byGrantor.entries()].sort((a, b) => (b[1].unused > a[1].unused ? 1 : b[1].unused < a[1].unused ? -1 : 0)) : [];
  const listHref = hrefWith('/statsbidrag', { ...params, committee });
  return html`<section class="card" aria-labelledby="${headingId}">
    <h2 id="${headingId}">${committee}</h2>
    <div class="card-grid"><div>
    <dl class="figures">
      <div><dt>Outnyttjade riktade medel</dt><dd>${kr(formatOre(summary?.unused ?? 0n))}</dd></div>
      <div><dt>Att återbetala</dt><dd>${kr(formatOre(summary?.toRepayTotal ?? 0n))}</dd></div>
      <div><dt>Årets resultat ${year}${thisYear?.monthsReported !== undefined ? ` (${thisYear.monthsReported} mån)` : ''}</dt><dd>${thisYear ? kr(thisYear.result) : '–'}</dd></div>
      <div><dt>Senaste prognos${thisYear?.latestForecast ? ` efter ${thisYear.latestForecast.afterPeriod}` : ''}</dt><dd>${thisYear?.latestForecast ? kr(thisYear.latestForecast.deviation) : 'ingen'}</dd></div>
    </dl>
    <h3>Outnyttjat per bidragsgivare</h3>
    ${grantors.length === 0
      ? html`<p>Inga riktade statsbidrag.</p>`
      : tableRegion(`Outnyttjat per bidragsgivare, ${committee}`, html`<table>
      <thead><tr><th scope="col">Bidragsgivare</th><th scope="col" class="num">Bidrag</th><th scope="col" class="num">Outnyttjat</th></tr></thead>
      <tbody>${grantors.map(([grantor, figures]) => html`<tr><th scope="row"><a href="${hrefWith('/statsbidrag', { ...params, committee, grantor })}">${grantor}</a></th><td class="num">${figures.count}</td><td class="num">${kr(formatOre(figures.unused))}</td></tr>`)}</tbody>
    </table>`)}
    </div><div>
    <h3>I riskzonen före årsskiftet</h3>
    ${!summary || summary.atRisk.length === 0
      ? html`<p>Inga bidrag med outnyttjade medel som ska användas före årets slut.</p>`
      : html`<ul>${summary.atRisk.slice(0, LIST_LIMIT).map((row) => html`<li>${grantLink(row, params)}: ${kr(row.unused)} outnyttjat, användas senast ${row.useBy}</li>`)}</ul>
        ${summary.atRisk.length > LIST_LIMIT ? html`<p><a href="${hrefWith('/statsbidrag', { ...params, committee, status: 'at-risk' })}">Alla ${summary.atRisk.length} i riskzonen</a></p>` : ''}`}
    <h3>Att återbetala</h3>
    ${!summary || summary.toRepay.length === 0
      ? html`<p>Inget att återbetala.</p>`
      : html`<ul>${summary.toRepay.slice(0, LIST_LIMIT).map(({ row, amount }) => html`<li>${grantLink(row, params)} (${row.grantor}): ${kr(amount)} ${statusBadge(row.status)}</li>`)}</ul>
        ${summary.toRepay.length > LIST_LIMIT ? html`<p><a href="${hrefWith('/statsbidrag', { ...params, committee, status: 'expired' })}">Alla förfallna bidrag</a></p>` : ''}`}
    ${earlyWarningPanel(committee, warnings, params)}
    <p><a href="${listHref}">Statsbidrag för ${committee}</a></p>
    </div></div>
    <h3>Resultatfond</h3>
    ${resultFundChart(`chart-${index}`, committee, results.map((row) => ({ year: row.fiscalYear, value: row.cumulativeResult, closed: row.closed })))}
  </section>`;
}

interface Derived {
  readonly all: readonly string[];
  readonly resultsOf: Map<string, ResultRow[]>;
  readonly summaries: Map<string, Html>;
}

/**
 * The committees and their years, and the rendered summary table, kept with the reports they come
 * from: the current reports are memoised by the ledger until the log moves, so Översikt of 290
 * committees is grouped and rendered once per change, not once per request.
 */
const derivedCache = new WeakMap<UnusedGrantsReport, WeakMap<readonly ResultRow[], Derived>>();

function derivedOf(report: UnusedGrantsReport, results: readonly ResultRow[], byCommittee: Map<string, CommitteeSummary>): Derived {
  let byResults = derivedCache.get(report);
  if (!byResults) derivedCache.set(report, (byResults = new WeakMap()));
  const cached = byResults.get(results);
  if (cached) return cached;
  const resultsOf = new Map<string, ResultRow[]>();
  for (const row of results) {
    const list = resultsOf.get(row.committee);
    if (list) list.push(row);
    else resultsOf.set(row.committee, [row]);
  }
  const all = [...new Set([...byCommittee.keys(), ...resultsOf.keys()])].sort();
  const derived = { all, resultsOf, summaries: new Map<string, Html>() };
  byResults.set(results, derived);
  return derived;
}

function summaryOnce(derived: Derived, key: string, render: () => Html): Html {
  let rendered = derived.summaries.get(key);
  if (!rendered) {
    if (derived.summaries.size >= 32) derived.summaries.clear();
    derived.summaries.set(key, (rendered = render()));
  }
  return rendered;
}

/** Up to this many committees get their whole section; more get one row each in a summary table. */
const DETAILED_COMMITTEES = 6;

function summaryTable(committees: readonly string[], byCommittee: Map<string, CommitteeSummary>, resultsOf: Map<string, ResultRow[]>, year: number, params: Record<string, string>): Html {
  return tableRegion('Nämnderna i sammandrag', html`<table>
    <caption>Nämnderna i sammandrag, ${year}</caption>
    <thead><tr><th scope="col">Nämnd</th><th scope="col" class="num">Outnyttjade riktade medel</th><th scope="col" class="num">I riskzonen</th><th scope="col" class="num">Att återbetala</th><th scope="col" class="num">Årets resultat</th><th scope="col">Senaste prognos</th><th scope="col" class="num">Resultatfond</th></tr></thead>
    <tbody>${committees.map((committee) => {
      const summary = byCommittee.get(committee);
      const rows = resultsOf.get(committee) ?? [];
      const thisYear = rows.find((row) => row.fiscalYear === year);
      return html`<tr><th scope="row"><a href="${hrefWith('/', { ...params, committee })}">${committee}</a></th>
        <td class="num">${kr(formatOre(summary?.unused ?? 0n))}</td><td class="num">${summary?.atRisk.length ?? 0}</td>
        <td class="num">${kr(formatOre(summary?.toRepayTotal ?? 0n))}</td><td class="num">${thisYear ? kr(thisYear.result) : '–'}</td>
        <td>${thisYear?.latestForecast ? `${kr(thisYear.latestForecast.deviation)} (${thisYear.latestForecast.afterPeriod})` : '–'}</td>
        <td class="num">${kr(thisYear?.cumulativeResult ?? rows[rows.length - 1]?.cumulativeResult)}</td></tr>`;
    })}</tbody>
  </table>`);
}

export function overviewPage(ledger: Ledger, parsed: ParsedClocks, chosenCommittee = ''): Html {
  const params = clockParams(parsed.typed);
  const form = clockForm('/', parsed.typed, parsed.errors, chosenCommittee ? { committee: chosenCommittee } : {});
  if (Object.keys(parsed.errors).length > 0) return html`<h1>Översikt</h1>${form}`;
  const viewDate = viewDateOf(parsed.clocks, ledger.today());
  const year = Number(viewDate.slice(0, 4));
  const report = ledger.unusedGrants({}, parsed.clocks);
  const results = ledger.committeeResults({}, parsed.clocks).rows as readonly ResultRow[];
  const byCommittee = summarise(report, viewDate);
  const derived = derivedOf(report, results, byCommittee);
  const { all, resultsOf } = derived;
  const chosen = chosenCommittee && all.includes(chosenCommittee) ? [chosenCommittee] : null;
  const detailed = chosen ?? (all.length <= DETAILED_COMMITTEES ? all : []);
  return html`<h1>Översikt${chosen ? `: ${chosenCommittee}` : ''}</h1>
    <p class="lead">Per nämnd: outnyttjade riktade statsbidrag, vad som är i riskzonen eller ska återbetalas, årets resultat och resultatfonden.</p>
    ${form}
    ${clockNote(parsed.typed, viewDate)}
    ${all.length === 0 ? html`<p>Inget är registrerat ännu.</p>` : ''}
    ${chosen ? html`<p><a href="${hrefWith('/', params)}">Alla nämnder</a></p>` : ''}
    ${!chosen && detailed.length < all.length ? summaryOnce(derived, JSON.stringify(params), () => summaryTable(all, byCommittee, resultsOf, year, params)) : ''}
    <div class="cards">
      ${detailed.map((committee, index) =>
        committeeSection(committee, byCommittee.get(committee), ledger.earlyWarning(committee, parsed.clocks), resultsOf.get(committee) ?? [], year, params, index),
      )}
    </div>`;
}
