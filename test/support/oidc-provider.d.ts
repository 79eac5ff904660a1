/**
 * oidc-provider ships no types; the tests use its constructor, its request handler and its
 * Grant model, typed here as loosely as they are used.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: any[]) => void): void;
    Grant: any;
  }
}
