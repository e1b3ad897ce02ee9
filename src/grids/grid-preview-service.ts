/**
 * Full preview of a grid before it is published: EVERY contact of the workspace scored with the
 * candidate by the same engine, read in pages ordered by contact id (a keyset walk: constant
 * memory, no OFFSET rescans) and scored on the bulk pool's threads (rescoring/bulk-pipeline.ts).
 * Returns what the settings page shows: the distribution before/after, band changes, MQL
 * gained/lost and the biggest movers with reasons.
 *
 * "Before" is what each contact shows today — its stored score — whenever the published grid
 * computed it and no rescore mark says it is stale; only the others are scored with the published
 * grid. That halves the engine's work and keeps "before" equal to what sales see on the record.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { FIRST_KEY, readContactPage } from '../db/bulk-score-repository.js'
import type { Db } from '../db/database.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { runPipeline } from '../rescoring/bulk-pipeline.js'
import {
  type BandCounts,
  byMove,
  emptyPreviewPage,
  MOVERS,
  type PreviewMover,
} from '../rescoring/bulk-score-tasks.js'
import { createInlineScorer, type ScorePool } from '../rescoring/score-worker-pool.js'
import type { CompiledGridCache, Grid } from '../scoring/index.js'

export type { PreviewMover } from '../rescoring/bulk-score-tasks.js'

const DAY_MS = 86_400_000
const PAGE_SIZE = 1000
const BANDS = ['cold', 'warm', 'hot'] as const

export interface PreviewResult {
  contacts: number
  comparedWith: { gridId: string; version: number } | null
  before: BandSummary | null
  after: BandSummary
  /** Histogram of totals: bucket lower bounds (width `bucketWidth`) and counts before/after. */
  distribution: { bucketWidth: number; buckets: number[]; before: number[]; after: number[] }
  /** Contacts moving from one band to another, e.g. { "warm→hot": 12 }. */
  bandChanges: Record<string, number>
  changedBand: number
  changedScore: number
  newlyMql: number
  noLongerMql: number
  movers: PreviewMover[]
  ms: number
}

interface BandSummary {
  cold: number
  warm: number
  hot: number
  mql: number
  averageScore: number
}

function summarize(c: BandCounts, contacts: number): BandSummary {
  return {
    cold: c.cold,
    warm: c.warm,
    hot: c.hot,
    mql: c.mql,
    averageScore: contacts ? Math.round((c.sum / contacts) * 10) / 10 : 0,
  }
}

function addCounts(into: BandCounts, c: BandCounts) {
  into.cold += c.cold
  into.warm += c.warm
  into.hot += c.hot
  into.mql += c.mql
  into.sum += c.sum
}

function histogram(before: number[], after: number[]) {
  const all = [...before, ...after]
  if (all.length === 0) return { bucketWidth: 10, buckets: [], before: [], after: [] }
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (const v of all) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  // About 30 buckets at most, in round widths (5, 10, 20, 50…), aligned on multiples of the width.
  const span = Math.max(1, hi - lo)
  const width = [5, 10, 20, 25, 50, 100, 200, 500, 1000].find((w) => span / w <= 30) ?? 1000
  const start = Math.floor(lo / width) * width
  const n = Math.floor((hi - start) / width) + 1
  const buckets = Array.from({ length: n }, (_, i) => start + i * width)
  const fill = (values: number[]) => {
    const counts = new Array<number>(n).fill(0)
    for (const v of values) counts[Math.floor((v - start) / width)]! += 1
    return counts
  }
  return { bucketWidth: width, buckets, before: fill(before), after: fill(after) }
}

export function createGridPreviewService(deps: {
  db: Db
  clock: Pick<Clock, 'now'>
  /** The main thread's compiled grids (built once, in the composition root). */
  compiledGrids: CompiledGridCache
  /** The scoring threads (the process's pool, built in the composition root). */
  scorePool: ScorePool
  /** Contacts per page (tests use a small one to go through the threads). */
  pageSize?: number
}) {
  const { db, clock, scorePool } = deps
  const pageSize = deps.pageSize ?? PAGE_SIZE
  // A workspace that fits in one page is scored inline: no thread start-up for a demo.
  const inline = createInlineScorer()

  /** Scores every contact with `candidate` (a validated grid) against the published grid. */
  async function preview(workspaceId: string, candidate: Grid): Promise<PreviewResult> {
    const started = performance.now()
    const published = await getPublishedGrid(db, workspaceId)
    const current = published ? deps.compiledGrids.get(published.id, published.definition) : null
    const now = clock.now().getTime()
    const lookback = Math.max(candidate.lookbackDays, current?.grid.lookbackDays ?? 0)
    const since = new Date(now - lookback * DAY_MS)
    // A key of its own: a draft may be edited between two previews, so no cache hit across calls.
    const draft = { key: `draft:${randomUUID()}`, definition: candidate }
    const publishedGrid = published
      ? { key: published.id, id: published.id, definition: published.definition }
      : null

    const total = emptyPreviewPage(publishedGrid !== null)
    let after = FIRST_KEY
    let pool: ScorePool | null = null
    await runPipeline({
      read: async () => {
        const page = await readContactPage(db, workspaceId, { after, limit: pageSize, since })
        if (page.length === 0) return null
        after = page[page.length - 1]!.id
        pool ??= page.length < pageSize ? inline : scorePool
        return page
      },
      score: (page) =>
        pool!.run({
          kind: 'preview',
          draft,
          published: publishedGrid,
          now,
          rows: page.map((r) => [r.id, r.data]),
        }),
      consume: (_page, p) => {
        total.contacts += p.contacts
        addCounts(total.after, p.after)
        if (total.before && p.before) addCounts(total.before, p.before)
        for (const v of p.totalsAfter) total.totalsAfter.push(v)
        for (const v of p.totalsBefore) total.totalsBefore.push(v)
        for (const [k, n] of Object.entries(p.bandChanges))
          total.bandChanges[k] = (total.bandChanges[k] ?? 0) + n
        total.changedScore += p.changedScore
        total.newlyMql += p.newlyMql
        total.noLongerMql += p.noLongerMql
        total.storedBefore += p.storedBefore
        if (p.movers.length > 0) total.movers = [...total.movers, ...p.movers].sort(byMove).slice(0, MOVERS)
      },
      depth: 4,
    })
    return {
      contacts: total.contacts,
      comparedWith: published ? { gridId: published.id, version: published.version } : null,
      before: total.before ? summarize(total.before, total.contacts) : null,
      after: summarize(total.after, total.contacts),
      distribution: histogram(total.totalsBefore, total.totalsAfter),
      bandChanges: Object.fromEntries(
        Object.entries(total.bandChanges).sort(
          ([x], [y]) => BANDS.indexOf(x.split('→')[0] as never) - BANDS.indexOf(y.split('→')[0] as never),
        ),
      ),
      changedBand: Object.values(total.bandChanges).reduce((s, n) => s + n, 0),
      changedScore: total.changedScore,
      newlyMql: total.newlyMql,
      noLongerMql: total.noLongerMql,
      movers: total.movers,
      ms: Math.round(performance.now() - started),
    }
  }

  return { preview }
}

export type GridPreviewService = ReturnType<typeof createGridPreviewService>
