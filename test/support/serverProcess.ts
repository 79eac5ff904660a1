import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync } from 'node:fs';
import { CLI } from './cli.js';
import { ADMIN_TOKEN } from './server.js';

/** When the tests run as root, servers under test run as nobody, so file permissions bind them. */
export const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : undefined;

/** Gives a directory to the user servers run as. */
export function handOver(path: string): void {
  if (UNPRIVILEGED) chownSync(path, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  stderr(): string;
  /** Resolves when the process has exited (after a kill or a stop). */
  readonly exited: Promise<number | null>;
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
}

/** Starts the built `grantledger serve` on 127.0.0.1 and a free port, on the store named. */
export function startServerProcess(
  store: string,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  /** Called with the process as soon as it is spawned, e.g. to kill it while it starts. */
  onSpawn?: (child: ChildProcess) => void,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LEDGER_STORE: store, LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...UNPRIVILEGED,
  });
  onSpawn?.(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /serving (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        const url = match[1]!;
        resolve({
          child,
          url,
          pid: child.pid!,
          stderr: () => stderr,
          exited,
          api: async (method, path, options = {}) => {
            const headers: Record<string, string> = { ...options.headers };
            const token = options.token === undefined ? ADMIN_TOKEN : options.token;
            if (token !== null) headers.Authorization = `Bearer ${token}`;
            if (options.body !== undefined) headers['Content-Type'] = 'application/json';
            const response = await fetch(`${url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
            const text = await response.text();
            let body: unknown = null;
            try {
              body = text === '' ? null : JSON.parse(text);
            } catch {
              body = text;
            }
            return { status: response.status, headers: response.headers, body };
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

/** Stops a server: SIGTERM (a clean stop) or SIGKILL (a crash); resolves once it has exited. */
export async function stopServerProcess(server: ServerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  await server.exited;
}
