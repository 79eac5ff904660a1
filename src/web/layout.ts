import { html, type Html, type Renderable } from './html.js';
import type { Session } from './session.js';

export type Section = 'oversikt' | 'statsbidrag' | 'resultat' | 'registrera' | null;

export interface PageOptions {
  readonly title: string;
  readonly session: Session | null;
  readonly section: Section;
  readonly body: Renderable;
  /** A one-time message shown at the top (after a registration). */
  readonly flash?: string | undefined;
  /**
   * Go on to this same-site path at once (meta refresh). After the identity provider's redirect the
   * browser withholds SameSite=Strict cookies for the rest of that cross-site redirect chain; a
   * navigation started by this page is same-site, so the new session cookie is sent with it.
   */
  readonly continueTo?: string | undefined;
}

function navLink(href: string, label: string, current: boolean): Html {
  return html`<li><a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

/**
 * Every page: a skip link first, a banner with the navigation and Logga ut, one main landmark.
 * No inline script or style anywhere (the Content-Security-Policy forbids them).
 */
export function page(options: PageOptions): Html {
  const { session, section } = options;
  const nav = session
    ? html`<nav aria-label="Huvudmeny"><ul class="nav">
        ${navLink('/', 'Översikt', section === 'oversikt')}
        ${navLink('/statsbidrag', 'Statsbidrag', section === 'statsbidrag')}
        ${navLink('/resultat', 'Resultat', section === 'resultat')}
        ${session.role === 'ekonom' ? navLink('/registrera', 'Registrera', section === 'registrera') : ''}
      </ul></nav>
      <div class="user">
        <span>${session.name} (${session.role})</span>
        <form method="post" action="/logga-ut" class="inline">
          <input type="hidden" name="csrf" value="${session.csrfToken}">
          <button type="submit" class="link-button">Logga ut</button>
        </form>
      </div>`
    : '';
  return html`<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.continueTo ? html`<meta http-equiv="refresh" content="0;url=${options.continueTo}">
` : ''}<title>${options.title} – Grantledger</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<a class="skip-link" href="#main">Hoppa till innehållet</a>
<header class="banner">
  <p class="brand"><a href="/">Grantledger</a> <span class="brand-sub">statsbidrag och resultat</span></p>
  ${nav}
</header>
<main id="main" tabindex="-1">
${options.flash ? html`<div class="flash" role="status"><p>${options.flash}</p></div>` : ''}
${options.body}
</main>
<footer class="footer"><p>Belopp i kronor. Datum som ÅÅÅÅ-MM-DD. Bokföringsdag och registreringstid visas var för sig.</p></footer>
</body>
</html>
`;
}
