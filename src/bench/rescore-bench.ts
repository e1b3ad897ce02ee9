/**
 * `leadgrid bench rescore`: N generated contacts × 20 events bulk-loaded (COPY), each with its
 * current score; then a changed grid is published through the grid service and the running
 * workers rescore until no contact is dirty. Baseline, same run: the engine alone scoring the same
 * contacts in memory (prepare + evaluate, one core, no database).
 */
import { compileGrid, evaluate, gridSchema, prepareEvents, starterGrid } from '../scoring/index.js'
import { benchContacts, chunks } from './bench-contacts.js'
import { type BenchMachine, peakRssMb, round, sleep } from './bench-machine.js'
import {
  createContactLoader,
  hasDirtyContacts,
  publishGridChange,
  setWhitepaperPoints,
  startBenchService,
} from './bench-service.js'

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

  // Baseline: the engine alone, on the grid the publish will bring (whitepaper 25 → 30 points).
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
  if (sink < 0) log('impossible')
  const baselinePerSecond = Math.round(count / (engineMs / 1000))
  const baselinePerCpuSecond = Math.round(count / (engineCpuMs / 1000))
  log(`baseline: engine alone ${baselinePerSecond.toLocaleString('en-US')} contacts/s`)

  const service = await startBenchService()
  try {
    const loader = createContactLoader(service, { withScores: true })
    const l0 = performance.now()
    let loaded = 0
    for (const chunk of chunks(benchContacts({ count, eventsPerContact: perContact, now }), 2000)) {
      await loader.load(chunk)
      loaded += chunk.length
      if (loaded % 20_000 === 0) log(`loaded ${loaded.toLocaleString('en-US')} contacts (${loader.method})`)
    }
    const loadSeconds = (performance.now() - l0) / 1000
    // contacts + email identities + events + scores
    const loadRows = count * (3 + perContact)
    if (loader.copyRefusal) log(`COPY refused (${loader.copyRefusal}); loaded with INSERT … unnest`)

    await service.startWorkers()
    const rssBefore = Math.round(process.memoryUsage().rss / 2 ** 20)
    const p0 = performance.now()
    const cpu0 = process.cpuUsage()
    await publishGridChange(service, setWhitepaperPoints(30), 'bench: whitepaper 25 → 30')
    const publishSeconds = (performance.now() - p0) / 1000
    log(`published in ${round(publishSeconds, 1)} s; rescoring…`)
    const timeoutMs = (options.timeoutSeconds ?? 900) * 1000
    let finished = false
    let lastLog = performance.now()
    while (performance.now() - p0 < timeoutMs) {
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
    const history = await service.runtime.deps.db
      .selectFrom('score_history')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspace_id', '=', service.workspace.workspaceId)
      .executeTakeFirstOrThrow()
    const contactsPerSecond = Math.round(count / rescoreSeconds)
    return {
      bench: 'rescore',
      machine: service.machine,
      contacts: count,
      eventsPerContact: perContact,
      loadMethod: loader.method === 'copy' ? 'COPY FROM STDIN' : 'INSERT … SELECT FROM unnest (COPY refused)',
      loadSeconds: round(loadSeconds, 1),
      loadRowsPerSecond: Math.round(loadRows / loadSeconds),
      publishSeconds: round(publishSeconds, 2),
      rescoreSeconds: round(rescoreSeconds, 1),
      contactsPerSecond,
      historyRows: Number(history.n),
      peakRssMb: peakRssMb(),
      rssBeforePublishMb: rssBefore,
      processCpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
      baseline: {
        what: 'the engine alone (prepare + evaluate) on the same contacts in memory, one core',
        contactsPerSecond: baselinePerSecond,
        contactsPerCpuSecond: baselinePerCpuSecond,
        seconds: round(engineMs / 1000, 2),
      },
      ratio: round(contactsPerSecond / baselinePerSecond, 4),
      extrapolatedSecondsFor1M: Math.round(1_000_000 / contactsPerSecond),
      finished,
    }
  } finally {
    await service.close()
  }
}
