import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Ledger } from '../app/ledger.js';
import { ContentionError, IdempotencyKeyReusedError, ReadModelRebuildingError, StaleRevisionError } from '../app/errors.js';
import { committeeResultsData, CONTENT_TYPES, renderReport, unusedGrantsData, type ReportData } from '../app/reportFormats.js';
import { DomainError } from '../domain/errors.js';
import { StoreUnavailableError } from '../store/port.js';
import { ProjectionError, ReadModelStoppedError } from '../app/readModel.js';
import type { AuthFailureLimiter } from '../http/authFailureLimiter.js';
import { html, type Html } from './html.js';
import { page, type Section } from './layout.js';
import {
  clearSessionCookie,
  cookieOf,
  csrfMatches,
  identityOfToken,
  SESSION_COOKIE,
  SessionStore,
  setSessionCookie,
  type Session,
} from './session.js';
import { PAGE_CSP, pageCspWith } from './security.js';
import type { OidcIdentityProvider, PendingSignIn } from '../oidc/provider.js';
import { groupsGivingAccess, principalTokenId } from '../oidc/identity.js';
import { pageLedger } from './reports.js';
import { clocksOf } from './clocks.js';
import { formBySlug, parseTyped, refusalOf, requestHashOf, typedOf, validate, type FieldErrors, type FormSpec, type Typed } from './forms.js';
import { overviewPage } from './views/overview.js';
import { filterOf, grantListPage, grantListQueryOf } from './views/grants.js';
import { grantPage } from './views/grant.js';
import { grantStatementFor } from '../app/ledgerReports.js';
import { grantStatementData } from '../app/monthlyReportData.js';
import { resultsPage } from './views/results.js';
import { registerForm, registerIndex } from './views/register.js';
import { loginPage, noRolePage } from './views/login.js';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const LOGIN_COOKIE = 'gl_login';
/**
 * Ties the provider's answer to the browser that asked: SameSite=Lax, because the answer comes
 * as a top-level navigation from the provider's site, where a Strict cookie is not sent.
 */
const OIDC_COOKIE = 'gl_oidc';
/** How long a person may take at the provider's sign-in page. */
const OIDC_PENDING_MS = 10 * 60_000;
const MAX_PENDING_SIGN_INS = 10_000;
/** The pages' paths; everything else is the API's (its own headers, its own 404). */
export function isPagePath(path: string): boolean {
  return /^\/(?:$|logga-in$|logga-ut$|auth\/(?:login|callback)$|statsbidrag(?:$|\/)|resultat$|registrera(?:$|\/)|nedladdning\/|static\/)/.test(path);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebOptions {
  readonly limiter: AuthFailureLimiter;
  readonly log: (line: Record<string, unknown>) => void;
  /** For tests of expiry; the wall clock otherwise. */
  readonly now?: () => number;
  /** The municipality's identity provider, when LEDGER_OIDC_* configure one. */
  readonly oidc?: OidcIdentityProvider | undefined;
}

declare module 'express-serve-static-core' {
  interface Locals {
    session?: Session;
  }
}

function send(response: Response, status: number, title: string, section: Section, body: Html, session: Session | null): void {
  const flash = session?.flash;
  if (session) session.flash = undefined;
  response.status(status).type('text/html; charset=utf-8').send(page({ title, session, section, body, flash }).text);
}

function query(request: Request): Record<string, unknown> {
  return request.query as Record<string, unknown>;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The web pages, mounted on the API's app and port. Pages call the Ledger in-process, through the
 * same query and command methods as the API (commands with a command context, so idempotency and
 * concurrency work alike).
 */
export function webRouter(ledger: Ledger, options: WebOptions): express.Router {
  const sessions = new SessionStore(options.now);
  const reports = pageLedger(ledger);
  const router = express.Router();
  const oidc = options.oidc;
  const now = options.now ?? Date.now;
  const pageCsp = oidc ? pageCspWith([oidc.authorizationOrigin]) : PAGE_CSP;

  router.use((request: Request, response: Response, next: NextFunction) => {
    if (isPagePath(request.path)) response.setHeader('Content-Security-Policy', pageCsp);
    next();
  });
  router.use(['/logga-in', '/logga-ut', '/registrera'], express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));

  router.get('/static/app.css', (_request: Request, response: Response) => {
    response.setHeader('Cache-Control', 'public, max-age=3600');
    response.type('text/css').sendFile('app.css', { root: STATIC_DIR });
  });

  /** The signed-in session, its token still valid; otherwise off to Logga in. */
  const signedIn = async (request: Request, response: Response, next: NextFunction) => {
    const id = cookieOf(request, SESSION_COOKIE);
    const session = sessions.get(id);
    if (session && (session.token === undefined || (await identityOfToken(ledger, session.token))?.role === session.role)) {
      response.locals.session = session;
      next();
      return;
    }
    if (session) sessions.destroy(session.id);
    if (id !== undefined) clearSessionCookie(request, response);
    response.redirect(303, '/logga-in');
  };

  const sessionOf = (response: Response): Session => response.locals.session!;

  const forbidden = (response: Response, session: Session) =>
    send(response, 403, 'Ingen behörighet', null, html`<h1>Ingen behörighet</h1><p>Din roll (${session.role}) får inte registrera. Du kan läsa alla rapporter.</p><p><a href="/">Till översikten</a></p>`, session);

  const csrfOk = (request: Request, response: Response, session: Session): boolean => {
    if (csrfMatches(session, (request.body as Record<string, unknown> | undefined)?.csrf)) return true;
    send(response, 403, 'Formuläret gick inte att skicka', null, html`<h1>Formuläret gick inte att skicka</h1><p>Formuläret hörde inte till din inloggning. Ladda om sidan och försök igen.</p>`, session);
    return false;
  };

  // Logga in and Logga ut

  const renderLogin = (response: Response, status: number, error: string | null, message: string | null, oidcError: string | null = null) => {
    // Login CSRF: a value in a cookie and in the form must match (there is no session yet).
    const loginCsrf = randomBytes(24).toString('base64url');
    response.append('Set-Cookie', `${LOGIN_COOKIE}=${loginCsrf}; Path=/logga-in; HttpOnly; SameSite=Strict${response.req.secure ? '; Secure' : ''}`);
    send(response, status, oidcError ? 'Fel: Logga in' : 'Logga in', null, loginPage(loginCsrf, error, message, { oidc: oidc !== undefined, oidcError }), null);
  };

  router.get('/logga-in', (request: Request, response: Response) => {
    const session = sessions.get(cookieOf(request, SESSION_COOKIE));
    if (session) {
      response.redirect(303, '/');
      return;
    }
    renderLogin(response, 200, null, request.query.utloggad === '1' ? 'Du är utloggad.' : null);
  });

  router.post('/logga-in', async (request: Request, response: Response) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const expected = cookieOf(request, LOGIN_COOKIE);
    if (expected === undefined || str(body.csrf) !== expected) {
      renderLogin(response, 403, 'Inloggningsformuläret hade gått ut. Skriv nyckeln igen.', null);
      return;
    }
    const client = request.socket.remoteAddress ?? 'unknown';
    const wait = options.limiter.retryAfterSeconds(client);
    if (wait > 0) {
      response.setHeader('Retry-After', String(wait));
      renderLogin(response, 429, `För många felaktiga nycklar. Försök igen om ${wait} sekunder.`, null);
      return;
    }
    const token = str(body.token).trim();
    if (token === '') {
      renderLogin(response, 400, 'Skriv din nyckel.', null);
      return;
    }
    const identity = await identityOfToken(ledger, token);
    if (!identity) {
      options.limiter.recordFailure(client);
      renderLogin(response, 401, 'Nyckeln godtas inte. Kontrollera att du har skrivit den rätt, eller be administratören om en ny.', null);
      return;
    }
    if (identity.role === 'admin') {
      renderLogin(response, 403, 'Det är en administratörsnyckel; den ger inte tillgång till sidorna. Logga in med en nyckel för ekonom eller revisor.', null);
      return;
    }
    const session = sessions.create(identity, token);
    response.append('Set-Cookie', `${LOGIN_COOKIE}=; Path=/logga-in; HttpOnly; SameSite=Strict; Max-Age=0`);
    setSessionCookie(request, response, session.id);
    response.redirect(303, '/');
  });

  // Logga in med kommunens konto: the authorization code flow with PKCE, state and nonce.

  /** Sign-ins under way: what the browser must bring back, kept here and never in the browser. */
  const pendingSignIns = new Map<string, PendingSignIn & { readonly expiresAt: number }>();

  router.post('/auth/login', async (request: Request, response: Response) => {
    if (!oidc) {
      send(response, 404, 'Sidan finns inte', null, html`<h1>Sidan finns inte</h1><p>Inloggning med kommunens konto är inte inställd här.</p><p><a href="/logga-in">Till inloggningen</a></p>`, null);
      return;
    }
    const at = now();
    for (const [key, pending] of pendingSignIns) if (pending.expiresAt <= at) pendingSignIns.delete(key);
    if (pendingSignIns.size >= MAX_PENDING_SIGN_INS) pendingSignIns.delete(pendingSignIns.keys().next().value!);
    const { url, pending } = await oidc.startSignIn();
    const key = randomBytes(32).toString('base64url');
    pendingSignIns.set(key, { ...pending, expiresAt: at + OIDC_PENDING_MS });
    response.append('Set-Cookie', `${OIDC_COOKIE}=${key}; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age=${OIDC_PENDING_MS / 1000}${request.secure ? '; Secure' : ''}`);
    response.redirect(303, url.href);
  });

  router.get('/auth/callback', async (request: Request, response: Response) => {
    if (!oidc) {
      send(response, 404, 'Sidan finns inte', null, html`<h1>Sidan finns inte</h1>`, null);
      return;
    }
    const key = cookieOf(request, OIDC_COOKIE);
    const pending = key === undefined ? undefined : pendingSignIns.get(key);
    // One use only: a second answer for the same sign-in (a replayed code) finds nothing.
    if (key !== undefined) pendingSignIns.delete(key);
    response.append('Set-Cookie', `${OIDC_COOKIE}=; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age=0${request.secure ? '; Secure' : ''}`);
    if (!pending || pending.expiresAt <= now()) {
      renderLogin(response, 400, null, null, 'Inloggningen med kommunens konto hade gått ut eller startades inte här. Försök igen.');
      return;
    }
    if (typeof request.query.error === 'string') {
      options.log({ time: new Date().toISOString(), level: 'warn', event: 'oidc-sign-in-refused', requestId: request.id, error: request.query.error.slice(0, 100) });
      renderLogin(response, 401, null, null, 'Kommunens inloggning gick inte igenom. Försök igen, eller logga in med din nyckel.');
      return;
    }
    // The URL the provider sent the browser to: the configured redirect URL with the answer's query.
    const callbackUrl = new URL(oidc.config.redirectUrl.href);
    callbackUrl.search = new URL(request.originalUrl, 'http://callback.invalid').search;
    let result;
    try {
      result = await oidc.finishSignIn(callbackUrl, pending);
    } catch (error) {
      options.log({ time: new Date().toISOString(), level: 'warn', event: 'oidc-sign-in-failed', requestId: request.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      renderLogin(response, 401, null, null, 'Svaret från kommunens inloggning gick inte att godta. Försök igen, eller logga in med din nyckel.');
      return;
    }
    if (!result.ok) {
      renderLogin(response, 401, null, null, 'Kommunens inloggning sade inte vem du är. Kontakta IT-avdelningen.');
      return;
    }
    // The pages admit ekonomer and revisorer; an admin signs in to the API, not here.
    const role = result.roles.find((candidate) => candidate === 'ekonom' || candidate === 'revisor');
    if (role === undefined) {
      options.log({ time: new Date().toISOString(), level: 'warn', event: 'oidc-sign-in-without-role', requestId: request.id });
      send(response, 403, 'Ingen behörighet', null, noRolePage(result.principal.displayName, groupsGivingAccess(oidc.config), oidc.config.roleClaim), null);
      return;
    }
    const session = sessions.create({ name: result.principal.displayName, role, tokenId: principalTokenId(result.principal) }, undefined);
    setSessionCookie(request, response, session.id);
    response
      .status(200)
      .type('text/html; charset=utf-8')
      .send(page({ title: 'Inloggad', session: null, section: null, continueTo: '/', body: html`<h1>Du är inloggad</h1><p><a href="/">Fortsätt till översikten</a></p>` }).text);
  });

  router.post('/logga-ut', (request: Request, response: Response) => {
    const session = sessions.get(cookieOf(request, SESSION_COOKIE));
    if (session) {
      if (!csrfOk(request, response, session)) return;
      sessions.destroy(session.id);
    }
    clearSessionCookie(request, response);
    response.redirect(303, '/logga-in?utloggad=1');
  });

  // Reports

  // A historical view is readied in slices first (see Ledger.ready), so no page holds the event loop for long.
  router.get('/', signedIn, async (request: Request, response: Response) => {
    const session = sessionOf(response);
    const parsed = clocksOf(query(request));
    await reports.ready(parsed.clocks, 'summaries', 'revenue');
    send(response, Object.keys(parsed.errors).length ? 400 : 200, 'Översikt', 'oversikt', overviewPage(reports, parsed, str(request.query.committee)), session);
  });

  router.get('/statsbidrag', signedIn, async (request: Request, response: Response) => {
    const parsed = clocksOf(query(request));
    await reports.ready(parsed.clocks, 'summaries');
    const { list, errors } = grantListQueryOf(query(request));
    const status = Object.keys(parsed.errors).length + Object.keys(errors).length ? 400 : 200;
    send(response, status, 'Statsbidrag', 'statsbidrag', grantListPage(reports, parsed, list, errors), sessionOf(response));
  });

  const download = async (response: Response, data: ReportData, format: 'xlsx' | 'csv', filename: string) => {
    const body = await renderReport(data, format);
    response.setHeader('Content-Disposition', `attachment; filename="${filename}.${format}"`);
    response.status(200).type(CONTENT_TYPES[format]).send(body);
  };

  const badRequest = (response: Response, session: Session, errors: FieldErrors) =>
    send(response, 400, 'Felaktigt urval', null, html`<h1>Felaktigt urval</h1><ul>${Object.values(errors).map((message) => html`<li>${message}</li>`)}</ul>`, session);

  for (const format of ['xlsx', 'csv'] as const) {
    router.get(`/nedladdning/statsbidrag.${format}`, signedIn, async (request: Request, response: Response) => {
      const parsed = clocksOf(query(request));
      const { list, errors } = grantListQueryOf(query(request));
      if (Object.keys(parsed.errors).length + Object.keys(errors).length) return badRequest(response, sessionOf(response), { ...errors, ...parsed.errors });
      await reports.ready(parsed.clocks, 'summaries');
      // The report's own columns and formats, over the same rows as the page (generella included).
      const report = reports.grantList(filterOf(list), parsed.clocks) as unknown as Parameters<typeof unusedGrantsData>[0];
      await download(response, unusedGrantsData(report, { asOf: parsed.clocks.asOf ?? null, knownAt: parsed.clocks.knownAt ?? null }), format, 'statsbidrag');
    });
    router.get(`/nedladdning/resultat.${format}`, signedIn, async (request: Request, response: Response) => {
      const parsed = clocksOf(query(request));
      if (Object.keys(parsed.errors).length) return badRequest(response, sessionOf(response), parsed.errors);
      await reports.ready(parsed.clocks, 'revenue');
      const committee = str(request.query.committee);
      const report = reports.committeeResults(/^[a-z0-9-]{2,64}$/.test(committee) ? { committee } : {}, parsed.clocks);
      await download(response, committeeResultsData(report, { asOf: parsed.clocks.asOf ?? null, knownAt: parsed.clocks.knownAt ?? null }), format, 'resultat');
    });
    router.get(`/statsbidrag/:grantId/bidragsredovisning.${format}`, signedIn, async (request: Request, response: Response) => {
      const parsed = clocksOf(query(request));
      if (Object.keys(parsed.errors).length) return badRequest(response, sessionOf(response), parsed.errors);
      const grantId = str(request.params.grantId);
      // The ledger's grant statement (bidragsredovisning), the same as GET /api/reports/grant-statement.
      const statement = grantStatementFor(ledger, grantId, parsed.clocks);
      if (statement === null || statement === 'not-in-view') {
        send(response, 404, 'Statsbidraget finns inte', null, html`<h1>Statsbidraget finns inte i vyn</h1>`, sessionOf(response));
        return;
      }
      const data = grantStatementData(statement, { asOf: parsed.clocks.asOf ?? null, knownAt: parsed.clocks.knownAt ?? null });
      await download(response, data, format, `bidragsredovisning-${grantId.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    });
  }

  router.get('/statsbidrag/:grantId', signedIn, async (request: Request, response: Response) => {
    const parsed = clocksOf(query(request));
    const found = await grantPage(reports, str(request.params.grantId), parsed, sessionOf(response));
    send(response, found.status, found.title, 'statsbidrag', found.body, sessionOf(response));
  });

  router.get('/resultat', signedIn, async (request: Request, response: Response) => {
    const parsed = clocksOf(query(request));
    await reports.ready(parsed.clocks, 'revenue');
    send(response, Object.keys(parsed.errors).length ? 400 : 200, 'Resultat', 'resultat', resultsPage(reports, parsed, str(request.query.committee), str(request.query.page)), sessionOf(response));
  });

  // Registrera (ekonom)

  router.get('/registrera', signedIn, (_request: Request, response: Response) => {
    const session = sessionOf(response);
    if (session.role !== 'ekonom') return forbidden(response, session);
    send(response, 200, 'Registrera', 'registrera', registerIndex(), session);
  });

  const renderForm = (response: Response, status: number, form: FormSpec, session: Session, typed: Typed, errors: FieldErrors, key: string, general: string[] = []) =>
    send(response, status, Object.keys(errors).length + general.length ? `Fel: ${form.title}` : form.title, 'registrera', registerForm(form, session, typed, errors, key, general), session);

  router.get('/registrera/:slug', signedIn, (request: Request, response: Response) => {
    const session = sessionOf(response);
    if (session.role !== 'ekonom') return forbidden(response, session);
    const form = formBySlug(str(request.params.slug));
    if (!form) {
      send(response, 404, 'Formuläret finns inte', 'registrera', html`<h1>Formuläret finns inte</h1><p><a href="/registrera">Alla formulär</a></p>`, session);
      return;
    }
    const typed: Record<string, string> = {};
    for (const field of form.fields) if (field.fromQuery) typed[field.name] = str(request.query[field.name]).slice(0, 200);
    renderForm(response, 200, form, session, typed, {}, randomUUID());
  });

  router.post('/registrera/:slug', signedIn, async (request: Request, response: Response) => {
    const session = sessionOf(response);
    if (!csrfOk(request, response, session)) return;
    if (session.role !== 'ekonom') return forbidden(response, session);
    const form = formBySlug(str(request.params.slug));
    if (!form) {
      send(response, 404, 'Formuläret finns inte', 'registrera', html`<h1>Formuläret finns inte</h1>`, session);
      return;
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const typed = typedOf(form, body);
    const givenKey = str(body.idempotencyKey);
    const key = UUID.test(givenKey) ? givenKey.toLowerCase() : randomUUID();
    const parsed = parseTyped(form, typed);
    if (Object.keys(parsed.errors).length) return renderForm(response, 400, form, session, typed, parsed.errors, key);
    const checked = validate(form, parsed.values);
    if (!checked.data) return renderForm(response, 400, form, session, typed, checked.errors, key);
    const context = {
      actor: session.name,
      tokenId: session.tokenId ?? 'web',
      commandId: key,
      correlationId: request.id ?? key,
      requestHash: requestHashOf(form, checked.data),
    };
    try {
      const outcome = await form.execute(ledger, checked.data, context);
      session.flash = outcome.message;
      response.redirect(303, outcome.redirect);
    } catch (error) {
      if (error instanceof DomainError) {
        const refusal = refusalOf(form, error.rule, error.field);
        return refusal.field
          ? renderForm(response, 409, form, session, typed, { [refusal.field]: refusal.message }, key)
          : renderForm(response, 409, form, session, typed, {}, key, [refusal.message]);
      }
      if (error instanceof IdempotencyKeyReusedError) {
        // The same rendered form was sent again with other values: a new key for a new attempt.
        return renderForm(response, 409, form, session, typed, {}, randomUUID(), ['Formuläret har redan skickats med andra uppgifter. Kontrollera uppgifterna och skicka igen om det ska registreras en gång till.']);
      }
      if (error instanceof StaleRevisionError || error instanceof ContentionError) {
        return renderForm(response, 409, form, session, typed, {}, key, ['Någon annan registrerade samtidigt. Försök igen.']);
      }
      if (error instanceof ReadModelRebuildingError) response.setHeader('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof StoreUnavailableError || error instanceof ReadModelStoppedError || error instanceof ProjectionError || error instanceof ReadModelRebuildingError) {
        return renderForm(response, 503, form, session, typed, {}, key, ['Huvudboken tar inte emot registreringar just nu. Försök igen om en stund; inget har registrerats två gånger.']);
      }
      throw error;
    }
  });

  // Failures inside the pages: a Swedish page, never a stack.
  router.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (!isPagePath(request.path)) {
      next(error);
      return;
    }
    if (error instanceof ReadModelRebuildingError) response.setHeader('Retry-After', String(error.retryAfterSeconds));
    const status = error instanceof StoreUnavailableError || error instanceof ReadModelStoppedError || error instanceof ReadModelRebuildingError ? 503 : (error as { status?: number }).status === 400 ? 400 : 500;
    if (status === 500) options.log({ time: new Date().toISOString(), level: 'error', requestId: request.id, error: error instanceof Error ? error.stack : String(error) });
    response.setHeader('Content-Security-Policy', pageCsp);
    const message = status === 503 ? 'Huvudboken svarar inte just nu. Försök igen om en stund.' : status === 400 ? 'Adressen gick inte att läsa.' : 'Ett fel uppstod. Det är loggat; försök igen eller kontakta administratören.';
    send(response, status, 'Något gick fel', null, html`<h1>Något gick fel</h1><p>${message}</p><p><a href="/">Till översikten</a></p>`, response.locals.session ?? null);
  });

  return router;
}
