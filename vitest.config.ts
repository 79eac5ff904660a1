import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts', 'src/**/*.spec.ts', 'projections/**/*.spec.ts'],
    // Generous: the suite must pass on a busy machine (CI shares its cores); tests wait on conditions, not on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/buildOnce.ts'],
  },
});
