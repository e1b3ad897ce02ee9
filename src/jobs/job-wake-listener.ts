/**
 * Wakes this process's workers when another process sends a job (a web-only process has no
 * worker of its own): one dedicated connection LISTENs on a channel the sender NOTIFYs with the
 * job's name (queue.ts). A notification is only a hint — the job itself is in pg-boss's table, and
 * the workers still poll — so a dropped connection costs latency, never a job: it is reopened
 * after a pause, and the error logged.
 */
import pg from 'pg'
import type { Logger } from 'pino'
import { JOB_WAKE_CHANNEL, listenForJobWakeUps } from '../db/job-wake-repository.js'

const RECONNECT_MS = 5_000

export interface JobWakeListener {
  /** Opens the connection (once; later calls return at once). */
  start(): Promise<void>
  stop(): Promise<void>
}

export function listenForJobWakes(options: {
  connectionString: string
  ssl?: pg.ClientConfig['ssl']
  logger: Pick<Logger, 'warn'>
  onWake: (jobName: string) => void
}): JobWakeListener {
  let client: pg.Client | undefined
  let started: Promise<void> | undefined
  let stopped = false
  let retry: NodeJS.Timeout | undefined

  async function connect(): Promise<void> {
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: 'leadgrid-job-wake',
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    })
    c.on('notification', (n) => {
      if (n.channel === JOB_WAKE_CHANNEL && n.payload) options.onWake(n.payload)
    })
    c.on('error', (err) => {
      options.logger.warn({ err }, 'job wake-up connection lost; workers poll until it is back')
      void c.end().catch(() => {})
      if (client === c) client = undefined
      if (!stopped) retry = setTimeout(() => void reconnect(), RECONNECT_MS)
    })
    await c.connect()
    if (stopped) {
      // Stopped while a reconnect was under way: nobody would close this one.
      await c.end().catch(() => {})
      return
    }
    await listenForJobWakeUps(c)
    client = c
  }

  async function reconnect(): Promise<void> {
    try {
      await connect()
    } catch (err) {
      options.logger.warn({ err }, 'job wake-up connection could not be opened; workers poll meanwhile')
      if (!stopped) retry = setTimeout(() => void reconnect(), RECONNECT_MS)
    }
  }

  return {
    start() {
      started ??= reconnect()
      return started
    },
    async stop() {
      stopped = true
      clearTimeout(retry)
      await started
      await client?.end().catch(() => {})
      client = undefined
    },
  }
}
