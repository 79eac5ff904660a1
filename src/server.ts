import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { closeSync, constants as fsConstants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Ledger, type LedgerOptions } from './app/ledger.js';
import { snapshotPathOf } from './app/readModel/snapshotFile.js';
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
  /** Operational messages (stderr): never given a secret. */
  readonly announce?: (message: string) => void;
  /**
   * Where the one-time admin token of a fresh store is shown: the controlling terminal only, never
   * a log. Without a terminal the token is not printed at all, and the operator is told how to
   * get one (grantledger token create). Tests pass their own.
   */
  readonly showSecret?: (message: string) => void;
  /** Where the read model is saved between runs; by default beside a SQLite store (<file>.snapshot), none for others. null: none. */
  readonly snapshotPath?: string | null;
  /** Awaited before every chunk of a background rebuild of the read model (tests hold it there). */
  readonly beforeRebuildChunk?: LedgerOptions['beforeRebuildChunk'];
  /** Events per chunk of a background rebuild. @defaultValue 5 000 */
  readonly rebuildChunkEvents?: number;
}

function terminalAvailable(): boolean {
  try {
    closeSync(openSync('/dev/tty', fsConstants.O_WRONLY | fsConstants.O_NOCTTY));
    return true;
  } catch {
    return false;
  }
}

/** Writes to the controlling terminal (not stdout/stderr, which may be captured in a log); false when there is none. */
export function writeToTerminal(message: string): boolean {
  let fd: number;
  try {
    fd = openSync('/dev/tty', fsConstants.O_WRONLY | fsConstants.O_NOCTTY);
  } catch {
    return false;
  }
  try {
    writeSync(fd, `${message}\n`);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * The secret behind the request log's pseudonyms: LEDGER_LOG_SECRET, or a file beside the store
 * (created once with mode 0600), so pseudonyms stay stable across restarts.
 */
export function logSecretFrom(given: string | undefined, file: string | null): string | Buffer {
  if (given !== undefined) return given;
  if (file === null) return randomBytes(32);
  if (!existsSync(file)) {
    try {
      const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      try {
        writeSync(fd, randomBytes(32).toString('base64'));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Starts the ledger on a store: replays the log into the read model, makes sure an admin can get
 * in, and serves the HTTP API.
 */
export async function serve(store: EventStore, options: ServeOptions): Promise<RunningServer> {
  const announce = options.announce ?? ((message: string) => process.stderr.write(`${message}\n`));
  const snapshotPath = options.snapshotPath === undefined ? snapshotPathOf(store) : options.snapshotPath;
  const ledger = new Ledger(store, {
    snapshotPath,
    log: announce,
    // An unusable snapshot does not hold the start: the read model is rebuilt while the server answers.
    rebuildInBackground: true,
    ...(options.beforeRebuildChunk ? { beforeRebuildChunk: options.beforeRebuildChunk } : {}),
    ...(options.rebuildChunkEvents === undefined ? {} : { rebuildChunkEvents: options.rebuildChunkEvents }),
  });
  await ledger.start();
  // The admin token is checked against the whole token table, and may be written: after any rebuild.
  const adminReady = ledger.rebuilt.then(() => ensureAdmin(ledger, options, announce));
  if (ledger.rebuilding()) adminReady.catch((error: unknown) => announce(`grantledger: could not set up the admin token after the rebuild: ${error instanceof Error ? error.message : String(error)}`));
  else await adminReady;
  // A start over an unsigned tail skipped it (the read model stopped): done once the ledger serves again.
  ledger.onResume(() => ensureAdmin(ledger, options, announce));
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

/** Registers LEDGER_ADMIN_TOKEN, or issues a one-time admin token on a store without one. */
async function ensureAdmin(ledger: Ledger, options: ServeOptions, announce: (message: string) => void): Promise<void> {
  if (ledger.readModel.failure) return;
  if (options.adminToken !== undefined) {
    const outcome = await ledger.tokens.ensureEnvironmentAdmin(options.adminToken);
    if (outcome === 'issued') announce('grantledger: LEDGER_ADMIN_TOKEN is registered as the admin token; any earlier admin token is revoked');
    if (outcome === 'revoked' || outcome === 'expired') {
      announce(`grantledger: LEDGER_ADMIN_TOKEN was ${outcome === 'revoked' ? 'revoked' : 'expired'} and is not accepted; set a new one, or issue one with grantledger token create --role admin`);
    }
  } else if (!ledger.readModel.hasLiveTokenWithRole('admin', new Date().toISOString())) {
    const show = options.showSecret ?? (terminalAvailable() ? writeToTerminal : null);
    const first = show ? await ledger.tokens.issueFirstAdmin() : null;
    if (show && first) {
      show(
        `grantledger: a new store has no admin; this admin token is shown once, here only:\n  ${first.token}\n` +
          `  (token id ${first.tokenId}; revoke it with: grantledger token revoke ${first.tokenId}, or by setting LEDGER_ADMIN_TOKEN)`,
      );
      announce(`grantledger: issued a one-time admin token ${first.tokenId} (shown on the terminal only)`);
    } else if (!show) {
      announce('grantledger: no live admin token, and no terminal to show a one-time token on: set LEDGER_ADMIN_TOKEN, or run grantledger token create --name NAME --role admin');
    }
  }
}
