import { defineConfig } from 'vitest/config'

/**
 * `npm run test:bench`: every benchmark run once with small sizes (test/bench/). They start whole
 * services on their own scratch databases, so there is no template to build; one file, one worker,
 * so no benchmark shares the machine with another.
 */
export default defineConfig({
  test: {
    include: ['test/bench/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
})
