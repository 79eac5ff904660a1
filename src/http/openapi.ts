import { z } from 'zod';
import type { RouteSpec } from './route.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType): JsonSchema {
  // Input shapes: what a client sends, before money is normalised to two decimals.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const problemResponse = { description: 'Problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };

/** The OpenAPI 3.1 document, generated from the same route list and zod schemas the server runs. */
export function openApiDocument(routes: readonly RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const headers = spec.writes
      ? [
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', format: 'uuid' } },
          { name: 'If-Match', in: 'header', required: false, schema: { type: 'string', examples: ['"3"'] } },
        ]
      : [];
    paths[path] = {
      ...paths[path],
      [spec.method]: {
        summary: spec.summary,
        security: spec.access === 'public' ? [] : [{ bearerAuth: [] }],
        'x-roles': spec.access,
        parameters: [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query'), ...headers],
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body) } } } } : {}),
        ...(spec.rawBody
          ? { requestBody: { required: true, description: spec.rawBody.description, content: { [spec.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } } }
          : {}),
        responses: {
          [String(spec.successStatus)]:
            spec.successStatus === 204
              ? { description: 'Success, no content' }
              : { description: 'Success', content: Object.fromEntries(['application/json', ...(spec.alsoProduces ?? [])].map((type) => [type, {}])) },
          '400': problemResponse,
          ...(spec.access === 'public' ? {} : { '401': problemResponse, '403': problemResponse, '429': problemResponse }),
          ...(spec.writes ? { '404': problemResponse, '409': problemResponse, '412': problemResponse, '413': problemResponse, '422': problemResponse } : {}),
          // The store refuses writes (read-only, full, locked, missing) or the read model stopped.
          '503': problemResponse,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'grantledger', version, description: 'Event-sourced ledger of state grants (statsbidrag) and appropriations (anslag).' },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
