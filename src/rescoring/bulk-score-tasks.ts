/**
 * The CPU half of bulk scoring (preview and rescore after publish), run on worker threads
 * (bulk-score-worker.ts) or inline for small jobs. Pure: a task is plain data — the page's rows as
 * the JSON text PostgreSQL built (bulk-score-repository.ts), the grids' definitions, the instant —
 * and so is its answer, so the main thread neither decodes event rows nor builds score objects.
 *
 * The answer is made to be cheap for the main thread: the rescore returns each score as the JSON
 * text of a row for `json_to_recordset` (joined into one statement parameter), the preview returns
 * the page's aggregates (counts, totals, its 20 biggest movers), not 1,000 results.
 */
import type { LeadEvent } from '../domain/lead-event.js'
import {
  type CompiledGridCache,
  createCompiledGridCache,
  evaluate,
  parseInstant,
  prepareEvents,
} from '../scoring/index.js'
import type { EvaluateInput, ScoreResult } from '../scoring/types.js'

/** A grid as tasks carry it: `key` names a compiled version worth caching (a grid id, or a draft's). */
export interface TaskGrid {
  key: string
  definition: unknown
}

/** One contact as the page query renders it (see bulk-score-repository.ts). */
export interface ContactData {
  /** profile */
  p: EvaluateInput['profile']
  /** first seen (UTC timestamp text, see bulk-score-repository.ts) */
  c: string
  /** events in the lookback, in no particular order: [type, UTC timestamp text, attributes] */
  e: [LeadEvent['type'], string, LeadEvent['attributes']][]
  /** stored score: [grid id, total, band, grade, mql, mql since (UTC timestamp text) | null, reasons] */
  s: [string, number, string, string, boolean, string | null, string] | null
  /** marked for rescore (its stored score may be stale) — preview pages only */
  k?: boolean
  /** email — preview pages only */
  m?: string | null
}

export interface RescoreTask {
  kind: 'rescore'
  grid: TaskGrid & { id: string }
  now: number
  /** [contact id, mark reason, data JSON] */
  rows: [string, string, string][]
}

/** One scored contact: what the write-back needs, and the row text for the scores/history tables. */
export interface RescoredContact {
  contactId: string
  result: Omit<ScoreResult, 'contributions'>
  /** A visible change (total, band, grade, MQL) against the stored score: a history row. */
  changed: boolean
  /** JSON object text: the scores/history row (contributions included), for json_to_recordset. */
  record: string
}

export interface PreviewTask {
  kind: 'preview'
  draft: TaskGrid
  /** The published grid; null when none (no "before"). */
  published: (TaskGrid & { id: string }) | null
  now: number
  /** [contact id, data JSON] */
  rows: [string, string][]
}

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

export interface BandCounts {
  cold: number
  warm: number
  hot: number
  mql: number
  sum: number
}

export interface PreviewPage {
  contacts: number
  after: BandCounts
  before: BandCounts | null
  totalsAfter: number[]
  totalsBefore: number[]
  bandChanges: Record<string, number>
  changedScore: number
  newlyMql: number
  noLongerMql: number
  /** "before" taken from the stored score (the rest were scored with the published grid). */
  storedBefore: number
  movers: PreviewMover[]
}

export type ScoreTask = RescoreTask | PreviewTask
export type ScoreTaskResult<T extends ScoreTask> = T extends RescoreTask ? RescoredContact[] : PreviewPage

export const MOVERS = 20

/**
 * The compiled grids a thread keeps, by task key: a few (the published grid and a draft or two).
 * Each scoring thread builds one (bulk-score-worker.ts), as does each pool for the tasks it runs
 * on the calling thread.
 */
export function createTaskGridCache(): CompiledGridCache {
  return createCompiledGridCache({ max: 8 })
}

function inputOf(data: ContactData): EvaluateInput {
  const events: LeadEvent[] = data.e.map(([type, occurredAt, attributes]) => ({
    type,
    occurredAt,
    attributes,
  }))
  const s = data.s
  return {
    profile: data.p,
    createdAt: parseInstant(data.c),
    events: prepareEvents(events),
    // The stored MQL status, so hysteresis acts as it does in real time. MQL-since is carried to
    // the result and the CRM as is: in the shape a Date read through pg gives (toISOString).
    previous: s
      ? { mql: s[4], mqlSince: s[5] === null ? null : new Date(parseInstant(s[5])).toISOString() }
      : undefined,
  }
}

/** Runs `task` with the grids compiled in `grids` (see createTaskGridCache). */
export function runScoreTask<T extends ScoreTask>(task: T, grids: CompiledGridCache): ScoreTaskResult<T> {
  return (task.kind === 'rescore' ? rescorePage(task, grids) : previewPage(task, grids)) as ScoreTaskResult<T>
}

const compiledFor = (grids: CompiledGridCache, grid: TaskGrid) =>
  grids.get(grid.key, grid.definition).compiled

function rescorePage(task: RescoreTask, grids: CompiledGridCache): RescoredContact[] {
  const grid = compiledFor(grids, task.grid)
  const out: RescoredContact[] = []
  for (const [contactId, reason, text] of task.rows) {
    const data = JSON.parse(text) as ContactData
    const { contributions, ...result } = evaluate(grid, inputOf(data), task.now)
    const s = data.s
    // The same test as score-repository's visiblyChanged, on the stored row's values.
    const changed =
      !s || s[1] !== result.total || s[2] !== result.band || s[3] !== result.grade || s[4] !== result.mql
    out.push({
      contactId,
      result,
      changed,
      record: JSON.stringify({
        contact_id: contactId,
        grid_id: task.grid.id,
        fit: result.fit,
        engagement: result.engagement,
        total: result.total,
        band: result.band,
        grade: result.grade,
        mql: result.mql,
        mql_since: result.mqlSince,
        reasons: result.reasons,
        contributions,
        cause: reason,
      }),
    })
  }
  return out
}

const counts = (): BandCounts => ({ cold: 0, warm: 0, hot: 0, mql: 0, sum: 0 })

function count(c: BandCounts, band: string, mql: boolean, total: number) {
  if (band === 'cold' || band === 'warm' || band === 'hot') c[band] += 1
  if (mql) c.mql += 1
  c.sum += total
}

/** Largest move first; equal moves by email (then id), so the list never depends on storage order. */
export function byMove(x: PreviewMover, y: PreviewMover): number {
  const d = Math.abs(y.after - y.before) - Math.abs(x.after - x.before)
  if (d !== 0) return d
  return (
    (x.email ?? x.contactId).localeCompare(y.email ?? y.contactId) || x.contactId.localeCompare(y.contactId)
  )
}

/** A page with nothing counted yet (`before` only when there is a published grid to compare with). */
export function emptyPreviewPage(withBefore: boolean): PreviewPage {
  return {
    contacts: 0,
    after: counts(),
    before: withBefore ? counts() : null,
    totalsAfter: [],
    totalsBefore: [],
    bandChanges: {},
    changedScore: 0,
    newlyMql: 0,
    noLongerMql: 0,
    storedBefore: 0,
    movers: [],
  }
}

function previewPage(task: PreviewTask, grids: CompiledGridCache): PreviewPage {
  const draft = compiledFor(grids, task.draft)
  const published = task.published ? compiledFor(grids, task.published) : null
  const page = emptyPreviewPage(published !== null)
  for (const [contactId, text] of task.rows) {
    const data = JSON.parse(text) as ContactData
    const input = inputOf(data)
    const a = evaluate(draft, input, task.now)
    page.contacts += 1
    page.totalsAfter.push(a.total)
    count(page.after, a.band, a.mql, a.total)
    if (!published || !task.published) continue
    // "Before" is what the contact shows today: its stored score, when the published grid computed
    // it and nothing has changed since (no rescore mark); else the published grid scores it now.
    const s = data.s
    let b: { total: number; band: string; mql: boolean; reasons: string }
    if (s && s[0] === task.published.id && !data.k) {
      b = { total: s[1], band: s[2], mql: s[4], reasons: s[6] }
      page.storedBefore += 1
    } else {
      b = evaluate(published, input, task.now)
    }
    page.totalsBefore.push(b.total)
    count(page.before!, b.band, b.mql, b.total)
    if (b.band !== a.band) {
      const key = `${b.band}→${a.band}`
      page.bandChanges[key] = (page.bandChanges[key] ?? 0) + 1
    }
    if (a.mql && !b.mql) page.newlyMql += 1
    if (!a.mql && b.mql) page.noLongerMql += 1
    if (a.total === b.total) continue
    page.changedScore += 1
    const movers = page.movers
    const last = movers[movers.length - 1]
    if (movers.length < MOVERS || Math.abs(a.total - b.total) >= Math.abs(last!.after - last!.before)) {
      const p = data.p
      const name = [p.firstname, p.lastname].filter((x) => typeof x === 'string' && x).join(' ')
      movers.push({
        contactId,
        email: data.m ?? null,
        name: name || null,
        before: b.total,
        after: a.total,
        bandBefore: b.band,
        bandAfter: a.band,
        reasonsBefore: b.reasons,
        reasonsAfter: a.reasons,
      })
      movers.sort(byMove)
      if (movers.length > MOVERS) movers.length = MOVERS
    }
  }
  return page
}
