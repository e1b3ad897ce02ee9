/**
 * Full preview of a grid before it is published: EVERY contact of the workspace scored with the
 * candidate and with the published grid by the same engine, read in pages ordered by contact id
 * (a keyset walk: constant memory, no OFFSET rescans). Returns what the settings page shows: the
 * distribution before/after, band changes, MQL gained/lost and the biggest movers with reasons.
 */
import type { Clock } from '../clock.js'
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { loadScores } from '../db/score-repository.js'
import { compiledGridFor } from '../rescoring/rescore-service.js'
import { type CompiledGrid, compileGrid, evaluate, type Grid, prepareEvents } from '../scoring/index.js'

const DAY_MS = 86_400_000
const PAGE_SIZE = 1000
const BANDS = ['cold', 'warm', 'hot'] as const
const MOVERS = 20

export interface PreviewMover {
  contactId: string
  email: string | null
  name: string | null
  before: number
  after: number
  bandBefore: string
  bandAfter: string
  reasonsBefore: string
  reasonsAfter: string
}

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

function summarize(totals: number[], bands: string[], mql: boolean[]): BandSummary {
  const count = (b: string) => bands.filter((x) => x === b).length
  return {
    cold: count('cold'),
    warm: count('warm'),
    hot: count('hot'),
    mql: mql.filter(Boolean).length,
    averageScore: totals.length
      ? Math.round((totals.reduce((a, t) => a + t, 0) / totals.length) * 10) / 10
      : 0,
  }
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

/** Largest move first; equal moves by email (then id), so the list never depends on storage order. */
function byMove(x: PreviewMover, y: PreviewMover): number {
  const d = Math.abs(y.after - y.before) - Math.abs(x.after - x.before)
  if (d !== 0) return d
  return (
    (x.email ?? x.contactId).localeCompare(y.email ?? y.contactId) || x.contactId.localeCompare(y.contactId)
  )
}

export function createGridPreviewService(deps: { db: Db; clock: Pick<Clock, 'now'> }) {
  const { db, clock } = deps

  /** Scores every contact with `candidate` (a validated grid) against the published grid. */
  async function preview(workspaceId: string, candidate: Grid): Promise<PreviewResult> {
    const started = performance.now()
    const published = await getPublishedGrid(db, workspaceId)
    const next: { grid: Grid; compiled: CompiledGrid } = { grid: candidate, compiled: compileGrid(candidate) }
    const current = published ? compiledGridFor(published.id, published.definition) : null
    const now = clock.now().getTime()
    const lookback = Math.max(next.grid.lookbackDays, current?.grid.lookbackDays ?? 0)
    const since = new Date(now - lookback * DAY_MS)

    const totalsBefore: number[] = []
    const totalsAfter: number[] = []
    const bandsBefore: string[] = []
    const bandsAfter: string[] = []
    const mqlBefore: boolean[] = []
    const mqlAfter: boolean[] = []
    const bandChanges: Record<string, number> = {}
    let changedScore = 0
    let newlyMql = 0
    let noLongerMql = 0
    let movers: PreviewMover[] = []

    let after: string | null = null
    for (;;) {
      let query = db
        .selectFrom('contacts')
        .select(['id', 'email', 'properties', 'first_seen_at'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('id')
        .limit(PAGE_SIZE)
      if (after) query = query.where('id', '>', after)
      const page = await query.execute()
      if (page.length === 0) break
      after = page[page.length - 1]!.id
      const ids = page.map((c) => c.id)
      const [events, stored] = await Promise.all([
        loadEventsForContacts(db, workspaceId, ids, since),
        loadScores(db, workspaceId, ids),
      ])
      for (const c of page) {
        const prev = stored.get(c.id)
        const input = {
          profile: c.properties,
          createdAt: c.first_seen_at.getTime(),
          events: prepareEvents(events.get(c.id) ?? []),
          // The stored MQL status, so hysteresis acts as it will when the grid is published.
          previous: prev ? { mql: prev.mql, mqlSince: prev.mql_since?.toISOString() ?? null } : undefined,
        }
        const a = evaluate(next.compiled, input, now)
        const b = current ? evaluate(current.compiled, input, now) : null
        totalsAfter.push(a.total)
        bandsAfter.push(a.band)
        mqlAfter.push(a.mql)
        if (!b) continue
        totalsBefore.push(b.total)
        bandsBefore.push(b.band)
        mqlBefore.push(b.mql)
        if (b.band !== a.band)
          bandChanges[`${b.band}→${a.band}`] = (bandChanges[`${b.band}→${a.band}`] ?? 0) + 1
        if (a.mql && !b.mql) newlyMql += 1
        if (!a.mql && b.mql) noLongerMql += 1
        if (a.total === b.total) continue
        changedScore += 1
        const delta = Math.abs(a.total - b.total)
        if (
          movers.length < MOVERS ||
          delta >= Math.abs(movers[movers.length - 1]!.after - movers[movers.length - 1]!.before)
        ) {
          const p = c.properties
          const name = [p.firstname, p.lastname].filter((x) => typeof x === 'string' && x).join(' ')
          movers.push({
            contactId: c.id,
            email: c.email,
            name: name || null,
            before: b.total,
            after: a.total,
            bandBefore: b.band,
            bandAfter: a.band,
            reasonsBefore: b.reasons,
            reasonsAfter: a.reasons,
          })
          movers.sort(byMove)
          movers = movers.slice(0, MOVERS)
        }
      }
      if (page.length < PAGE_SIZE) break
    }
    return {
      contacts: totalsAfter.length,
      comparedWith: published ? { gridId: published.id, version: published.version } : null,
      before: current ? summarize(totalsBefore, bandsBefore, mqlBefore) : null,
      after: summarize(totalsAfter, bandsAfter, mqlAfter),
      distribution: histogram(totalsBefore, totalsAfter),
      bandChanges: Object.fromEntries(
        Object.entries(bandChanges).sort(
          ([x], [y]) => BANDS.indexOf(x.split('→')[0] as never) - BANDS.indexOf(y.split('→')[0] as never),
        ),
      ),
      changedBand: Object.values(bandChanges).reduce((s, n) => s + n, 0),
      changedScore,
      newlyMql,
      noLongerMql,
      movers,
      ms: Math.round(performance.now() - started),
    }
  }

  return { preview }
}

export type GridPreviewService = ReturnType<typeof createGridPreviewService>
