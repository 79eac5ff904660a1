import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';

/** One structured log line as the rest of the server hands it over; never given a token. */
export type LogLine = Record<string, unknown>;
export type LogWriter = (line: LogLine) => void;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

let stdoutDestination: pino.DestinationStream | undefined;

/**
 * Standard output through sonic-boom, asynchronously: lines are buffered and written when the
 * event loop is free, so a slow or blocked stdout (a pipe to a log shipper, a terminal) never
 * holds up a request. One per process; whatever is still buffered is written at exit.
 */
function stdoutLog(): DestinationStream {
  if (stdoutDestination === undefined) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout already gone: nothing left to save the lines to.
      }
    });
    stdoutDestination = destination;
  }
  return stdoutDestination;
}

/** A destination that hands each line, parsed, to a function (tests read the lines this way). */
function functionDestination(write: LogWriter): DestinationStream {
  return { write: (text: string) => write(JSON.parse(text) as LogLine) };
}

/**
 * The server's logger: one JSON object a line with an ISO `time` and a `level` name, as the
 * lines always were (no pid or hostname), to stdout asynchronously unless a writer is given.
 */
export function createLogger(write?: LogWriter): Logger {
  return pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    write === undefined ? stdoutLog() : functionDestination(write),
  );
}

/** Writes a line given as an object with its own `level` (the web pages' and the router's own lines). */
export function lineWriter(logger: Logger): LogWriter {
  return (line) => {
    const { level, time: _time, ...fields } = line;
    const name = typeof level === 'string' && LEVELS.has(level) ? (level as pino.Level) : 'info';
    logger[name](fields);
  };
}

/**
 * The access log: one line per answered request with requestId, method, path, status,
 * durationMs and, for authenticated callers, the HMAC pseudonym and role the router put in
 * response.locals: never the person's name. The request id (X-Request-Id, echoed back) is the
 * client's when well formed, else a fresh uuid.
 *
 * Written through pino directly from the response's finish event rather than through
 * pino-http: pino-http builds two child loggers and runs its serializers for every request,
 * which in the HTTP benchmark's profile cost more server CPU per request than the whole line.
 * Called by the router's one edge middleware (app.ts), not a middleware of its own: every layer
 * of express's router costs a dispatch per request.
 */
export function startAccessLog(logger: Logger, request: Request, response: Response): void {
  const given = request.get('X-Request-Id');
  request.id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
  const started = process.hrtime.bigint();
  response.setHeader('X-Request-Id', request.id);
  response.on('finish', () => {
    const line = {
      requestId: request.id,
      method: request.method,
      path: request.path,
      status: response.statusCode,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      actorRef: response.locals.actorRef ?? null,
      role: response.locals.role ?? null,
    };
    if (response.statusCode >= 500) logger.error(line, 'request failed');
    else logger.info(line, 'request completed');
  });
}
