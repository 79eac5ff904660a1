import { html, type Html } from '../html.js';
import { FORMS, type FieldErrors, type FormSpec, type Typed } from '../forms.js';
import type { Session } from '../session.js';
import { errorSummary, formField } from './common.js';

export function registerIndex(): Html {
  const group = (kind: FormSpec['group']) => FORMS.filter((form) => form.group === kind).map((form) => html`<li><a href="/registrera/${form.slug}">${form.title}</a></li>`);
  return html`<h1>Registrera</h1>
    <p class="lead">Allt som registreras blir en ny post i huvudboken. Inget skrivs över: ett misstag rättas med en ny post.</p>
    <h2>Statsbidrag</h2><ul class="form-list">${group('grant')}</ul>
    <h2>Budget och resultat</h2><ul class="form-list">${group('budget')}</ul>`;
}

/**
 * A form of one command. It carries the session's CSRF token and an idempotency key made when the
 * form was rendered: a double click or a resent form writes once.
 */
export function registerForm(form: FormSpec, session: Session, typed: Typed, errors: FieldErrors, idempotencyKey: string, general: readonly string[] = []): Html {
  const labels = Object.fromEntries(form.fields.map((field) => [field.name, field.label]));
  const headingId = `form-${form.slug}`;
  return html`<p><a href="/registrera">Alla formulär</a></p>
    <h1 id="${headingId}">${form.title}</h1>
    <p class="lead">${form.intro}</p>
    ${errorSummary(errors, labels, general)}
    <form method="post" action="/registrera/${form.slug}" class="stack" aria-labelledby="${headingId}" novalidate>
      <input type="hidden" name="csrf" value="${session.csrfToken}">
      <input type="hidden" name="idempotencyKey" value="${idempotencyKey}">
      ${form.fields.map((field) => formField(field, typed[field.name] ?? '', errors[field.name]))}
      <button type="submit">${form.button}</button>
    </form>`;
}
