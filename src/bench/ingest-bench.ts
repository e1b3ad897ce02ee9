/**
 * `leadgrid bench ingest`: events per second through the real HTTP API into the real database while
 * the workers score (the requests come from a sender thread, not the service's event loop), then signed HubSpot-style webhook batches through the webhook route, and — the
 * baseline, same run, same server — the same API rows written by raw batched
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING` into a table shaped like `events`
 * (same columns, key and indexes): the ceiling the API is compared with (`ratio`).
 * Runs the whole service on a scratch database on DATABASE_URL's server (dropped at the end), or
 * on embedded PGlite in memory, on loopback. The webhook phase is ingest-webhooks.ts.
 */
import { randomUUID } from 'node:crypto'
import { createCeilingRepository } from '../db/bench/ceiling-repository.js'
import { type SenderInput, type SenderResult, sendFromThread } from './api-sender.js'
import { type BenchMachine, percentile, round, waitFor } from './bench-machine.js'
import { type BenchService, hasDirtyContacts, startBenchService } from './bench-service.js'
import { isLocalServer, startCpuAccount } from './cpu-accounting.js'
import { startCrmStandIn } from './crm-stand-in.js'
import { benchEvents } from './ingest-batches.js'
import { runWebhookPhase, sendAll, type WebhookPhase } from './ingest-webhooks.js'

export interface IngestBenchResult {
  bench: 'ingest'
  machine: BenchMachine
  database: 'embedded' | 'postgres'
  batches: number
  eventsPerBatch: number
  concurrency: number
  /** API: events stored (202) per second over the whole send. */
  eventsPerSecond: number
  p50BatchMs: number
  p95BatchMs: number
  p99BatchMs: number
  secondsUntilAllScored: number
  contacts: number
  /** The API at a fixed offered rate (batches sent on a clock): batch latency under that load. */
  fixedRate: {
    offeredEventsPerSecond: number
    batches: number
    achievedEventsPerSecond: number
    p50BatchMs: number
    p99BatchMs: number
  }
  webhook: WebhookPhase
  /** Raw batched INSERT … unnest of the API's rows, same batches, same concurrency, same server. */
  ceilingEventsPerSecond: number
  ceilingP99BatchMs: number
  /**
   * CPU milliseconds per 100-event batch, by whom (cpu-accounting.ts): the service process (its
   * threads but the sender's), the sender thread, the local PostgreSQL server. The API phase runs
   * with the workers scoring; null where /proc or a local server cannot tell.
   */
  cpuMsPerBatch: {
    api: { service: number | null; sender: number | null; postgres: number | null }
    ceiling: { service: number | null; postgres: number | null }
  }
  /** API eventsPerSecond / ceilingEventsPerSecond. */
  ratio: number
  node: string
  cpu: string
  cores: number
  memoryGiB: number
}

type Sender = Omit<SenderInput, 'first' | 'batches'>

interface IngestRun {
  service: BenchService
  batches: number
  eventsPerBatch: number
  concurrency: number
  contacts: number
  now: number
  localServer: boolean
  sender: Sender
  log: (l: string) => void
}

const noDirtyContacts = (service: BenchService) =>
  waitFor(async () => !(await hasDirtyContacts(service)), 600_000, 100)

/**
 * 1. The HTTP API, workers scoring as events arrive; the requests are built and sent from another
 * thread, as a real sender is another machine (api-sender.ts).
 */
async function apiPhase(run: IngestRun) {
  const a0 = performance.now()
  const cpu = startCpuAccount({ server: run.localServer })
  const api = await sendFromThread({ ...run.sender, first: 0, batches: run.batches })
  const cpuPerBatch = cpu.perBatch(run.batches, api.cpuSeconds)
  run.log(
    `API: ${Math.round((run.batches * run.eventsPerBatch) / api.seconds)} events/s; waiting for the scores…`,
  )
  const scored = await noDirtyContacts(run.service)
  return { api, cpuPerBatch, secondsUntilAllScored: scored ? (performance.now() - a0) / 1000 : Number.NaN }
}

/**
 * 1b. The API at a fixed rate ("p99 < 100 ms at 5,000 events/s"): batches sent on a clock, not
 * when the previous one answers, so a slow batch cannot slow the offered load.
 */
async function pacedPhase(run: IngestRun, rate: number) {
  const paced = Math.min(run.batches, 100)
  const sent: SenderResult = await sendFromThread({
    ...run.sender,
    first: run.batches,
    batches: paced,
    ratePerSecond: rate,
  })
  run.log(`API at ${rate} events/s offered: p99 ${Math.round(percentile(sent.durations, 99))} ms`)
  // Scored before the ceiling is measured, so the rescore does not slow the baseline.
  await noDirtyContacts(run.service)
  return {
    offeredEventsPerSecond: rate,
    batches: paced,
    achievedEventsPerSecond: Math.round((paced * run.eventsPerBatch) / sent.seconds),
    p50BatchMs: Math.round(percentile(sent.durations, 50)),
    p99BatchMs: Math.round(percentile(sent.durations, 99)),
  }
}

/** 2. The baseline: the same rows, raw, into an events-shaped table on the same server. */
async function ceilingPhase(run: IngestRun) {
  const ceilingTable = createCeilingRepository(run.service.database)
  await ceilingTable.create()
  const contactIds = new Map<string, string>()
  const idOf = (email: string) => {
    let id = contactIds.get(email)
    if (!id) {
      id = randomUUID()
      contactIds.set(email, id)
    }
    return id
  }
  const shape = { eventsPerBatch: run.eventsPerBatch, contacts: run.contacts, now: run.now }
  const workspaceId = run.service.workspace.workspaceId
  const cpu = startCpuAccount({ server: run.localServer })
  const ceiling = await sendAll(run.batches, run.concurrency, async (b) => {
    const rows = benchEvents(b, shape).map((e) => ({
      workspaceId,
      dedupeKey: `api:${e.id}`,
      contactId: idOf(e.contact.email),
      type: e.type,
      occurredAt: e.occurredAt,
      attributes: e.attributes,
      source: 'api',
    }))
    await ceilingTable.insert(rows)
  })
  const { service, postgres } = cpu.perBatch(run.batches)
  await ceilingTable.drop()
  return { ceiling, cpu: { service, postgres } }
}

export async function runIngestBench(
  options: {
    batches?: number
    eventsPerBatch?: number
    concurrency?: number
    webhookWaitSeconds?: number
    /** The offered load of the paced API phase (default 5,000 events/s). */
    fixedRateEventsPerSecond?: number
    log?: (l: string) => void
  } = {},
): Promise<IngestBenchResult> {
  const batches = options.batches ?? 200
  const eventsPerBatch = options.eventsPerBatch ?? 100
  const concurrency = options.concurrency ?? 4
  const crm = await startCrmStandIn()
  const service = await startBenchService({ crmApiBase: crm.baseUrl, listen: true })
  try {
    await service.startWorkers()
    const contacts = batches * 5
    const now = Date.now()
    const shape = { eventsPerBatch, contacts, now }
    const run: IngestRun = {
      service,
      batches,
      eventsPerBatch,
      concurrency,
      contacts,
      now,
      localServer: !service.database.embedded && isLocalServer(service.database.connectionString),
      sender: { baseUrl: service.baseUrl, apiKey: service.workspace.apiKey, shape, concurrency },
      log: options.log ?? (() => {}),
    }
    const api = await apiPhase(run)
    const fixedRate = await pacedPhase(run, options.fixedRateEventsPerSecond ?? 5000)
    const ceiling = await ceilingPhase(run)
    // 3. Signed HubSpot webhook batches (100 property changes each) for 1,000 stand-in contacts.
    const webhook = await runWebhookPhase(service, crm, {
      batches,
      concurrency,
      now,
      waitSeconds: options.webhookWaitSeconds ?? 180,
      log: run.log,
    })
    return ingestResult(run, api, fixedRate, ceiling, webhook)
  } finally {
    await service.close()
    await crm.close()
  }
}

function ingestResult(
  run: IngestRun,
  { api, cpuPerBatch, secondsUntilAllScored }: Awaited<ReturnType<typeof apiPhase>>,
  fixedRate: IngestBenchResult['fixedRate'],
  { ceiling, cpu }: Awaited<ReturnType<typeof ceilingPhase>>,
  webhook: WebhookPhase,
): IngestBenchResult {
  const { service, batches, eventsPerBatch } = run
  const eventsPerSecond = Math.round((batches * eventsPerBatch) / api.seconds)
  const ceilingEventsPerSecond = Math.round((batches * eventsPerBatch) / ceiling.seconds)
  return {
    bench: 'ingest',
    machine: service.machine,
    database: service.database.embedded ? 'embedded' : 'postgres',
    batches,
    eventsPerBatch,
    concurrency: run.concurrency,
    eventsPerSecond,
    p50BatchMs: Math.round(percentile(api.durations, 50)),
    p95BatchMs: Math.round(percentile(api.durations, 95)),
    p99BatchMs: Math.round(percentile(api.durations, 99)),
    secondsUntilAllScored: round(secondsUntilAllScored, 1),
    contacts: run.contacts,
    fixedRate,
    webhook,
    ceilingEventsPerSecond,
    ceilingP99BatchMs: Math.round(percentile(ceiling.durations, 99)),
    cpuMsPerBatch: { api: cpuPerBatch, ceiling: cpu },
    ratio: round(eventsPerSecond / ceilingEventsPerSecond, 3),
    node: service.machine.node,
    cpu: service.machine.cpu,
    cores: service.machine.cores,
    memoryGiB: service.machine.memoryGiB,
  }
}
