import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer } from '../../src/server.js';
import type { HttpOptions } from '../../src/http/app.js';
import type { ServeOptions } from '../../src/server.js';
import type { EventStore } from '../../src/store/port.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqliteEventStore.js';
import { loadSigningKey } from '../../src/store/treeHeads.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly tokens: { readonly admin: string; readonly ekonom: string; readonly revisor: string };
  readonly logs: Array<Record<string, unknown>>;
  api(method: string, path: string, options?: ApiOptions): Promise<ApiResponse>;
  /** Closes the server and its store; the backend keeps the events for a restart. */
  stop(): Promise<void>;
}

/**
 * Where a test server keeps its events: a store that can be opened again after the server
 * stops (a restart), and disposed of at the end.
 */
export interface Backend {
  readonly name: string;
  open(): Promise<EventStore>;
  dispose(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const directory = mkdtempSync(join(tmpdir(), 'grantledger-http-'));
  const path = join(directory, 'ledger.db');
  return {
    name: 'SQLite',
    // As `serve` opens it: with the key that signs a tree head in every commit, kept beside the file.
    open: async () => new SqliteEventStore(path, { pollIntervalMs: 20, signer: loadSigningKey(`${path}.signing-key.pem`, { create: true }).signer }),
    dispose: async () => rmSync(directory, { recursive: true, force: true }),
  };
}

export interface ApiOptions {
  /** A role's token, a literal token, or null for none; ekonom when absent. */
  readonly as?: 'admin' | 'ekonom' | 'revisor' | { token: string } | null;
  readonly body?: unknown;
  /** A raw body string, sent as is. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

export interface StartOptions {
  /** Tokens issued by an earlier run on the same backend (a restart). */
  readonly tokens?: TestServer['tokens'];
  /** Options of the HTTP layer, e.g. a different limit of bad tokens. */
  readonly http?: Pick<HttpOptions, 'authFailureLimit' | 'trustProxy' | 'logSecret' | 'oidc'>;
  /** A port chosen beforehand (an identity provider must know the redirect URL); any free one when absent. */
  readonly port?: number;
  /** Awaited before every chunk of a background rebuild of the read model: a test holds the rebuild there. */
  readonly beforeRebuildChunk?: ServeOptions['beforeRebuildChunk'];
  /** Events per chunk of a background rebuild (small, so a short log takes several). */
  readonly rebuildChunkEvents?: number;
}

export async function startTestServer(backend: Backend, options: StartOptions = {}): Promise<TestServer> {
  const store = await backend.open();
  const logs: Array<Record<string, unknown>> = [];
  const server = await serve(store, {
    host: '127.0.0.1',
    port: options.port ?? 0,
    adminToken: ADMIN_TOKEN,
    log: (line) => void logs.push(line),
    announce: () => undefined,
    ...options.http,
    ...(options.beforeRebuildChunk ? { beforeRebuildChunk: options.beforeRebuildChunk } : {}),
    ...(options.rebuildChunkEvents === undefined ? {} : { rebuildChunkEvents: options.rebuildChunkEvents }),
  });
  const call = async (method: string, path: string, apiOptions: ApiOptions = {}, tokens?: TestServer['tokens']): Promise<ApiResponse> => {
    const as = apiOptions.as === undefined ? 'ekonom' : apiOptions.as;
    const token = as === null ? null : typeof as === 'object' ? as.token : as === 'admin' ? ADMIN_TOKEN : tokens?.[as];
    const headers: Record<string, string> = { ...apiOptions.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (apiOptions.rawBody !== undefined) body = apiOptions.rawBody;
    else if (apiOptions.body !== undefined) body = JSON.stringify(apiOptions.body);
    if (body !== undefined && headers['Content-Type'] === undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  let tokens = options.tokens;
  if (!tokens) {
    const ekonom = await call('POST', '/api/tokens', { as: 'admin', body: { name: 'anna.ekonom', role: 'ekonom' } });
    const revisor = await call('POST', '/api/tokens', { as: 'admin', body: { name: 'rolf.revisor', role: 'revisor' } });
    tokens = { admin: ADMIN_TOKEN, ekonom: ekonom.body.token, revisor: revisor.body.token };
  }
  const finalTokens = tokens;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    url: server.url,
    tokens: finalTokens,
    logs,
    api: (method, path, apiOptions) => call(method, path, apiOptions, finalTokens),
    stop,
  };
}

/** DOMAIN.md's worked example grant, as a request body. */
export const segregationGrant = {
  grantId: 'tvv-segregation-2020',
  grantor: 'Tillväxtverket',
  title: 'Minska och motverka segregation',
  purpose: 'Motverka segregation',
  kind: 'riktat',
  committee: 'socialnamnden',
  amount: '8000000',
  receivedOn: '2020-06-15',
  useBy: '2020-12-31',
  repaymentRequired: true,
} as const;
