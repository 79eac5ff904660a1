import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Ledger } from './app/ledger.js';
import { newToken } from './app/ledger.js';
import { createHttpApp, type HttpOptions } from './http/app.js';
import type { EventStore } from './store/port.js';

export interface RunningServer {
  readonly url: string;
  readonly ledger: Ledger;
  /** Stops accepting requests, waits for those under way, stops the read model, closes the store. */
  close(): Promise<void>;
}

export interface ServeOptions extends HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly adminToken?: string | undefined;
  /** Where the one-time admin token of a fresh store is announced. */
  readonly announce?: (message: string) => void;
}

/**
 * Starts the ledger on a store: replays the log into the read model, makes sure an admin can get
 * in, and serves the HTTP API.
 */
export async function serve(store: EventStore, options: ServeOptions): Promise<RunningServer> {
  const ledger = new Ledger(store);
  await ledger.start();
  const announce = options.announce ?? ((message: string) => process.stderr.write(`${message}\n`));
  if (options.adminToken !== undefined) {
    await ledger.ensureToken('admin', 'admin', options.adminToken, 'system');
  } else if (!ledger.readModel.hasTokenWithRole('admin')) {
    const token = newToken();
    await ledger.ensureToken('admin', 'admin', token, 'system');
    announce(`grantledger: a new store has no admin; this admin token is shown once:\n  ${token}`);
  }
  const app = createHttpApp(ledger, options);
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port, options.host, () => resolve(listening));
    listening.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    ledger,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ledger.stop();
      await store.close();
    },
  };
}
