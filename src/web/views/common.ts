import { statusWord, swedishKronor } from '../../app/swedish.js';
import { html, type Html, type Renderable } from '../html.js';
import type { FieldErrors, FieldSpec } from '../forms.js';
import type { TypedClocks } from '../clocks.js';

export const kr = (amount: string | null | undefined): string => (amount === null || amount === undefined ? '–' : swedishKronor(amount));

export function statusBadge(code: string): Html {
  return html`<span class="status status-${code}">${statusWord(code)}</span>`;
}

export const fieldId = (name: string): string => `f-${name}`;

/** The summary at the top of a form: a heading and a link to each field at fault. */
export function errorSummary(errors: FieldErrors, labels: Record<string, string>, general: readonly string[] = []): Html {
  const entries = Object.entries(errors);
  if (entries.length === 0 && general.length === 0) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" id="error-summary">
    <h2 id="error-summary-title">Det finns ${entries.length + general.length === 1 ? 'ett fel' : 'fel'} att rätta</h2>
    <ul>
      ${general.map((message) => html`<li>${message}</li>`)}
      ${entries.map(([name, message]) => html`<li><a href="#${fieldId(name)}">${labels[name] ?? name}: ${message}</a></li>`)}
    </ul>
  </div>`;
}

/**
 * One labelled field: hint and error tied to it by aria-describedby, aria-invalid when at fault,
 * and what was typed put back.
 */
export function formField(field: FieldSpec, typed: string, error: string | undefined): Html {
  const id = fieldId(field.name);
  const hintId = field.hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter((part) => part !== null).join(' ');
  const common = html`id="${id}" name="${field.name}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  const hint = field.hint ? html`<span class="hint" id="${hintId}">${field.hint}</span>` : '';
  const message = error ? html`<span class="error-message" id="${errorId}"><span class="visually-hidden">Fel: </span>${error}</span>` : '';
  const optional = field.optional ? ' (frivilligt)' : '';
  if (field.kind === 'checkbox') {
    return html`<div class="field${error ? ' field-error' : ''}">
      <div class="checkbox"><input type="checkbox" value="ja" ${common}${typed === 'ja' ? html` checked` : ''}><label for="${id}">${field.label}</label></div>
      ${hint}${message}
    </div>`;
  }
  let control: Html;
  if (field.kind === 'select' || field.kind === 'yesno') {
    const options = field.kind === 'yesno' ? ([['ja', 'ja'], ['nej', 'nej']] as const) : (field.options ?? []);
    control = html`<select ${common}>
      <option value="">${field.optional ? 'Oförändrat' : 'Välj'}</option>
      ${options.map(([value, label]) => html`<option value="${value}"${value === typed ? html` selected` : ''}>${label}</option>`)}
    </select>`;
  } else if (field.kind === 'textarea') {
    control = html`<textarea ${common} rows="3">${typed}</textarea>`;
  } else {
    const inputmode = field.kind === 'amount' ? html` inputmode="decimal"` : field.kind === 'date' || field.kind === 'period' || field.kind === 'year' ? html` inputmode="numeric"` : '';
    const autocomplete = html` autocomplete="off"`;
    control = html`<input type="${field.kind === 'password' ? 'password' : 'text'}" ${common} value="${typed}"${inputmode}${autocomplete}>`;
  }
  return html`<div class="field${error ? ' field-error' : ''}">
    <label for="${id}">${field.label}${optional}</label>
    ${hint}${message}
    ${control}
  </div>`;
}

/**
 * The history fields of every report: Per datum and Känt vid in a GET form, so the URL keeps them
 * and a revisor can send the link. Other parameters of the page ride along as hidden fields.
 */
export function clockForm(action: string, typed: TypedClocks, errors: FieldErrors, keep: Record<string, string>, extra: Renderable = ''): Html {
  const asOf: FieldSpec = { name: 'asOf', label: 'Per datum', kind: 'date', optional: true, hint: 'ÅÅÅÅ-MM-DD; tomt för i dag' };
  const knownAt: FieldSpec = { name: 'knownAt', label: 'Känt vid', kind: 'text', optional: true, hint: 'Datum eller tidpunkt (UTC); tomt för allt som är känt nu' };
  const labels = { asOf: asOf.label, knownAt: knownAt.label };
  return html`${errorSummary(errors, labels)}
  <form method="get" action="${action}" class="filters" aria-label="Urval och historik">
    ${Object.entries(keep).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    ${extra}
    ${formField(asOf, typed.asOf, errors.asOf)}
    ${formField(knownAt, typed.knownAt, errors.knownAt)}
    <div class="field"><button type="submit">Visa</button></div>
  </form>`;
}

export function clockNote(typed: TypedClocks, viewDate: string): Html {
  const parts: Html[] = [html`Bokföringen per <strong>${typed.asOf || viewDate}</strong>`];
  if (typed.knownAt) parts.push(html`, så som den var känd vid <strong>${typed.knownAt}</strong>`);
  else parts.push(html`, med allt som är känt nu`);
  return html`<p class="clock-note">${parts}.</p>`;
}

/** A table that scrolls sideways in its own focusable region on a narrow screen. */
export function tableRegion(label: string, table: Html): Html {
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}
