import type { Request } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/access.js';
import type { IssuedToken } from '../app/readModel.js';
import type { Ledger } from '../app/ledger.js';
import type { WriteCommand } from './commandContext.js';

/** Who may call a route: roles, or anyone (health, the OpenAPI document). */
export type Access = readonly Role[] | 'public';

export const READERS: Access = ['ekonom', 'revisor'];
export const WRITERS: Access = ['ekonom'];
export const ADMINS: Access = ['admin'];

export interface RouteRequest<Body, Query, Params> {
  readonly body: Body;
  readonly query: Query;
  readonly params: Params;
  readonly caller: IssuedToken | null;
  readonly raw: Request;
  readonly ledger: Ledger;
  /** On a write route, the command context the router built from the caller and the headers; else null. */
  readonly command: WriteCommand | null;
}

/** The command context of a write route's request: the router builds one for every route declared `writes`. */
export function writeCommand(request: RouteRequest<unknown, unknown, unknown>): WriteCommand {
  if (request.command === null) throw new Error(`${request.raw.method} ${request.raw.path} is not declared as a write route`);
  return request.command;
}

export interface RouteResponse {
  readonly status: number;
  readonly body: unknown;
  /** The stream revision, sent as ETag. */
  readonly revision?: number;
  /** A non-JSON body (CSV, xlsx) with its content type. */
  readonly contentType?: string;
}

/**
 * One HTTP route, declared once: the router, the OpenAPI document and the access tests are all
 * generated from the same list of these.
 */
export interface RouteSpec<Body = unknown, Query = unknown, Params = unknown> {
  readonly method: 'get' | 'post' | 'delete';
  /** Express path syntax, e.g. "/api/grants/:grantId". */
  readonly path: string;
  readonly summary: string;
  readonly access: Access;
  readonly successStatus: number;
  /** True for routes that append events: they accept Idempotency-Key and If-Match. */
  readonly writes?: boolean;
  readonly params?: z.ZodType<Params>;
  readonly query?: z.ZodType<Query>;
  readonly body?: z.ZodType<Body>;
  /**
   * A body that is not JSON (a SIE file): its content type and what it holds, for the OpenAPI
   * document. The handler reads it from the request; the router parses no body for it.
   */
  readonly rawBody?: { readonly contentType: string; readonly description: string };
  /** Content types besides JSON that the route can answer with (?format= or Accept). */
  readonly alsoProduces?: readonly string[];
  readonly handle: (request: RouteRequest<Body, Query, Params>) => Promise<RouteResponse> | RouteResponse;
}

/** Keeps each route's types while collecting routes of different shapes in one list. */
export function route<Body, Query, Params>(spec: RouteSpec<Body, Query, Params>): RouteSpec {
  return spec as unknown as RouteSpec;
}
