/**
 * `leadgrid bench writeback`: N contacts whose scores changed (a grid publish), drained through the
 * real outbox flush (pg-boss `crm-flush` job, HubSpot client, per-portal limiter) to the CRM
 * stand-in over real HTTP, which allows 110 requests per rolling 10 s and answers 429 beyond.
 * Then a second pass (an identical grid published: every contact rescored, no value changed) must
 * make no call at all. Baseline: the budget itself — 110 calls / 10 s × 100 contacts per call.
 */
import { outboxRows } from '../db/bench/probe-repository.js'
import { benchContacts, chunks } from './bench-contacts.js'
import { type BenchMachine, round, sleep, waitFor } from './bench-machine.js'
import {
  type BenchService,
  publishGridChange,
  seedHubSpotConnection,
  setWhitepaperPoints,
  startBenchService,
} from './bench-service.js'
import { createContactLoader } from './contact-loader.js'
import { type CrmStandIn, type CrmStandInStats, startCrmStandIn } from './crm-stand-in.js'

export interface WritebackBenchResult {
  bench: 'writeback'
  machine: BenchMachine
  contacts: number
  loadMethod: string
  /** Rescoring that filled the outbox (publish → every contact's new score queued). */
  fillSeconds: number
  outboxRows: number
  /** From the workers starting until the outbox held no pending row. */
  drainSeconds: number
  contactsPerSecond: number
  batchCalls: number
  contactsWritten: number
  rateLimited429: number
  /** Calls that carried no value the stand-in did not already hold. */
  unchangedCalls: number
  /** First to last admitted call. */
  callWindowSeconds: number
  /**
   * Admitted calls ÷ what a rolling 110/10 s budget allows over that window (110 × (⌊window/10⌋ + 1)).
   * It cannot reach 1 unless the calls fill the last window: 500 calls need at least 40 s, over which
   * 550 are allowed, so 0.91 is the best a perfect flush scores at 500 (and at 1,000) calls.
   */
  budgetShare: number
  /**
   * The shortest window the budget allows for these calls (10 s × (⌈calls/110⌉ − 1)) ÷ the window
   * they took: 1 when the flush kept the CRM's budget fully used from the first call to the last.
   */
  budgetShareOfFastest: number
  parkedRows: number
  /**
   * Identical grid, every contact rescored minutes later: calls here are either values that did
   * change meanwhile (an event crossing a time window: `contactsWritten` with new values) or
   * calls for unchanged values (`unchangedCalls`, which must be 0).
   */
  secondPass: {
    batchCalls: number
    contactsWritten: number
    unchangedCalls: number
    rateLimited429: number
    settleSeconds: number
  }
  baseline: { what: string; contactsPerSecond: number; callsPerTenSeconds: number }
  ratio: number
  finished: boolean
}

type CrmStats = CrmStandInStats

/** The contacts (with their HubSpot ids) in the tables and at the stand-in. */
async function loadContacts(service: BenchService, crm: CrmStandIn, count: number, log: (l: string) => void) {
  const loader = createContactLoader(service, { withHubSpotIds: true })
  for (const chunk of chunks(benchContacts({ count, eventsPerContact: 20, now: Date.now() }), 2000)) {
    await loader.load(chunk)
    for (const c of chunk) crm.contacts.set(c.hubspotId, { email: c.email })
  }
  log(`loaded ${count.toLocaleString('en-US')} contacts (${loader.method}); scoring them fills the outbox…`)
  return loader.method
}

/**
 * The publish marks every contact dirty; scored here, without workers, so the drain is measured
 * alone (the flush jobs the rescore queued wait in pg-boss).
 */
async function fillOutbox(service: BenchService) {
  const f0 = performance.now()
  await publishGridChange(service, setWhitepaperPoints(30), 'bench: fill the outbox')
  await service.runtime.deps.rescore.rescoreDirty(service.workspace.workspaceId)
  return (performance.now() - f0) / 1000
}

/** Starts the workers and waits until the connection's outbox holds no pending row. */
async function drainOutbox(
  service: BenchService,
  crm: CrmStandIn,
  pending: () => Promise<number>,
  timeoutMs: number,
  log: (l: string) => void,
) {
  crm.resetStats()
  const d0 = performance.now()
  await service.startWorkers()
  let lastLog = performance.now()
  const finished = await waitFor(
    async () => {
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now()
        log(
          `  ${round((performance.now() - d0) / 1000)} s: ${crm.stats.contactsWritten} written, ${crm.stats.rateLimited} × 429`,
        )
      }
      return (await pending()) === 0
    },
    timeoutMs,
    250,
  )
  const drainSeconds = (performance.now() - d0) / 1000
  return { finished, drainSeconds, stats: { ...crm.stats, updateTimes: [...crm.stats.updateTimes] } }
}

/** The same grid again: every contact rescored, every value as the CRM holds it. */
async function secondPass(service: BenchService, crm: CrmStandIn, timeoutMs: number) {
  const { rescore } = service.runtime.deps
  const workspaceId = service.workspace.workspaceId
  crm.resetStats()
  const s0 = performance.now()
  await publishGridChange(service, () => {}, 'bench: identical grid, nothing to write')
  await waitFor(
    async () => !(await rescore.workspacesWithDirtyContacts()).includes(workspaceId),
    timeoutMs,
    250,
  )
  // The flush is debounced (a job 2 s after a rescore batch, 0.5 s polling): wait well past it.
  await sleep(8_000)
  return {
    batchCalls: crm.stats.batchUpdates,
    contactsWritten: crm.stats.contactsWritten,
    unchangedCalls: crm.stats.unchangedCalls,
    rateLimited429: crm.stats.rateLimited,
    settleSeconds: round((performance.now() - s0) / 1000, 1),
  }
}

/** How much of the CRM's rolling 110 / 10 s budget the first pass's calls used. */
function budgetUse(first: CrmStats) {
  const times = first.updateTimes
  const windowMs = times.length > 1 ? times[times.length - 1]! - times[0]! : 0
  const admitted = first.requests - first.rateLimited
  const allowed = 110 * (Math.floor(windowMs / 10_000) + 1)
  const fastestMs = 10_000 * (Math.ceil(admitted / 110) - 1)
  return {
    callWindowSeconds: round(windowMs / 1000, 1),
    budgetShare: round(admitted / allowed, 3),
    // Up to 110 calls fit in one window: the budget never sets the pace, so there is nothing to compare.
    budgetShareOfFastest: fastestMs > 0 ? round(Math.min(1, fastestMs / windowMs), 3) : 1,
  }
}

export async function runWritebackBench(
  options: { contacts?: number; timeoutSeconds?: number; log?: (l: string) => void } = {},
): Promise<WritebackBenchResult> {
  const count = options.contacts ?? 100_000
  const log = options.log ?? (() => {})
  const crm = await startCrmStandIn()
  const service = await startBenchService({ crmApiBase: crm.baseUrl })
  try {
    const { db } = service.runtime.deps
    const workspaceId = service.workspace.workspaceId
    const connectionId = await seedHubSpotConnection(service, crm.portalId)
    const loadMethod = await loadContacts(service, crm, count, log)
    const fillSeconds = await fillOutbox(service)
    const pending = () => outboxRows(db, { workspaceId, connectionId, status: 'pending' })
    const outboxRowCount = await pending()
    log(`outbox: ${outboxRowCount.toLocaleString('en-US')} rows after ${round(fillSeconds, 1)} s; draining…`)
    const timeoutMs = (options.timeoutSeconds ?? Math.max(300, (count / 1100) * 4)) * 1000
    const drain = await drainOutbox(service, crm, pending, timeoutMs, log)
    const first = drain.stats
    const parkedRows = await outboxRows(db, { workspaceId, status: 'parked' })
    const second = await secondPass(service, crm, timeoutMs)
    const contactsPerSecond = Math.round(first.contactsWritten / drain.drainSeconds)
    const budget = budgetUse(first)
    return {
      bench: 'writeback',
      machine: service.machine,
      contacts: count,
      loadMethod: loadMethod === 'copy' ? 'COPY FROM STDIN' : 'INSERT … SELECT FROM unnest',
      fillSeconds: round(fillSeconds, 1),
      outboxRows: outboxRowCount,
      drainSeconds: round(drain.drainSeconds, 1),
      contactsPerSecond,
      batchCalls: first.batchUpdates,
      contactsWritten: first.contactsWritten,
      rateLimited429: first.rateLimited,
      unchangedCalls: first.unchangedCalls,
      callWindowSeconds: budget.callWindowSeconds,
      budgetShare: budget.budgetShare,
      budgetShareOfFastest: budget.budgetShareOfFastest,
      parkedRows,
      secondPass: second,
      baseline: {
        what: 'the portal budget: 110 calls per rolling 10 s, 100 contacts per batch call',
        contactsPerSecond: 1100,
        callsPerTenSeconds: 110,
      },
      ratio: round(contactsPerSecond / 1100, 3),
      finished: drain.finished,
    }
  } finally {
    await service.close()
    await crm.close()
  }
}
