/**
 * `leadgrid bench preview`: the settings page's preview before publishing — every contact of a
 * workspace scored with a draft and with the published grid, side by side (grid-preview-service.ts,
 * the same call `simulate?mode=full` and the page make) — over N generated contacts × 20 events.
 * Baseline, same run: the engine alone scoring the same contacts once in memory.
 */
import { createGridPreviewService } from '../grids/grid-preview-service.js'
import { compileGrid, evaluate, gridSchema, prepareEvents, starterGrid } from '../scoring/index.js'
import { benchContacts, chunks } from './bench-contacts.js'
import { type BenchMachine, peakRssMb, round } from './bench-machine.js'
import { setWhitepaperPoints, startBenchService } from './bench-service.js'
import { createContactLoader } from './contact-loader.js'

export interface PreviewBenchResult {
  bench: 'preview'
  machine: BenchMachine
  contacts: number
  eventsPerContact: number
  loadSeconds: number
  /** The whole preview: reading every contact and its events, scoring twice, summarising. */
  previewSeconds: number
  contactsPerSecond: number
  contactsChangingBand: number
  peakRssMb: number
  baseline: { what: string; contactsPerSecond: number; seconds: number }
  ratio: number
}

export async function runPreviewBench(
  options: { contacts?: number; eventsPerContact?: number; log?: (l: string) => void } = {},
): Promise<PreviewBenchResult> {
  const count = options.contacts ?? 100_000
  const perContact = options.eventsPerContact ?? 20
  const log = options.log ?? (() => {})
  const now = Date.now()
  const draft = structuredClone(starterGrid) as unknown as Record<string, unknown>
  setWhitepaperPoints(30)(draft)
  const grid = gridSchema.parse(draft)

  const compiled = compileGrid(grid)
  const e0 = performance.now()
  let sink = 0
  for (const chunk of chunks(benchContacts({ count, eventsPerContact: perContact, now }), 1000)) {
    for (const c of chunk) {
      sink += evaluate(
        compiled,
        { profile: c.profile as never, createdAt: c.createdAt, events: prepareEvents(c.events) },
        now,
      ).total
    }
  }
  const engineSeconds = (performance.now() - e0) / 1000
  if (sink < 0) log('impossible')
  const baselinePerSecond = Math.round(count / engineSeconds)
  log(`baseline: engine alone ${baselinePerSecond.toLocaleString('en-US')} contacts/s`)

  const service = await startBenchService()
  try {
    const loader = createContactLoader(service, { withScores: true })
    const l0 = performance.now()
    for (const chunk of chunks(benchContacts({ count, eventsPerContact: perContact, now }), 2000)) {
      await loader.load(chunk)
    }
    const loadSeconds = (performance.now() - l0) / 1000
    log(`loaded ${count.toLocaleString('en-US')} contacts in ${round(loadSeconds, 1)} s (${loader.method})`)
    const preview = createGridPreviewService(service.runtime.deps)
    const p0 = performance.now()
    const result = await preview.preview(service.workspace.workspaceId, grid)
    const previewSeconds = (performance.now() - p0) / 1000
    const contactsPerSecond = Math.round(count / previewSeconds)
    return {
      bench: 'preview',
      machine: service.machine,
      contacts: count,
      eventsPerContact: perContact,
      loadSeconds: round(loadSeconds, 1),
      previewSeconds: round(previewSeconds, 2),
      contactsPerSecond,
      contactsChangingBand: result.changedBand,
      peakRssMb: peakRssMb(),
      baseline: {
        what: 'the engine alone scoring the same contacts once in memory, one core',
        contactsPerSecond: baselinePerSecond,
        seconds: round(engineSeconds, 2),
      },
      ratio: round(contactsPerSecond / baselinePerSecond, 4),
    }
  } finally {
    await service.close()
  }
}
