/**
 * The whole-workspace rescore (publish, sweep, manual on a workspace of CHUNKED_FROM contacts or
 * more) as a pass over key ranges (src/db/rescore-chunk-repository.ts explains the ranges and the
 * guarantees they keep). Each lane claims a range, walks its contacts in id order — page read,
 * scored on the pool's threads while the next page is read, written in one short transaction that
 * also moves the range's cursor — and claims the next range when done. Two lanes write at once so
 * PostgreSQL can use a second core; other worker processes running the same workspace's job claim
 * other ranges instead of redoing them.
 *
 * Against the mark pass (bulk-rescore.ts) a page's write does per contact: one lock on the stored
 * score (not a mark lock, a contact lock and a mark delete), the score update, a history row for a
 * visible change (its foreign key locks the contact, as before) — and the publish wrote no marks.
 */

import {
  commitWithoutFlushWait,
  holdUnchangedScores,
  lockContactsForScoring,
  type RangeContact,
  readRangePage,
  writeRangeScores,
} from '../db/bulk-score-repository.js'
import { getGrid } from '../db/grid-repository.js'
import {
  advanceChunk,
  claimChunk,
  finishChunk,
  hasClaimableChunk,
  newClaim,
  type RescoreChunk,
  releaseChunk,
} from '../db/rescore-chunk-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import { runPipeline } from './bulk-pipeline.js'
import type { RescoredContact } from './bulk-score-tasks.js'
import { type BulkPassDeps, followUpScoredPage } from './bulk-write-back.js'

const DAY_MS = 86_400_000
/** Ranges worked at once by one pass (each its own writer). */
const LANES = 2

export type RangeRescoreDeps = BulkPassDeps<{
  lock: number
  scores: number
  outbox: number
  afterScored: number
}>

/** The range is no longer this pass's (a publish replaced it, or its lease was taken over). */
class RangeLost extends Error {}

type Page = { rows: RangeContact[]; now: Date }

export function createRangeRescore(deps: RangeRescoreDeps) {
  const { db, clock, logger } = deps

  async function writePage(
    workspaceId: string,
    chunk: RescoreChunk,
    claim: string,
    page: Page,
    results: RescoredContact[],
  ) {
    return transactionWithRetry(
      db,
      async (trx) => {
        // Safe to lose in a database crash: the range's cursor moves in this same transaction, so
        // a lost page is redone whole; finishChunk's synchronous commit later flushes these too
        // (WAL is written in order). A CRM value sent from a lost page is sent again, the same.
        await commitWithoutFlushWait(trx)
        const steps = { lock: 0, scores: 0, outbox: 0, afterScored: 0 }
        let mark = performance.now()
        const lap = (step: keyof typeof steps) => {
          const t = performance.now()
          steps[step] += t - mark
          mark = t
        }
        if (!(await advanceChunk(trx, workspaceId, chunk, claim, page.rows[page.rows.length - 1]!.id)))
          throw new RangeLost()
        const versions = new Map(page.rows.map((r) => [r.id, r.version]))
        const held = await holdUnchangedScores(
          trx,
          workspaceId,
          page.rows.flatMap((r) => (r.version === null ? [] : [{ id: r.id, version: r.version }])),
        )
        // Contacts whose write inserts a row referencing them (a first score, a history row) are
        // locked KEY SHARE first, skipping any a merge holds: the foreign key check would otherwise
        // wait for that merge while the merge's cascade waits for the score row held here. An
        // unchanged score's update references nothing new: the held score row is enough.
        const isFresh = (r: RescoredContact) => versions.get(r.contactId) === null
        const { locked } = await lockContactsForScoring(
          trx,
          workspaceId,
          results.filter((r) => isFresh(r) || (r.changed && held.has(r.contactId))).map((r) => r.contactId),
        )
        const candidates = results.filter((r) =>
          held.has(r.contactId)
            ? !r.changed || locked.has(r.contactId)
            : isFresh(r) && locked.has(r.contactId),
        )
        lap('lock')
        const written = await writeRangeScores(
          trx,
          workspaceId,
          page.now,
          `[${candidates.map((c) => c.record).join(',')}]`,
          {
            held: candidates.filter((c) => held.has(c.contactId)).map((c) => c.contactId),
            fresh: candidates.filter((c) => !held.has(c.contactId)).map((c) => c.contactId),
            changed: candidates.filter((c) => c.changed).map((c) => c.contactId),
          },
        )
        const scored = candidates.filter((c) => written.has(c.contactId))
        lap('scores')
        const connections = await followUpScoredPage(trx, deps, workspaceId, scored, page.now, lap)
        return { steps, settled: scored.length, changed: scored.filter((s) => s.changed).length, connections }
      },
      { logger, label: 'range rescore' },
    )
  }

  /** One range to its end (true), or until the time is up (false). Throws RangeLost. */
  async function walkRange(
    workspaceId: string,
    chunk: RescoreChunk,
    claim: string,
    pageSize: number,
    shouldContinue: () => boolean,
    tally: { settled: number; touched: Set<string> },
  ): Promise<boolean> {
    const gridRow = await getGrid(db, workspaceId, chunk.gridId)
    if (!gridRow) throw new RangeLost()
    const { lookbackDays } = deps.compiledGrids.get(gridRow.id, gridRow.definition).grid
    const grid = { key: gridRow.id, id: gridRow.id, definition: gridRow.definition }
    const pool = deps.scorePool
    let after = chunk.doneTo
    let reachedEnd = false
    await runPipeline<Page, RescoredContact[]>({
      read: async () => {
        const now = clock.now()
        const since = new Date(now.getTime() - lookbackDays * DAY_MS)
        const rows = await readRangePage(db, workspaceId, {
          lo: chunk.lo,
          after,
          hi: chunk.hi,
          limit: pageSize,
          since,
        })
        if (rows.length === 0) {
          reachedEnd = true
          return null
        }
        after = rows[rows.length - 1]!.id
        return { rows, now }
      },
      score: (page) =>
        pool.run({
          kind: 'rescore',
          grid,
          now: page.now.getTime(),
          rows: page.rows.map((r) => [r.id, r.reason ?? chunk.reason, r.data]),
        }),
      consume: async (page, results) => {
        const t0 = performance.now()
        const out = await writePage(workspaceId, chunk, claim, page, results)
        tally.settled += out.settled
        for (const c of out.connections) tally.touched.add(c)
        await deps.onPage?.({
          workspaceId,
          contacts: out.settled,
          changed: out.changed,
          ms: performance.now() - t0,
          steps: out.steps,
          connections: out.connections,
        })
      },
      // Pages of one range commit in order (the cursor is their done prefix); a couple in flight
      // keep the thread busy while this lane writes. Few pages in flight bound the memory.
      depth: 2,
      shouldContinue,
    })
    if (!reachedEnd) return false
    const marked = await transactionWithRetry(db, (trx) => finishChunk(trx, workspaceId, chunk, claim), {
      logger,
      label: 'range rescore end',
    })
    if (marked === null) throw new RangeLost()
    if (marked > 0)
      logger.info({ workspaceId, marked }, 'range rescored; contacts left with another grid marked')
    return true
  }

  return {
    /**
     * Works the workspace's pass until no range is left to claim (`done`: the rest, if any, is
     * held by other live passes, which finish it) or the time budget runs out (`done` false: the
     * caller queues a successor, which takes the ranges released here at once).
     */
    async rescoreRanges(
      workspaceId: string,
      options: { pageSize?: number; budgetMs?: number } = {},
    ): Promise<{ settled: number; done: boolean; connections: string[] }> {
      const pageSize = options.pageSize ?? 1000
      const budgetMs = options.budgetMs ?? Number.POSITIVE_INFINITY
      const started = performance.now()
      let failing = false
      const inTime = () => !failing && performance.now() - started < budgetMs
      const claim = newClaim()
      const tally = { settled: 0, touched: new Set<string>() }
      let outOfTime = false
      const lane = async () => {
        while (inTime()) {
          const chunk = await claimChunk(db, workspaceId, claim)
          if (!chunk) return
          try {
            if (!(await walkRange(workspaceId, chunk, claim, pageSize, inTime, tally))) {
              outOfTime = true
              await releaseChunk(db, workspaceId, chunk, claim)
              return
            }
          } catch (err) {
            if (!(err instanceof RangeLost)) {
              // Let the range go at once (a retry need not wait for the lease), then fail the job.
              failing = true
              await releaseChunk(db, workspaceId, chunk, claim).catch(() => {})
              throw err
            }
            logger.info({ workspaceId }, 'rescore range replaced (a publish) or taken over: next range')
          }
        }
        outOfTime = true
      }
      // Both lanes end before the pass answers, even when one fails (no write left running).
      const ends = await Promise.allSettled(Array.from({ length: LANES }, lane))
      const failed = ends.find((e) => e.status === 'rejected')
      if (failed) throw (failed as PromiseRejectedResult).reason
      const done = !outOfTime || !(await hasClaimableChunk(db, workspaceId))
      return { settled: tally.settled, done, connections: [...tally.touched] }
    },
  }
}

export type RangeRescore = ReturnType<typeof createRangeRescore>
