import type { Request, RequestHandler, Response } from 'express';

/** A header every answer carries, with the same value: set, or removed (value null). */
export type StaticHeader = readonly [name: string, value: string | null];

/**
 * The headers a middleware that only sets constant headers (helmet with static directives) sets,
 * recorded once at start, so each request sets them in one loop instead of through a chain of
 * a dozen middlewares. The middleware stays the source of the values: a new helmet that adds or
 * changes a header changes them here too. Throws if the middleware does anything else or does
 * not call next at once, since then its headers are not constant.
 */
export function staticHeadersOf(middleware: RequestHandler): StaticHeader[] {
  const headers: StaticHeader[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      if (typeof value !== 'string') throw new Error(`header ${name} is not a constant string`);
      headers.push([name, value]);
      return recorder;
    },
    removeHeader: (name: string) => {
      headers.push([name, null]);
    },
  };
  // A request it may not read: headers that depend on the request are not constant.
  const unreadable = new Proxy({}, {
    get: (_target, property) => {
      throw new Error(`reads request.${String(property)}`);
    },
  });
  let nextCalled = false;
  try {
    void middleware(unreadable as Request, recorder as unknown as Response, (error?: unknown) => {
      if (error !== undefined) throw error;
      nextCalled = true;
    });
  } catch (error) {
    throw new Error(`the middleware does not set constant headers only (${(error as Error).message})`, { cause: error });
  }
  if (!nextCalled) throw new Error('the middleware does not set constant headers only (it did not call next)');
  return headers;
}

export function setStaticHeaders(response: Response, headers: readonly StaticHeader[]): void {
  for (const [name, value] of headers) {
    if (value === null) response.removeHeader(name);
    else response.setHeader(name, value);
  }
}
