/**
 * The rescore of many marked contacts at once (a publish, the daily sweep, a backfill): the marks
 * are walked in contact-id order (keyset), each page is scored on the pool's threads while the next
 * is read, and written in one short transaction of set-based statements — scores upsert, history
 * and outbox, marks deleted — so no transaction lasts longer than one page, and a crash (kill -9)
 * redoes at most the pages in flight, whole: a page's marks are deleted by the very commit that
 * stores its scores and history, never before, never after.
 *
 * Reading and scoring hold no lock. The write keeps only what is still true: marks still at the
 * row version read (an event that arrived meanwhile re-marked the contact: it stays marked and is
 * scored again with that event), contacts not held by a writer, and the published grid still the
 * one scored with (a publish in between stops the pass; the new publish re-marked everything).
 */
import {
  clearMarksById,
  FIRST_KEY,
  holdUnchangedMarks,
  lockContactsForScoring,
  type MarkedContact,
  readMarkedPage,
  writeScoreRecords,
} from '../db/bulk-score-repository.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import { runPipeline } from './bulk-pipeline.js'
import type { RescoredContact } from './bulk-score-tasks.js'
import { type BulkPassDeps, followUpScoredPage } from './bulk-write-back.js'

const DAY_MS = 86_400_000

export type BulkRescoreDeps = BulkPassDeps<{
  lock: number
  scores: number
  outbox: number
  afterScored: number
  marks: number
}>

export interface BulkRescoreOptions {
  /** Contacts per page (one transaction each). */
  pageSize?: number
  /** Stop reading new pages after this long (the job then re-queues itself; pg-boss expires long jobs). */
  budgetMs?: number
}

class GridChanged extends Error {}

export function createBulkRescore(deps: BulkRescoreDeps) {
  const { db, clock, logger } = deps

  async function writePage(
    workspaceId: string,
    gridId: string,
    page: { rows: MarkedContact[]; now: Date },
    results: RescoredContact[],
  ) {
    return transactionWithRetry(
      db,
      async (trx) => {
        const steps = { lock: 0, scores: 0, afterScored: 0, outbox: 0, marks: 0 }
        let mark = performance.now()
        const lap = (step: keyof typeof steps) => {
          const t = performance.now()
          steps[step] += t - mark
          mark = t
        }
        const held = await holdUnchangedMarks(trx, workspaceId, page.rows)
        if (held.size === 0) return { settled: 0, changed: 0, connections: [] as string[], steps }
        // Checked after the marks are held: a publish committed before this point re-marked them
        // (so they were not held) or changed the grid (seen here); one committing later waits for
        // these marks and re-marks them after this commit.
        const published = await getPublishedGrid(trx, workspaceId)
        if (published?.id !== gridId) throw new GridChanged()
        const readGone = page.rows.filter((r) => r.data === null && held.has(r.id)).map((r) => r.id)
        const candidates = results.filter((r) => held.has(r.contactId))
        const { locked, gone } = await lockContactsForScoring(
          trx,
          workspaceId,
          candidates.map((c) => c.contactId),
        )
        const scored = candidates.filter((c) => locked.has(c.contactId))
        lap('lock')
        let connections: string[] = []
        if (scored.length > 0) {
          const changed = scored.filter((s) => s.changed)
          await writeScoreRecords(
            trx,
            workspaceId,
            page.now,
            `[${scored.map((s) => s.record).join(',')}]`,
            `[${changed.map((s) => s.record).join(',')}]`,
          )
          lap('scores')
          connections = await followUpScoredPage(trx, deps, workspaceId, scored, page.now, lap)
        }
        await clearMarksById(trx, workspaceId, [...scored.map((s) => s.contactId), ...gone, ...readGone])
        lap('marks')
        return {
          steps,
          settled: scored.length + gone.size + readGone.length,
          changed: scored.filter((s) => s.changed).length,
          connections,
        }
      },
      { logger, label: 'bulk rescore' },
    )
  }

  return {
    /**
     * One pass over the workspace's marks in id order. `done`: the pass reached the end (marks may
     * remain: contacts busy or re-marked meanwhile — the caller's small path takes them); false
     * when the time budget ran out or a publish changed the grid: the caller runs again.
     */
    async rescoreMarked(
      workspaceId: string,
      options: BulkRescoreOptions = {},
    ): Promise<{ settled: number; done: boolean; connections: string[] }> {
      const touched = new Set<string>()
      const gridRow = await getPublishedGrid(db, workspaceId)
      if (!gridRow) return { settled: 0, done: true, connections: [] }
      const pageSize = options.pageSize ?? 1000
      const budgetMs = options.budgetMs ?? Number.POSITIVE_INFINITY
      const { lookbackDays } = deps.compiledGrids.get(gridRow.id, gridRow.definition).grid
      const grid = { key: gridRow.id, id: gridRow.id, definition: gridRow.definition }
      const pool = deps.scorePool
      const started = performance.now()
      let after = FIRST_KEY
      let settled = 0
      let reachedEnd = false
      try {
        await runPipeline({
          read: async () => {
            const now = clock.now()
            const since = new Date(now.getTime() - lookbackDays * DAY_MS)
            const rows = await readMarkedPage(db, workspaceId, { after, limit: pageSize, since })
            if (rows.length === 0) {
              reachedEnd = true
              return null
            }
            after = rows[rows.length - 1]!.id
            return { rows, now }
          },
          score: (page) => {
            const present = page.rows.filter((r) => r.data !== null)
            if (present.length === 0) return Promise.resolve([] as RescoredContact[])
            return pool.run({
              kind: 'rescore',
              grid,
              now: page.now.getTime(),
              rows: present.map((r) => [r.id, r.reason, r.data!]),
            })
          },
          consume: async (page, results) => {
            const t0 = performance.now()
            const out = await writePage(workspaceId, gridRow.id, page, results)
            settled += out.settled
            for (const c of out.connections) touched.add(c)
            await deps.onPage?.({
              workspaceId,
              contacts: out.settled,
              changed: out.changed,
              ms: performance.now() - t0,
              steps: out.steps,
              connections: out.connections,
            })
          },
          depth: pool.size + 3,
          // Pages are disjoint: two write transactions at once let PostgreSQL use a second core
          // (the profile: writing scores and history is most of a page's time). Embedded PGlite
          // has one connection, so there they simply queue.
          consumers: 2,
          shouldContinue: () => performance.now() - started < budgetMs,
        })
      } catch (err) {
        if (!(err instanceof GridChanged)) throw err
        logger.info({ workspaceId }, 'grid published during a bulk rescore: starting again with it')
        return { settled, done: false, connections: [...touched] }
      }
      return { settled, done: reachedEnd, connections: [...touched] }
    },
  }
}

export type BulkRescore = ReturnType<typeof createBulkRescore>
