/**
 * The whole service on a fresh database, for integration tests: the real runtime (queue, services),
 * the real Fastify app (use `app.inject`), a workspace ready with the Starter grid.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from '../../src/app.js'
import type { AppDeps } from '../../src/app-deps.js'
import { type Clock, systemClock } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { startRuntime } from '../../src/runtime.js'
import { startWorkers } from '../../src/workers.js'
import { type CreatedWorkspace, createWorkspace } from '../../src/workspaces/workspace-service.js'
import { createTestDatabase } from './test-database.js'

export interface TestApp {
  app: FastifyInstance
  deps: AppDeps
  workspace: CreatedWorkspace
  createWorkspace(name: string): Promise<CreatedWorkspace>
  /** Rescores the workspace's dirty contacts now, as the worker would. */
  rescoreNow(workspaceId?: string): Promise<number>
  close(): Promise<void>
}

export const TEST_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'https://leadgrid.test',
  ENCRYPTION_KEY: '0'.repeat(63) + '1',
  SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
  HUBSPOT_CLIENT_ID: 'test-client-id',
  HUBSPOT_CLIENT_SECRET: 'test-client-secret',
  HUBSPOT_APP_ID: '12345',
  HUBSPOT_API_BASE: 'https://api.hubapi.test',
  HUBSPOT_AUTHORIZE_URL: 'https://app.hubspot.test/oauth/authorize',
} as const

export async function startTestApp(
  options: {
    clock?: Clock
    workers?: boolean
    env?: Record<string, string>
    logger?: Logger
    /** How often idle workers look for jobs (0.5 s unless a test needs them to rely on wake-ups). */
    pollingIntervalSeconds?: number
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase()
  const config = loadConfig({
    ...TEST_ENV,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'leadgrid-test-')),
    DATABASE_URL: database.connectionString,
    // No shedding for a slow event loop: test files share two cores with each other (and CI with
    // whatever else runs), so a loop late by a second is the machine, not the app. The heap
    // ceiling still sheds (backpressure.test.ts sets it).
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...options.env,
  })
  const logger = options.logger ?? createLogger(config.LOG_LEVEL)
  const clock = options.clock ?? systemClock
  const runtime = await startRuntime(config, logger, {
    database,
    clock,
    schedule: false,
    pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
  })
  if (options.workers) await startWorkers(runtime.deps)
  const app = await buildApp(runtime.deps)
  await app.ready()
  const make = (name: string) => createWorkspace(runtime.deps.db, { name, now: clock.now() })
  const workspace = await make('Test workspace')
  return {
    app,
    deps: runtime.deps,
    workspace,
    createWorkspace: make,
    rescoreNow: (workspaceId = workspace.workspaceId) => runtime.deps.rescore.rescoreDirty(workspaceId),
    async close() {
      await app.close()
      await runtime.close()
    },
  }
}
