/**
 * `leadgrid bench ingest`: events per second through the real HTTP API into the real database,
 * and how long until every touched contact is rescored. Runs the whole service on a fresh
 * in-memory embedded database (or a scratch database on DATABASE_URL's server), on loopback.
 */
import { cpus, totalmem } from 'node:os'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openScratchDatabase } from '../db/scratch-database.js'
import { startWorkers } from '../jobs/workers.js'
import { createLogger } from '../logger.js'
import { startRuntime } from '../runtime.js'
import { createWorkspace } from '../workspaces/workspace-service.js'

export interface IngestBenchResult {
  database: 'embedded' | 'postgres'
  batches: number
  eventsPerBatch: number
  concurrency: number
  eventsPerSecond: number
  p50BatchMs: number
  p95BatchMs: number
  secondsUntilAllScored: number
  contacts: number
  node: string
  cpu: string
  cores: number
  memoryGiB: number
}

export async function runIngestBench(
  options: { batches?: number; eventsPerBatch?: number; concurrency?: number } = {},
) {
  const batches = options.batches ?? 200
  const eventsPerBatch = options.eventsPerBatch ?? 100
  const concurrency = options.concurrency ?? 4
  const serverUrl = process.env.DATABASE_URL
  const database = await openScratchDatabase({ serverUrl, prefix: 'leadgrid_bench' })
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.connectionString,
    DEMO_DATA: 'false',
    DATA_DIR: './data',
  })
  const runtime = await startRuntime(config, createLogger('silent'), { database, schedule: false })
  await startWorkers(runtime.deps)
  const app = await buildApp(runtime.deps)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  try {
    const ws = await createWorkspace(runtime.deps.db, { name: 'Bench', now: new Date() })
    const headers = { authorization: `Bearer ${ws.apiKey}`, 'content-type': 'application/json' }
    const contacts = batches * 5
    const now = Date.now()
    const body = (b: number) =>
      JSON.stringify({
        events: Array.from({ length: eventsPerBatch }, (_, k) => ({
          id: `b${b}-${k}`,
          contact: { email: `lead${(b * 5 + (k % 5)) % contacts}@bench-corp.com` },
          type: k % 10 === 0 ? 'asset.downloaded' : 'page.viewed',
          occurredAt: new Date(now - (k % 30) * 86_400_000).toISOString(),
          attributes:
            k % 10 === 0 ? { assetId: `wp-${k}`, assetType: 'whitepaper' } : { url: `/pricing?k=${k}` },
        })),
      })
    const durations: number[] = []
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches) {
          const b = next++
          const t0 = performance.now()
          const r = await fetch(`${base}/api/v1/events`, { method: 'POST', headers, body: body(b) })
          if (r.status !== 202) throw new Error(`batch ${b}: HTTP ${r.status} ${await r.text()}`)
          durations.push(performance.now() - t0)
        }
      }),
    )
    const ingestSeconds = (performance.now() - started) / 1000
    for (;;) {
      const dirty = await runtime.deps.db
        .selectFrom('contact_rescore_marks')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
      if (Number(dirty.n) === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const scoredSeconds = (performance.now() - started) / 1000
    durations.sort((a, b) => a - b)
    const result: IngestBenchResult = {
      database: serverUrl ? 'postgres' : 'embedded',
      batches,
      eventsPerBatch,
      concurrency,
      eventsPerSecond: Math.round((batches * eventsPerBatch) / ingestSeconds),
      p50BatchMs: Math.round(durations[Math.floor(durations.length * 0.5)]!),
      p95BatchMs: Math.round(durations[Math.floor(durations.length * 0.95)]!),
      secondsUntilAllScored: Math.round(scoredSeconds * 10) / 10,
      contacts,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    }
    return result
  } finally {
    await app.close()
    await runtime.close()
  }
}
