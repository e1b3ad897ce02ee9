import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each integration file gets its own database cloned from a migrated template (PGlite dump or
    // CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
})
