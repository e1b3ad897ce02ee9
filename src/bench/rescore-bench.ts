/**
 * `leadgrid bench rescore`: N generated contacts × 20 events bulk-loaded (COPY), each with its
 * current score; then a changed grid is published through the grid service and the running
 * workers rescore until no contact is dirty. Baseline, same run: the engine alone scoring the same
 * contacts in memory (prepare + evaluate, one core, no database).
 */
import { scoreHistoryRows } from '../db/bench/probe-repository.js'
import { compileGrid, evaluate, gridSchema, prepareEvents, starterGrid } from '../scoring/index.js'
import { benchContacts, chunks } from './bench-contacts.js'
import { type BenchMachine, peakRssMb, round, sleep } from './bench-machine.js'
import {
  type BenchService,
  hasDirtyContacts,
  publishGridChange,
  setWhitepaperPoints,
  startBenchService,
} from './bench-service.js'
import { createContactLoader } from './contact-loader.js'

export interface RescoreBenchResult {
  bench: 'rescore'
  machine: BenchMachine
  contacts: number
  eventsPerContact: number
  /** How the rows were loaded: COPY FROM STDIN, or INSERT … unnest where COPY was refused. */
  loadMethod: string
  loadSeconds: number
  loadRowsPerSecond: number
  /** The publish call itself (it marks every contact dirty in one transaction). */
  publishSeconds: number
  /** From the publish call until no contact is dirty. */
  rescoreSeconds: number
  contactsPerSecond: number
  /** Rows written to the score history (visible changes). */
  historyRows: number
  peakRssMb: number
  rssBeforePublishMb: number
  /** CPU time this process (Leadgrid's workers; PostgreSQL not included) spent on the rescore. */
  processCpuSeconds: number
  baseline: { what: string; contactsPerSecond: number; contactsPerCpuSecond: number; seconds: number }
  /** contactsPerSecond / baseline. */
  ratio: number
  /** Seconds 1,000,000 contacts would take at this rate: a straight-line extrapolation, not a run. */
  extrapolatedSecondsFor1M: number
  finished: boolean
}

/** The engine alone on the grid the publish will bring (whitepaper 25 → 30 points), in memory. */
function engineBaseline(count: number, perContact: number, now: number) {
  const changed = structuredClone(starterGrid) as unknown as Record<string, unknown>
  setWhitepaperPoints(30)(changed)
  const compiled = compileGrid(gridSchema.parse(changed))
  let engineMs = 0
  let engineCpuMs = 0
  let sink = 0
  for (const chunk of chunks(benchContacts({ count, eventsPerContact: perContact, now }), 1000)) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    for (const c of chunk) {
      sink += evaluate(
        compiled,
        { profile: c.profile as never, createdAt: c.createdAt, events: prepareEvents(c.events) },
        now,
      ).total
    }
    engineMs += performance.now() - t0
    const dc = process.cpuUsage(c0)
    engineCpuMs += (dc.user + dc.system) / 1000
  }
  return {
    what: 'the engine alone (prepare + evaluate) on the same contacts in memory, one core',
    contactsPerSecond: Math.round(count / (engineMs / 1000)),
    contactsPerCpuSecond: Math.round(count / (engineCpuMs / 1000)),
    seconds: round(engineMs / 1000, 2),
    /** Keeps the evaluations from being optimised away. */
    sink,
  }
}

/** The contacts with their current scores, straight into the tables. */
async function loadScoredContacts(
  service: BenchService,
  count: number,
  perContact: number,
  now: number,
  log: (l: string) => void,
) {
  const loader = createContactLoader(service, { withScores: true })
  const l0 = performance.now()
  let loaded = 0
  for (const chunk of chunks(benchContacts({ count, eventsPerContact: perContact, now }), 2000)) {
    await loader.load(chunk)
    loaded += chunk.length
    if (loaded % 20_000 === 0) log(`loaded ${loaded.toLocaleString('en-US')} contacts (${loader.method})`)
  }
  const loadSeconds = (performance.now() - l0) / 1000
  if (loader.copyRefusal) log(`COPY refused (${loader.copyRefusal}); loaded with INSERT … unnest`)
  return { method: loader.method, loadSeconds }
}

/** Publishes the changed grid, then waits (with the workers running) until no contact is dirty. */
async function publishAndRescore(service: BenchService, timeoutSeconds: number, log: (l: string) => void) {
  await service.startWorkers()
  const rssBeforePublishMb = Math.round(process.memoryUsage().rss / 2 ** 20)
  const p0 = performance.now()
  const cpu0 = process.cpuUsage()
  await publishGridChange(service, setWhitepaperPoints(30), 'bench: whitepaper 25 → 30')
  const publishSeconds = (performance.now() - p0) / 1000
  log(`published in ${round(publishSeconds, 1)} s; rescoring…`)
  let finished = false
  let lastLog = performance.now()
  while (performance.now() - p0 < timeoutSeconds * 1000) {
    if (!(await hasDirtyContacts(service))) {
      finished = true
      break
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now()
      log(`  ${round((performance.now() - p0) / 1000)} s…`)
    }
    await sleep(250)
  }
  const rescoreSeconds = (performance.now() - p0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return {
    finished,
    publishSeconds,
    rescoreSeconds,
    rssBeforePublishMb,
    processCpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
  }
}

export async function runRescoreBench(
  options: {
    contacts?: number
    eventsPerContact?: number
    timeoutSeconds?: number
    log?: (l: string) => void
  } = {},
): Promise<RescoreBenchResult> {
  const count = options.contacts ?? 100_000
  const perContact = options.eventsPerContact ?? 20
  const log = options.log ?? (() => {})
  const now = Date.now()

  const { sink, ...baseline } = engineBaseline(count, perContact, now)
  if (sink < 0) log('impossible')
  log(`baseline: engine alone ${baseline.contactsPerSecond.toLocaleString('en-US')} contacts/s`)

  const service = await startBenchService()
  try {
    const load = await loadScoredContacts(service, count, perContact, now, log)
    // contacts + email identities + events + scores
    const loadRows = count * (3 + perContact)
    const run = await publishAndRescore(service, options.timeoutSeconds ?? 900, log)
    const historyRows = await scoreHistoryRows(service.runtime.deps.db, service.workspace.workspaceId)
    const contactsPerSecond = Math.round(count / run.rescoreSeconds)
    return {
      bench: 'rescore',
      machine: service.machine,
      contacts: count,
      eventsPerContact: perContact,
      loadMethod: load.method === 'copy' ? 'COPY FROM STDIN' : 'INSERT … SELECT FROM unnest (COPY refused)',
      loadSeconds: round(load.loadSeconds, 1),
      loadRowsPerSecond: Math.round(loadRows / load.loadSeconds),
      publishSeconds: round(run.publishSeconds, 2),
      rescoreSeconds: round(run.rescoreSeconds, 1),
      contactsPerSecond,
      historyRows,
      peakRssMb: peakRssMb(),
      rssBeforePublishMb: run.rssBeforePublishMb,
      processCpuSeconds: run.processCpuSeconds,
      baseline,
      ratio: round(contactsPerSecond / baseline.contactsPerSecond, 4),
      extrapolatedSecondsFor1M: Math.round(1_000_000 / contactsPerSecond),
      finished: run.finished,
    }
  } finally {
    await service.close()
  }
}
