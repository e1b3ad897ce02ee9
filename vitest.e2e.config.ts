import { defineConfig } from 'vitest/config'

// Browser end-to-end tests (test/e2e/run.sh): a real Chromium against the real service.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    restoreMocks: true,
  },
})
