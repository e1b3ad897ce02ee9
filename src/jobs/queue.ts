/**
 * The job queue: pg-boss over the same Postgres (SQL is the queue's truth), typed by the catalog.
 * Handlers are registered by name; a handler failure is retried by pg-boss with backoff.
 */

import type pg from 'pg'
import PgBoss from 'pg-boss'
import type { Logger } from 'pino'
import { type JobName, type JobPayload, jobCatalog } from './catalog.js'

export type JobHandler<N extends JobName> = (payload: JobPayload<N>) => Promise<void>

export interface JobQueue {
  send<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: { startAfterSeconds?: number },
  ): Promise<void>
  work<N extends JobName>(name: N, handler: JobHandler<N>): Promise<void>
  /** Jobs waiting or running, by queue: for /metrics and connection health. */
  depth(): Promise<Record<string, number>>
  stop(): Promise<void>
}

export async function startJobQueue(options: {
  connectionString: string
  /** Run the queue's SQL through this pool instead of its own (embedded mode: one session). */
  pool?: pg.Pool
  /** pg's `ssl` option for the queue's own pool (server mode), the same as the app's. */
  ssl?: pg.PoolConfig['ssl']
  logger: Logger
  /** Workers poll this often; small so a rescore follows an ingest within seconds. */
  pollingIntervalSeconds?: number
  schedule?: boolean
}): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl as PgBoss.ConstructorOptions['ssl'] }),
    ...(options.pool ? { db: poolExecutor(options.pool) } : {}),
    schema: 'pgboss',
    max: 4,
    application_name: 'leadgrid-queue',
    schedule: options.schedule ?? true,
    supervise: options.schedule ?? true,
  })
  boss.on('error', (err) => options.logger.error({ err }, 'job queue error'))
  await boss.start()
  for (const [name, def] of Object.entries(jobCatalog)) {
    await boss.createQueue(name, {
      name,
      policy: def.policy,
      retryLimit: 8,
      retryDelay: 5,
      retryBackoff: true,
    })
    if ('cron' in def && options.schedule !== false) await boss.schedule(name, def.cron, {}, { tz: 'UTC' })
  }
  const polling = options.pollingIntervalSeconds ?? 0.5

  return {
    async send(name, payload, sendOptions) {
      const def = jobCatalog[name]
      const data = def.payload.parse(payload) as Record<string, unknown>
      const singletonBy = 'singletonBy' in def ? def.singletonBy : undefined
      await boss.send(name, data, {
        ...(singletonBy ? { singletonKey: String(data[singletonBy]) } : {}),
        ...(sendOptions?.startAfterSeconds ? { startAfter: sendOptions.startAfterSeconds } : {}),
      })
    },
    async work(name, handler) {
      const def = jobCatalog[name]
      await boss.work(name, { pollingIntervalSeconds: polling, batchSize: 1 }, async (jobs) => {
        for (const job of jobs) {
          const payload = def.payload.parse(job.data ?? {})
          try {
            await handler(payload as never)
          } catch (err) {
            options.logger.warn({ err, job: name, jobId: job.id }, 'job failed; pg-boss will retry it')
            throw err
          }
        }
      })
    },
    async depth() {
      const out: Record<string, number> = {}
      for (const name of Object.keys(jobCatalog)) out[name] = await boss.getQueueSize(name)
      return out
    },
    async stop() {
      // graceful: running handlers finish before the connection closes.
      await boss.stop({ graceful: true, wait: true, timeout: 20_000 })
    },
  }
}

function poolExecutor(pool: pg.Pool) {
  return {
    async executeSql(text: string, values: unknown[]) {
      return pool.query(text, values as unknown[])
    },
  }
}
