import { html, type Html } from '../html.js';
import type { FieldErrors } from '../forms.js';
import { errorSummary, formField } from './common.js';

export interface LoginOptions {
  /** The municipality's identity provider is configured: offer its button beside the key. */
  readonly oidc: boolean;
  /** A message about a sign-in with the municipality's account that did not go through. */
  readonly oidcError?: string | null;
}

export function loginPage(loginCsrf: string, error: string | null, message: string | null, options: LoginOptions = { oidc: false }): Html {
  const errors: FieldErrors = error ? { token: error } : {};
  const general = options.oidcError ? [options.oidcError] : [];
  return html`<h1>Logga in</h1>
    ${message ? html`<div class="flash" role="status"><p>${message}</p></div>` : ''}
    <p class="lead">${options.oidc ? 'Logga in med kommunens konto eller med din nyckel.' : 'Logga in med din nyckel.'} Inloggningen gäller tills du stänger webbläsaren, högst 8 timmar.</p>
    ${errorSummary(errors, { token: 'Nyckel' }, general)}
    ${options.oidc
      ? html`<form method="post" action="/auth/login" class="stack oidc-login">
      <button type="submit">Logga in med kommunens konto</button>
      <p class="hint">Du skickas till kommunens inloggning och kommer sedan tillbaka hit.</p>
    </form>`
      : ''}
    <form method="post" action="/logga-in" class="stack" novalidate>
      <input type="hidden" name="csrf" value="${loginCsrf}">
      ${formField({ name: 'token', label: 'Nyckel', kind: 'password', hint: 'Nyckeln du fått av administratören, t.ex. glt_…' }, '', error ?? undefined)}
      <button type="submit"${options.oidc ? html` class="secondary"` : ''}>Logga in</button>
    </form>`;
}

/** Signed in at the provider, but the claims give no role here: who may get in, and nothing else. */
export function noRolePage(displayName: string, groups: readonly string[], claim: string): Html {
  return html`<h1>Ingen behörighet</h1>
    <p>Du är inloggad hos kommunen som ${displayName}, men ditt konto är inte med i någon grupp som ger tillgång till Grantledger.</p>
    <p>Tillgång ges till medlemmar i ${groups.length === 1 ? 'gruppen' : 'grupperna'} (anspråket <code>${claim}</code>):</p>
    <ul>${groups.map((group) => html`<li><code>${group}</code></li>`)}</ul>
    <p>Be kommunens IT-avdelning lägga till dig i rätt grupp, och logga sedan in igen.</p>
    <p><a href="/logga-in">Till inloggningen</a></p>`;
}
