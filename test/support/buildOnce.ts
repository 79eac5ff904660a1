import { execFileSync } from 'node:child_process';

/** vitest global setup: CLI tests run the built binary, so build it once per test run. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
