import { createHmac, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { z } from 'zod';
import type { Ledger } from '../app/ledger.js';
import type { IssuedToken } from '../app/readModel.js';
import type { TokenRefusal } from '../app/tokens.js';
import { ContentionError, IdempotencyKeyReusedError, ReadModelRebuildingError, StaleRevisionError } from '../app/errors.js';
import { DomainError } from '../domain/errors.js';
import { StoreUnavailableError } from '../store/port.js';
import { ProjectionError, ReadModelStoppedError } from '../app/readModel.js';
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMIT, type AuthFailureLimit } from './authFailureLimiter.js';
import { HttpProblem, invalidInput, statusOfRule, type InputLocation } from './problems.js';
import { openApiDocument } from './openapi.js';
import { writeCommandOf, writeHeadersOf } from './commandContext.js';
import { createLogger, lineWriter, startAccessLog, type LogWriter } from './requestLog.js';
import { setStaticHeaders, staticHeadersOf, type StaticHeader } from './staticHeaders.js';
import { route, type RouteSpec } from './route.js';
import { grantRoutes } from './routes/grants.js';
import { budgetRoutes } from './routes/budgets.js';
import { reportRoutes } from './routes/reports.js';
import { systemRoutes } from './routes/system.js';
import { webRouter } from '../web/routes.js';
import { sieRoutes } from './routes/sie.js';
import type { BearerRefusal, OidcIdentityProvider } from '../oidc/provider.js';
import { groupsGivingAccess, principalTokenId } from '../oidc/identity.js';

/** Routes anyone may call: the health check and the API's description. */
const publicRoutes = [
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/health',
    summary: "The read model's and the store's health; 503 with the problem when either fails",
    access: 'public',
    successStatus: 200,
    handle: async ({ ledger, raw }) => {
      // While the read model is rebuilt in the background the status is 'rebuilding': 200 while a
      // previous read model answers queries, 503 while none does (a load balancer then waits).
      const rebuilding = ledger.rebuilding();
      const statusCode = (status: string) => (status === 'ok' || (status === 'rebuilding' && rebuilding?.serving === 'previous') ? 200 : 503);
      const retryAfter = ledger.rebuildRetryAfterSeconds();
      if (retryAfter !== null) raw.res?.setHeader('Retry-After', String(retryAfter));
      // Anyone may ask whether the ledger is up; what is wrong (and where the store is) only an admin
      // learns. The public answer takes no lock and probes nothing: it cannot be used to slow writers.
      const header = raw.get('Authorization');
      const match = header === undefined ? null : BEARER.exec(header);
      const caller = match ? await ledger.authenticate(match[1]!) : null;
      if (caller?.ok && caller.identity.role === 'admin') {
        const health = await ledger.health();
        return { status: statusCode(health.status), body: health };
      }
      const status = ledger.quickStatus();
      return { status: statusCode(status), body: { status } };
    },
  }),
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    access: 'public',
    successStatus: 200,
    handle: ({ raw }) => ({ status: 200, body: raw.app.locals.openApiDocument as unknown }),
  }),
];

/** Every route the server answers, each with who may call it; the router serves only these. */
export const ROUTES: readonly RouteSpec[] = [...publicRoutes, ...grantRoutes, ...budgetRoutes, ...reportRoutes, ...systemRoutes, ...sieRoutes];

/** Body size limit: the largest command is a few kilobytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface HttpOptions {
  /** Receives each structured log line instead of stdout (tests); never given a token. */
  readonly log?: LogWriter;
  readonly version?: string;
  /** How many bad tokens a client address may present per window. */
  readonly authFailureLimit?: AuthFailureLimit;
  /** express's `trust proxy`: whose X-Forwarded-For names the client (LEDGER_TRUST_PROXY). Trust none by default. */
  readonly trustProxy?: boolean | number | string;
  /** The secret behind the log's pseudonyms; a random one per process when absent. */
  readonly logSecret?: string | Buffer;
  /** The municipality's identity provider (LEDGER_OIDC_*): its JWTs are accepted as bearer tokens too. */
  readonly oidc?: OidcIdentityProvider | undefined;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,256})$/;
/** A compact JWS (header.payload.signature, base64url), as identity providers issue; Entra ID's run to a few kilobytes. */
const JWT_BEARER = /^Bearer (eyJ[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,12288}\.[A-Za-z0-9_-]{1,1024})$/;

const JWT_REFUSAL_CODE: Record<BearerRefusal, string> = {
  expired: 'TOKEN_EXPIRED',
  'not-yet-valid': 'TOKEN_NOT_YET_VALID',
  'wrong-issuer': 'TOKEN_WRONG_ISSUER',
  'wrong-audience': 'TOKEN_WRONG_AUDIENCE',
  'unknown-key': 'TOKEN_UNKNOWN_KEY',
  'bad-signature': 'UNAUTHORIZED',
  malformed: 'UNAUTHORIZED',
  'no-subject': 'UNAUTHORIZED',
  'provider-unreachable': 'IDENTITY_PROVIDER_UNAVAILABLE',
};

/** The Content-Security-Policy of every answer: nothing but the ledger's own pages and scripts. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
};

/** Too many bad tokens from one address: refused before the token is even looked at. */
class TooManyAuthFailures extends HttpProblem {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'TOO_MANY_AUTHENTICATION_FAILURES', 'Too many requests', `too many invalid tokens from this address; try again in ${retryAfterSeconds} s`);
  }
}

/**
 * A stable pseudonym for the caller in logs: correlates lines without writing a person's name.
 * An HMAC with a secret the server keeps: a plain hash of a name could be reversed by hashing
 * the staff list.
 */
function actorRefFor(secret: string | Buffer): (tokenId: string) => string {
  // Computed once per token, not per request: the live tokens are few.
  const known = new Map<string, string>();
  return (tokenId) => {
    let ref = known.get(tokenId);
    if (ref === undefined) {
      ref = createHmac('sha256', secret).update(`grantledger-log:${tokenId}`).digest('hex').slice(0, 16);
      if (known.size >= 10_000) known.clear();
      known.set(tokenId, ref);
    }
    return ref;
  };
}

const REFUSAL_DETAIL: Record<TokenRefusal, { code: string; detail: string }> = {
  unknown: { code: 'UNAUTHORIZED', detail: 'the token is not valid' },
  expired: { code: 'TOKEN_EXPIRED', detail: 'the token has expired; ask an admin for a new one' },
  revoked: { code: 'TOKEN_REVOKED', detail: 'the token was revoked' },
  unsigned: { code: 'TOKEN_NOT_SIGNED', detail: 'the token is not in any signed tree head of the log: it was not issued by this ledger' },
};

const TITLES: Record<number, string> = {
  400: 'Invalid input',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Refused by a rule',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Store unavailable',
};

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, location: InputLocation): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error, location);
  return result.data;
}

/**
 * The caller behind the bearer token. The token is hashed and the hash looked up, so no comparison
 * runs over the secret itself (its timing reveals nothing of the token). A valid token is always
 * served, whatever else came from the same address (colleagues behind one NAT, a proxy); an
 * address that presented too many bad tokens gets 429 for its further bad ones. The address is
 * express's request.ip, so behind a trusted proxy (LEDGER_TRUST_PROXY) it is the client's own.
 */
async function authenticate(
  request: Request,
  ledger: Ledger,
  limiter: AuthFailureLimiter,
  log: (line: Record<string, unknown>) => void,
  oidc?: OidcIdentityProvider,
): Promise<IssuedToken> {
  const header = request.get('Authorization');
  if (header === undefined) throw new HttpProblem(401, 'UNAUTHORIZED', TITLES[401]!, 'send Authorization: Bearer <token>');
  const match = BEARER.exec(header);
  const result = match ? await ledger.authenticate(match[1]!) : null;
  if (result?.ok) return result.identity;
  const client = request.ip ?? request.socket.remoteAddress ?? 'unknown';
  const jwt = oidc && (result === null || result.reason === 'unknown') ? JWT_BEARER.exec(header) : null;
  if (oidc && jwt) return authenticateJwt(jwt[1]!, oidc, request, client, limiter, log);
  const reason: TokenRefusal = result === null ? 'unknown' : result.reason;
  log({ time: new Date().toISOString(), level: 'warn', event: 'authentication-failed', requestId: request.id, client, reason });
  const retryAfterSeconds = limiter.retryAfterSeconds(client);
  if (retryAfterSeconds > 0) throw new TooManyAuthFailures(retryAfterSeconds);
  limiter.recordFailure(client);
  if (!match) throw new HttpProblem(401, 'UNAUTHORIZED', TITLES[401]!, 'send Authorization: Bearer <token>');
  const refusal = REFUSAL_DETAIL[reason];
  throw new HttpProblem(401, refusal.code, TITLES[401]!, refusal.detail);
}

/**
 * A JWT from the municipality's identity provider: the identity it vouches for, with the role its
 * claim gives, written into events as `oidc:<issuer>#<subject>` and the display name. Refusals
 * count against the address like a bad ledger token, except when the provider's keys cannot be
 * fetched (503: not the caller's fault).
 */
async function authenticateJwt(
  jwt: string,
  oidc: OidcIdentityProvider,
  request: Request,
  client: string,
  limiter: AuthFailureLimiter,
  log: (line: Record<string, unknown>) => void,
): Promise<IssuedToken> {
  const retryAfterSeconds = limiter.retryAfterSeconds(client);
  const verified = await oidc.verifyBearer(jwt);
  if (verified.ok) {
    const role = verified.roles[0];
    if (role === undefined) {
      log({ time: new Date().toISOString(), level: 'warn', event: 'authentication-without-role', requestId: request.id, client });
      const groups = groupsGivingAccess(oidc.config, ['admin', 'ekonom', 'revisor']);
      throw new HttpProblem(403, 'NO_ROLE', TITLES[403]!, `the token's ${oidc.config.roleClaim} claim gives no role in this ledger; access is given by membership of: ${groups.join(', ')}`);
    }
    return { tokenId: principalTokenId(verified.principal), name: verified.principal.displayName, role };
  }
  log({ time: new Date().toISOString(), level: 'warn', event: 'authentication-failed', requestId: request.id, client, reason: `oidc-${verified.reason}` });
  if (verified.reason === 'provider-unreachable') throw new HttpProblem(503, JWT_REFUSAL_CODE[verified.reason], 'Identity provider unavailable', verified.detail);
  if (retryAfterSeconds > 0) throw new TooManyAuthFailures(retryAfterSeconds);
  limiter.recordFailure(client);
  throw new HttpProblem(401, JWT_REFUSAL_CODE[verified.reason], TITLES[401]!, verified.detail);
}

/** A request body whose compression cannot be undone: the client's fault, 400 not 500. */
function isBrokenEncoding(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code === 'ERR__ERROR_FORMAT_PADDING_1' || code.startsWith('ERR_PADDING'));
}

/** Runs a body parser as a promise, so a route reads its body only after the token was checked. */
function parseBody(parser: RequestHandler, request: Request, response: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void parser(request, response, (error?: unknown) => (error ? reject(error) : resolve()));
  });
}

/** Maps every failure to problem details in one place. */
export function problemOf(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof DomainError) {
    const status = statusOfRule(error.rule);
    return new HttpProblem(status, error.rule, TITLES[status]!, error.message, error.field ? [{ path: `body.${error.field}`, message: error.message }] : undefined);
  }
  if (error instanceof StaleRevisionError) return new HttpProblem(412, 'STALE_REVISION', TITLES[412]!, error.message);
  if (error instanceof IdempotencyKeyReusedError) {
    return new HttpProblem(422, 'IDEMPOTENCY_KEY_REUSED', TITLES[422]!, error.message, [{ path: 'header.Idempotency-Key', message: error.message }]);
  }
  if (error instanceof ContentionError) return new HttpProblem(409, 'CONTENTION', TITLES[409]!, error.message);
  if (error instanceof StoreUnavailableError) return new HttpProblem(503, 'STORE_UNAVAILABLE', TITLES[503]!, error.message);
  if (error instanceof ReadModelRebuildingError) return new RetryLater(503, 'READ_MODEL_REBUILDING', 'Read model rebuilding', `${error.message}; see /health`, error.retryAfterSeconds);
  if (error instanceof ReadModelStoppedError || error instanceof ProjectionError) {
    return new HttpProblem(503, 'READ_MODEL_STOPPED', 'Read model stopped', `${error.message}; see /health`);
  }
  const bodyError = error as { type?: string; status?: number };
  if (bodyError.type === 'entity.too.large') {
    return new HttpProblem(413, 'PAYLOAD_TOO_LARGE', TITLES[413]!, `the body must be at most ${BODY_LIMIT_BYTES} bytes`);
  }
  if (bodyError.type === 'encoding.unsupported') {
    return new HttpProblem(415, 'UNSUPPORTED_ENCODING', TITLES[415]!, 'the body\'s Content-Encoding is not supported: send identity, gzip, deflate or br');
  }
  if (isBrokenEncoding(error) || (error instanceof Error && /incorrect header check|unexpected end of file|invalid (block type|distance|stored block)|decompression/i.test(error.message))) {
    return new HttpProblem(400, 'MALFORMED_ENCODING', TITLES[400]!, 'the body could not be decompressed as its Content-Encoding says', [{ path: 'body', message: 'broken compression' }]);
  }
  if (bodyError.type === 'entity.parse.failed') {
    return new HttpProblem(400, 'MALFORMED_JSON', TITLES[400]!, 'the body is not a JSON object', [{ path: 'body', message: 'malformed JSON' }]);
  }
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500 && bodyError.type !== undefined) {
    return new HttpProblem(bodyError.status, 'BAD_REQUEST', TITLES[bodyError.status] ?? 'Bad request', `the request could not be read (${bodyError.type})`);
  }
  if (error instanceof URIError && bodyError.status === 400) {
    // The router could not percent-decode a path segment.
    return new HttpProblem(400, 'MALFORMED_PATH', TITLES[400]!, 'the path is not validly percent-encoded', [{ path: 'path', message: 'malformed percent-encoding' }]);
  }
  return new HttpProblem(500, 'INTERNAL_ERROR', TITLES[500]!, 'an internal error occurred; it has been logged');
}

export function createHttpApp(ledger: Ledger, options: HttpOptions = {}): express.Express {
  const logger = createLogger(options.log);
  const log = lineWriter(logger);
  const limiter = new AuthFailureLimiter(options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT);
  const actorRef = actorRefFor(options.logSecret ?? randomBytes(32));
  const jsonBody = express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: ['application/json', 'application/*+json'] });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy ?? false);
  // helmet's headers (all constant here) are recorded once and set by the one edge middleware
  // below, with the access log and the rebuild check: every layer of express's router costs a
  // dispatch per request, and helmet alone is a chain of a dozen (see docs/scale.md, HTTP).
  const edgeHeaders: StaticHeader[] = [
    ...staticHeadersOf(
      helmet({
        contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
        frameguard: { action: 'deny' },
        referrerPolicy: { policy: 'no-referrer' },
        crossOriginResourcePolicy: { policy: 'same-origin' },
        // Plain HTTP on 127.0.0.1 by default; TLS ends at the operator's proxy, which sets HSTS.
        strictTransportSecurity: false,
      }),
    ),
    // Answers carry ledger data: no cache along the way keeps a copy.
    ['Cache-Control', 'no-store'],
  ];

  app.locals.openApiDocument = openApiDocument([...ROUTES], options.version ?? '0.0.0');

  app.use((request: Request, response: Response, next: NextFunction) => {
    setStaticHeaders(response, edgeHeaders);
    startAccessLog(logger, request, response);
    // While the read model is rebuilt with no previous one to answer from, every query (API and
    // pages) answers 503 with Retry-After; only /health and the API's description answer. Commands
    // are refused by the ledger itself during any rebuild (see Ledger.rebuildBehind).
    if (request.path !== '/health' && request.path !== '/api/openapi.json') ledger.assertQueryable();
    next();
  });

  for (const spec of ROUTES) {
    app[spec.method](spec.path, async (request: Request, response: Response) => {
      let caller: IssuedToken | null = null;
      if (spec.access !== 'public') {
        caller = await authenticate(request, ledger, limiter, log, options.oidc);
        response.locals.actorRef = actorRef(caller.tokenId);
        response.locals.role = caller.role;
        if (!spec.access.includes(caller.role)) {
          throw new HttpProblem(403, 'FORBIDDEN', TITLES[403]!, `role ${caller.role} may not ${spec.method.toUpperCase()} ${spec.path}`);
        }
      }
      // Only now, with the caller known and allowed, is a body read (and decompressed).
      if (spec.method === 'post') await parseBody(jsonBody, request, response);
      const params = parse(spec.params, { ...request.params }, 'path');
      const query = parse(spec.query, { ...(request.query as object) }, 'query');
      const body = spec.method === 'post' ? parse(spec.body, request.body ?? null, 'body') : undefined;
      // A write's context (Idempotency-Key, If-Match, the request's hash) is built here, at the edge.
      const command = spec.writes ? writeCommandOf(request, caller, writeHeadersOf(request)) : null;
      const result = await spec.handle({ body, query, params, caller, raw: request, ledger, command });
      if (result.revision !== undefined) response.setHeader('ETag', `"${result.revision}"`);
      if (result.status === 204) {
        response.status(204).end();
      } else if (result.contentType !== undefined) {
        response.status(result.status).type(result.contentType).send(result.body);
      } else {
        response.status(result.status).json(result.body);
      }
    });
  }

  // The web pages in Swedish (issue 10): same app, same port, same Ledger, their own sessions.
  // After the API, so an API request never walks the pages' routes.
  app.use(webRouter(ledger, { limiter, log, oidc: options.oidc }));

  app.use((request: Request) => {
    throw new HttpProblem(404, 'NO_SUCH_ROUTE', TITLES[404]!, `no route ${request.method} ${request.path}`);
  });

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const problem = problemOf(error);
    if (problem.status >= 500) {
      log({ time: new Date().toISOString(), level: 'error', requestId: request.id, error: error instanceof Error ? error.stack : String(error) });
    }
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (problem instanceof TooManyAuthFailures || problem instanceof RetryLater) response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toProblem()));
  });
  return app;
}

/** A problem that passes: the client should ask again after this many seconds (Retry-After). */
class RetryLater extends HttpProblem {
  constructor(status: number, code: string, title: string, detail: string, readonly retryAfterSeconds: number) {
    super(status, code, title, detail);
  }
}
