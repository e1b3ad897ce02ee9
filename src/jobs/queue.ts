/**
 * The job queue: pg-boss over the same Postgres (SQL is the queue's truth), typed by the catalog.
 * Handlers are registered by name; a handler failure is retried by pg-boss with backoff.
 *
 * Workers do not wait for their next poll to see a new job (each poll interval on the
 * event → score → CRM path added up to half a second): a job sent to run now wakes this
 * process's worker for it, or — when this process has none (a web-only process) — every process
 * listening through PostgreSQL's NOTIFY (job-wake-listener.ts). Polling stays, as the safety net
 * for delayed and retried jobs and for a lost notification.
 */

import type pg from 'pg'
import PgBoss from 'pg-boss'
import type { Logger } from 'pino'
import { notifyJobWakeUp } from '../db/job-wake-repository.js'
import { type JobName, type JobPayload, jobCatalog } from './catalog.js'
import { listenForJobWakes } from './job-wake-listener.js'

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
  // This process's workers by job name, to wake them when a job for them is sent.
  const localWorkers = new Map<string, string[]>()
  const wakeLocal = (name: string) => {
    for (const id of localWorkers.get(name) ?? []) boss.notifyWorker(id)
  }
  // Embedded PGlite is one connection and one process: waking the local worker is all there is.
  const listener = options.pool
    ? undefined
    : listenForJobWakes({
        connectionString: options.connectionString,
        ssl: options.ssl,
        logger: options.logger,
        onWake: wakeLocal,
      })

  // Delayed jobs this process sent that a send-now may bring forward (catalog: sendNowPromotes).
  const delayedHere = new Set<string>()

  async function wake(name: string): Promise<void> {
    if (localWorkers.has(name)) return wakeLocal(name)
    if (!listener) return
    try {
      await notifyJobWakeUp(boss.getDb(), name)
    } catch (err) {
      // The job is stored; a worker's next poll finds it.
      options.logger.warn({ err, job: name }, 'could not notify workers; they will poll')
    }
  }

  return {
    async send(name, payload, sendOptions) {
      const def = jobCatalog[name]
      const data = def.payload.parse(payload) as Record<string, unknown>
      const singletonBy = 'singletonBy' in def ? def.singletonBy : undefined
      const singletonKey = singletonBy ? String(data[singletonBy]) : undefined
      const id = await boss.send(name, data, {
        ...(singletonKey ? { singletonKey } : {}),
        ...(sendOptions?.startAfterSeconds ? { startAfter: sendOptions.startAfterSeconds } : {}),
      })
      const promotable = singletonKey && 'sendNowPromotes' in def && def.sendNowPromotes
      const slot = `${name}|${singletonKey}`
      if (sendOptions?.startAfterSeconds) {
        if (promotable && id !== null) delayedHere.add(slot)
        return
      }
      // Folded into a waiting job (singleton): if that one waits for a later start, new work
      // should not wait with it (the rescore of busy contacts "in a second" swallowed the rescore
      // of a fresh event for a second: the whole p99 of bench latency). Only for delayed jobs this
      // process sent, so an ingest burst folding into an ordinary waiting job costs no statement;
      // one sent elsewhere still runs, a second later.
      if (promotable && id === null && delayedHere.has(slot)) {
        await boss.getDb().executeSql(
          `UPDATE pgboss.job SET start_after = now()
             WHERE name = $1 AND singleton_key = $2 AND state = 'created' AND start_after > now()`,
          [name, singletonKey],
        )
      }
      if (promotable) delayedHere.delete(slot)
      await wake(name)
    },
    async work(name, handler) {
      const def = jobCatalog[name]
      const id = await boss.work(name, { pollingIntervalSeconds: polling, batchSize: 1 }, async (jobs) => {
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
      localWorkers.set(name, [...(localWorkers.get(name) ?? []), id])
      await listener?.start()
    },
    async depth() {
      const out: Record<string, number> = {}
      for (const name of Object.keys(jobCatalog)) out[name] = await boss.getQueueSize(name)
      return out
    },
    async stop() {
      await listener?.stop()
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
