import { html, type Html } from '../html.js';
import type { FieldErrors } from '../forms.js';
import { errorSummary, formField } from './common.js';

export function loginPage(loginCsrf: string, error: string | null, message: string | null): Html {
  const errors: FieldErrors = error ? { token: error } : {};
  return html`<h1>Logga in</h1>
    ${message ? html`<div class="flash" role="status"><p>${message}</p></div>` : ''}
    <p class="lead">Logga in med din nyckel. Inloggningen gäller tills du stänger webbläsaren, högst 8 timmar.</p>
    ${errorSummary(errors, { token: 'Nyckel' })}
    <form method="post" action="/logga-in" class="stack" novalidate>
      <input type="hidden" name="csrf" value="${loginCsrf}">
      ${formField({ name: 'token', label: 'Nyckel', kind: 'password', hint: 'Nyckeln du fått av administratören, t.ex. glt_…' }, '', error ?? undefined)}
      <button type="submit">Logga in</button>
    </form>`;
}
