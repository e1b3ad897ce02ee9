import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/file-setup.ts'],
    // Each integration file gets its own database cloned from a migrated template (PGlite dump or
    // CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows.
    // Worker threads that keep the loaded modules from one file to the next (isolate: false): the
    // app's module graph is loaded once per worker instead of once per file, which was a third of
    // the suite's time. Files share modules, never a database, an app or a server. Three workers on
    // two cores, because most files spend much of their time waiting (child processes, polls, the
    // CRM stand-ins) rather than computing; vitest's default here is one worker (cores − 1).
    pool: 'threads',
    isolate: false,
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
})
