import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/file-setup.ts'],
    // Each integration file gets its own database cloned from a migrated template (PGlite dump or
    // CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows.
    // Worker threads that keep the loaded modules from one file to the next (isolate: false): the
    // app's module graph is loaded once per worker instead of once per file, which roughly halves
    // the suite's CPU time. Files share modules, never a database, an app or a server (and
    // file-setup.ts resets nock between them). Two workers, one per core: vitest's default here is
    // one (cores − 1), and more than two makes the files that start servers and CLIs as child
    // processes slow enough on a busy machine to reach their time limits.
    pool: 'threads',
    isolate: false,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
})
