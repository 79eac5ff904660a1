import { createHash, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Ledger } from '../app/ledger.js';
import type { IssuedToken } from '../app/readModel.js';
import { ContentionError, IdempotencyKeyReusedError, StaleRevisionError } from '../app/errors.js';
import { DomainError } from '../domain/errors.js';
import { StoreUnavailableError } from '../store/port.js';
import { ProjectionError, ReadModelStoppedError } from '../app/readModel.js';
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMIT, type AuthFailureLimit } from './authFailureLimiter.js';
import { HttpProblem, invalidInput, statusOfRule, type InputLocation } from './problems.js';
import { openApiDocument } from './openapi.js';
import { route, type RouteSpec } from './route.js';
import { grantRoutes } from './routes/grants.js';
import { budgetRoutes } from './routes/budgets.js';
import { reportRoutes } from './routes/reports.js';
import { systemRoutes } from './routes/system.js';
import { webRouter } from '../web/routes.js';
import { sieRoutes } from './routes/sie.js';

/** Routes anyone may call: the health check and the API's description. */
const publicRoutes = [
  route<unknown, unknown, unknown>({
    method: 'get',
    path: '/health',
    summary: "The read model's and the store's health; 503 with the problem when either fails",
    access: 'public',
    successStatus: 200,
    handle: async ({ ledger }) => {
      const health = await ledger.health();
      return { status: health.status === 'ok' ? 200 : 503, body: health };
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
  /** Writes one structured log line; never given a token. */
  readonly log?: (line: Record<string, unknown>) => void;
  readonly version?: string;
  /** How many bad tokens a client address may present per window. */
  readonly authFailureLimit?: AuthFailureLimit;
}

/** Too many bad tokens from one address: refused before the token is even looked at. */
class TooManyAuthFailures extends HttpProblem {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'TOO_MANY_AUTHENTICATION_FAILURES', 'Too many requests', `too many invalid tokens from this address; try again in ${retryAfterSeconds} s`);
  }
}

/** A stable pseudonym for the caller in logs: correlates lines without writing a person's name. */
function actorRef(name: string): string {
  return createHash('sha256').update(`grantledger-log:${name}`).digest('hex').slice(0, 12);
}

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
 * runs over the secret itself (its timing reveals nothing of the token). An address that presented
 * too many bad tokens is refused before its token is looked at, so guessing learns nothing.
 */
function authenticate(request: Request, ledger: Ledger, limiter: AuthFailureLimiter): IssuedToken {
  const header = request.get('Authorization');
  if (header === undefined) throw new HttpProblem(401, 'UNAUTHORIZED', TITLES[401]!, 'send Authorization: Bearer <token>');
  const client = request.socket.remoteAddress ?? 'unknown';
  const retryAfterSeconds = limiter.retryAfterSeconds(client);
  if (retryAfterSeconds > 0) throw new TooManyAuthFailures(retryAfterSeconds);
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,256})$/.exec(header);
  const caller = match ? ledger.authenticate(match[1]!) : undefined;
  if (!caller) {
    limiter.recordFailure(client);
    throw new HttpProblem(401, 'UNAUTHORIZED', TITLES[401]!, match ? 'the token is not valid' : 'send Authorization: Bearer <token>');
  }
  return caller;
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
  if (error instanceof ReadModelStoppedError || error instanceof ProjectionError) {
    return new HttpProblem(503, 'READ_MODEL_STOPPED', 'Read model stopped', `${error.message}; see /health`);
  }
  const bodyError = error as { type?: string; status?: number };
  if (bodyError.type === 'entity.too.large') {
    return new HttpProblem(413, 'PAYLOAD_TOO_LARGE', TITLES[413]!, `the body must be at most ${BODY_LIMIT_BYTES} bytes`);
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
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const limiter = new AuthFailureLimiter(options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((request: Request, response: Response, next: NextFunction) => {
    const given = request.get('X-Request-Id');
    request.id = given !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    response.setHeader('X-Request-Id', request.id);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    response.on('finish', () => {
      log({
        time: new Date().toISOString(),
        level: response.statusCode >= 500 ? 'error' : 'info',
        requestId: request.id,
        method: request.method,
        path: request.path,
        status: response.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        // Never the person's name: a pseudonym and the role, enough to correlate and to audit access.
        actorRef: response.locals.actorRef ?? null,
        role: response.locals.role ?? null,
      });
    });
    next();
  });
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: ['application/json', 'application/*+json'] }));

  app.locals.openApiDocument = openApiDocument([...ROUTES], options.version ?? '0.0.0');

  // The web pages in Swedish (issue 10): same app, same port, same Ledger, their own sessions.
  app.use(webRouter(ledger, { limiter, log }));

  for (const spec of ROUTES) {
    app[spec.method](spec.path, async (request: Request, response: Response) => {
      let caller: IssuedToken | null = null;
      if (spec.access !== 'public') {
        caller = authenticate(request, ledger, limiter);
        response.locals.actorRef = actorRef(caller.name);
        response.locals.role = caller.role;
        if (!spec.access.includes(caller.role)) {
          throw new HttpProblem(403, 'FORBIDDEN', TITLES[403]!, `role ${caller.role} may not ${spec.method.toUpperCase()} ${spec.path}`);
        }
      }
      const params = parse(spec.params, { ...request.params }, 'path');
      const query = parse(spec.query, { ...(request.query as object) }, 'query');
      const body = spec.method === 'post' ? parse(spec.body, request.body ?? null, 'body') : undefined;
      const result = await spec.handle({ body, query, params, caller, raw: request, ledger });
      if (result.revision !== undefined) response.setHeader('ETag', `"${result.revision}"`);
      if (result.contentType !== undefined) {
        response.status(result.status).type(result.contentType).send(result.body);
      } else {
        response.status(result.status).json(result.body);
      }
    });
  }

  app.use((request: Request) => {
    throw new HttpProblem(404, 'NO_SUCH_ROUTE', TITLES[404]!, `no route ${request.method} ${request.path}`);
  });

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const problem = problemOf(error);
    if (problem.status >= 500) {
      log({ time: new Date().toISOString(), level: 'error', requestId: request.id, error: error instanceof Error ? error.stack : String(error) });
    }
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (problem instanceof TooManyAuthFailures) response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toProblem()));
  });
  return app;
}
