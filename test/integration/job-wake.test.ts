/**
 * A job sent by a process without a worker for it (a web-only process) wakes the worker of another
 * process through PostgreSQL NOTIFY, instead of waiting for that worker's next poll. Two queues on
 * one database stand for the two processes; the worker polls once an hour, so only the wake-up can
 * deliver the job within the test. Server mode only: embedded PGlite is one process (its local
 * wake-up is covered by write-back-wake.test.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/database.js'
import { type JobQueue, startJobQueue } from '../../src/jobs/queue.js'
import { createLogger } from '../../src/logger.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { until } from '../helpers/until.js'

let database: DatabaseHandle
const queues: JobQueue[] = []
const logger = createLogger('silent')

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  for (const q of queues) await q.stop()
  await database?.close()
})

it.skipIf(!process.env.DATABASE_URL)('a job sent by another process wakes this worker at once', async () => {
  const start = () =>
    startJobQueue({
      connectionString: database.connectionString,
      ssl: database.ssl,
      logger,
      schedule: false,
      pollingIntervalSeconds: 3600,
    })
  const worker = await start()
  queues.push(worker)
  const web = await start()
  queues.push(web)
  const seen: string[] = []
  await worker.work('rescore-dirty', async ({ workspaceId }) => {
    seen.push(workspaceId)
  })
  // The worker's first fetch (at start) found nothing; from now on it sleeps for an hour.
  await new Promise((resolve) => setTimeout(resolve, 500))
  const workspaceId = '0b6c6a43-3f43-4a52-9d49-3c1f1d4f3a01'
  await web.send('rescore-dirty', { workspaceId })
  expect(await until('the job worked', () => seen.length > 0 && seen, 15_000)).toEqual([workspaceId])
})
