import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: minutes of steady load; not part of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/buildOnce.ts'],
  },
});
