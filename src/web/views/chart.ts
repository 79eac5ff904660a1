import { Decimal } from 'decimal.js';
import { html, type Html } from '../html.js';
import { kr, tableRegion } from './common.js';

export interface ChartPoint {
  readonly year: number;
  readonly value: string;
  readonly closed: boolean;
}

/** "30 000 000.00" → "30,0 mnkr": short enough to print on a bar. */
function millions(value: string): string {
  const amount = new Decimal(value).dividedBy(1_000_000);
  const text = amount.toFixed(1).replace('.', ',').replace('-', '−');
  return `${text} mnkr`;
}

/**
 * The cumulative result (resultatfond) per year as bars. Every bar prints its value, deficits are
 * hatched as well as drawn below the axis (never colour alone), and the same figures follow in a
 * table, which is the chart's text alternative for screen readers.
 */
export function resultFundChart(id: string, committee: string, points: readonly ChartPoint[]): Html {
  if (points.length === 0) return html`<p>Inga år att visa för ${committee}.</p>`;
  const width = 640;
  const height = 240;
  const top = 24;
  const bottom = 40;
  const left = 16;
  const values = points.map((point) => new Decimal(point.value).toNumber());
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const plot = height - top - bottom;
  const y = (value: number) => top + ((max - value) / span) * plot;
  const zero = y(0);
  const slot = (width - 2 * left) / points.length;
  const barWidth = Math.min(64, slot * 0.6);
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const description = points.map((point) => `${point.year}: ${kr(point.value)}${point.closed ? '' : ' (öppet år)'}`).join('; ');
  const bars = points.map((point, index) => {
    const value = values[index]!;
    const x = left + slot * index + (slot - barWidth) / 2;
    const barTop = Math.min(y(value), zero);
    const barHeight = Math.max(1, Math.abs(y(value) - zero));
    const labelY = value >= 0 ? barTop - 6 : barTop + barHeight + 14;
    const look = value >= 0 ? html`class="bar-positive"` : html`class="bar-negative" fill="url(#${id}-hatch)" stroke="#a4161a" stroke-width="2"`;
    return html`<g>
      <rect ${look} x="${x.toFixed(1)}" y="${barTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${barHeight.toFixed(1)}"></rect>
      <text class="chart-label" x="${(x + barWidth / 2).toFixed(1)}" y="${labelY.toFixed(1)}" text-anchor="middle">${millions(point.value)}</text>
      <text class="chart-label" x="${(x + barWidth / 2).toFixed(1)}" y="${(height - 12).toFixed(1)}" text-anchor="middle">${point.year}${point.closed ? '' : '*'}</text>
    </g>`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false">
      <title id="${titleId}">Resultatfond för ${committee} per år</title>
      <desc id="${descId}">${description}</desc>
      <defs>
        <pattern id="${id}-hatch" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">
          <rect width="8" height="8" fill="#fdecec"></rect>
          <line x1="0" y1="0" x2="0" y2="8" stroke="#a4161a" stroke-width="4"></line>
        </pattern>
      </defs>
      <line class="axis" x1="${left}" x2="${width - left}" y1="${zero.toFixed(1)}" y2="${zero.toFixed(1)}"></line>
      ${bars}
    </svg>
    <figcaption>Ackumulerat resultat (resultatfond) för ${committee} vid varje års slut. Streckade staplar under linjen är underskott. * = året är inte stängt.</figcaption>
  </figure>
  ${tableRegion(`Resultatfond för ${committee} i siffror`, html`<table class="narrow">
    <caption>Resultatfond för ${committee} i siffror</caption>
    <thead><tr><th scope="col">År</th><th scope="col" class="num">Ackumulerat resultat</th><th scope="col">Bokslut</th></tr></thead>
    <tbody>${points.map((point) => html`<tr><th scope="row">${point.year}</th><td class="num">${kr(point.value)}</td><td>${point.closed ? 'stängt' : 'öppet'}</td></tr>`)}</tbody>
  </table>`)}`;
}
