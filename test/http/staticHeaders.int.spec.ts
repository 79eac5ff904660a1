import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/http/app.js';
import { setStaticHeaders, staticHeadersOf } from '../../src/http/staticHeaders.js';

/** The headers a real server on 127.0.0.1 answers with when this middleware runs first. */
async function answeredHeaders(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.use(middleware);
  app.get('/', (_request, response) => {
    response.json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const headers = Object.fromEntries(response.headers);
    delete headers.date;
    return headers;
  } finally {
    server.close();
  }
}

describe('static headers recorded from a middleware', () => {
  const served = () =>
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      strictTransportSecurity: false,
    });

  it("answers with exactly the headers helmet itself sets, X-Powered-By removed", async () => {
    const recorded = staticHeadersOf(served());
    const viaHelmet = await answeredHeaders(served());
    const viaRecording = await answeredHeaders((_request, response, next) => {
      setStaticHeaders(response, recorded);
      next();
    });
    expect(viaRecording).toEqual(viaHelmet);
    expect(viaRecording['x-frame-options']).toBe('DENY');
    expect(viaRecording['x-powered-by']).toBeUndefined();
  });

  it('refuses a middleware whose headers depend on the request', () => {
    const perRequest: RequestHandler = (request, _response, next) => {
      if (request.get('X-Anything') === undefined) return;
      next();
    };
    expect(() => staticHeadersOf(perRequest)).toThrow(/constant headers/);
  });
});
