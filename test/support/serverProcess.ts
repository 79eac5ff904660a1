import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import { ADMIN_TOKEN } from './server.js';

const IS_ROOT = process.getuid?.() === 0;

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * When the tests run as root, file permissions would not bind a server under test (root may
 * write a read-only file). The server then runs as root without CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH (util-linux setpriv): a file's mode binds it as it binds its owner, while
 * the checkout stays readable wherever it lies, even in a directory only root may enter.
 */
const DROP_PRIVILEGES: readonly string[] = IS_ROOT
  ? hasSetpriv()
    ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search,-fowner', '--']
    : (() => {
        throw new Error('the tests run as root, and the fault tests need util-linux setpriv to run servers without CAP_DAC_OVERRIDE; install util-linux');
      })()
  : [];

/** Kept for callers that pass options to helper processes: no other user is involved any more. */
export const UNPRIVILEGED: undefined = undefined;

/** Directories no longer change hands: the server runs as the same user as the tests. */
export function handOver(_path: string): void {}

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
  timeoutMs = 60_000,
  /** Called with the process as soon as it is spawned, e.g. to kill it while it starts. */
  onSpawn?: (child: ChildProcess) => void,
): Promise<ServerProcess> {
  const [command, ...prefix] = [...DROP_PRIVILEGES, process.execPath];
  const child = spawn(command!, [...prefix, CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LEDGER_STORE: store, LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
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
