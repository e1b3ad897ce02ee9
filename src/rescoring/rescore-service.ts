/**
 * Rescoring: takes a workspace's dirty contacts in batches, evaluates them with the pure engine
 * against the published grid, stores score + history, and queues CRM write-back — all in one
 * transaction per batch, so a crash leaves the contacts dirty and nothing half-done.
 *
 * "Dirty" is a row in contact_rescore_marks (rescore-mark-repository.ts), not a column of the
 * contact: a batch locks its marks (skipping those another rescorer holds) and deletes them when
 * it commits; it never locks a contact row, so it cannot deadlock with ingestion or a publish.
 *
 * Three paths. A handful of marks (real time: an event, a profile change) take the small path
 * (batch-rescore.ts): one transaction, scored inline, no thread start-up. Many marks take the bulk
 * path (bulk-rescore.ts): streamed in id order, scored on all cores, page by page. A
 * whole-workspace rescore (a publish, the daily sweep of a big workspace) is a pass over key ranges
 * (range-rescore.ts). What a scored page does next — CRM write-back, and the step the composition
 * root hands in as `afterPageScored` — is the same for all three (bulk-write-back.ts).
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { scheduleFlush } from '../crm/flush-scheduler.js'
import type { CrmProviderName, CrmWriteBackMapping } from '../crm/types.js'
import { countMarksUpTo } from '../db/bulk-score-repository.js'
import type { Db } from '../db/database.js'
import {
  hasChunks,
  startWorkspaceRescore,
  workspacesToSweep,
  workspacesWithChunks,
} from '../db/rescore-chunk-repository.js'
import { workspacesWithMarks } from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import type { JobQueue } from '../jobs/queue.js'
import type { CompiledGridCache } from '../scoring/index.js'
import { createBatchRescore } from './batch-rescore.js'
import { createBulkRescore } from './bulk-rescore.js'
import type { AfterPageScored } from './bulk-write-back.js'
import { createRangeRescore } from './range-rescore.js'
import type { ScorePool } from './score-worker-pool.js'

/** From this many waiting marks on, the bulk path (threads, pages) is worth its start-up. */
const BULK_FROM = 5000
/**
 * One job's share of a long rescore: the job then queues its successor and ends. pg-boss expires
 * (and retries) a job still active after 15 minutes; a 1M-contact publish must never look like that.
 */
const JOB_BUDGET_MS = 5 * 60_000

export interface RescoreDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  writeBackMappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>
  /** The main thread's compiled grids (built once, in the composition root). */
  compiledGrids: CompiledGridCache
  /** The bulk path's scoring threads (the process's pool, built in the composition root). */
  scorePool: ScorePool
  /** Runs in each scored page's transaction, after its scores are stored (bulk-write-back.ts). */
  afterPageScored?: AfterPageScored
  /** Observes each batch (metrics). */
  onBatch?: (info: { workspaceId: string; contacts: number; changed: number; ms: number }) => void
  /** Tests: the bulk path's threshold and page size. */
  bulk?: { from?: number; pageSize?: number; budgetMs?: number }
}

/** A pass's answer: contacts settled, whether it reached its end, connections with outbox rows. */
type PassOutcome = { settled: number; done: boolean; connections: string[] }

export function createRescoreService(deps: RescoreDeps) {
  const { db, logger, queue } = deps
  const passOptions = { pageSize: deps.bulk?.pageSize, budgetMs: deps.bulk?.budgetMs ?? JOB_BUDGET_MS }

  // The bulk path schedules a connection's flush at most once a second while it writes pages
  // (pg-boss keeps one waiting flush per connection anyway; this saves the round trips).
  const flushSentAt = new Map<string, number>()
  const onPage = async (page: {
    workspaceId: string
    contacts: number
    changed: number
    ms: number
    connections: string[]
  }) => {
    const { workspaceId, contacts, changed, ms, connections } = page
    for (const connectionId of connections) {
      const last = flushSentAt.get(connectionId) ?? Number.NEGATIVE_INFINITY
      if (performance.now() - last < 1000) continue
      flushSentAt.set(connectionId, performance.now())
      await scheduleFlush(queue, workspaceId, connectionId)
    }
    if (contacts > 0) deps.onBatch?.({ workspaceId, contacts, changed, ms })
  }
  const bulk = createBulkRescore({ ...deps, onPage })
  const ranges = createRangeRescore({ ...deps, onPage })
  const batches = createBatchRescore(deps)

  /** Rescores one batch on the small path, then schedules its flushes and reports it. */
  async function rescoreBatch(workspaceId: string, batchSize: number) {
    const started = performance.now()
    const outcome = await batches.rescoreBatch(workspaceId, batchSize)
    for (const connectionId of outcome.connections) {
      await scheduleFlush(queue, workspaceId, connectionId)
    }
    if (outcome.settled > 0) {
      deps.onBatch?.({
        workspaceId,
        contacts: outcome.settled,
        changed: outcome.changed,
        ms: performance.now() - started,
      })
    }
    return outcome
  }

  /**
   * After a bulk pass: the last pages' flushes (the per-page scheduling is throttled) and, when it
   * did not finish (time's up, or a publish changed the grid), a fresh job that carries on.
   * Returns whether the pass finished.
   */
  async function afterPass(workspaceId: string, pass: PassOutcome): Promise<boolean> {
    for (const connectionId of pass.connections) await scheduleFlush(queue, workspaceId, connectionId)
    if (!pass.done) await queue.send('rescore-dirty', { workspaceId })
    return pass.done
  }

  /** The small path until no full batch is left; marks of busy contacts wait for a later job. */
  async function rescoreRemainingMarks(workspaceId: string, batchSize: number): Promise<number> {
    let total = 0
    let busy = 0
    for (;;) {
      const batch = await rescoreBatch(workspaceId, batchSize)
      total += batch.settled
      busy += batch.busy
      // A full batch of nothing but busy contacts: stop rather than spin while their writer works.
      if (batch.taken < batchSize || batch.settled === 0) break
    }
    if (busy > 0) {
      // Their writers may have changed nothing worth a job of their own: come back shortly.
      try {
        await queue.send('rescore-dirty', { workspaceId }, { startAfterSeconds: 1 })
      } catch (err) {
        logger.warn({ err, workspaceId }, 'could not enqueue rescore; catch-up will pick it up')
      }
    }
    return total
  }

  async function workspacesWithDirtyContacts(): Promise<string[]> {
    const marked = await workspacesWithMarks(db)
    const passing = await workspacesWithChunks(db)
    return [...new Set([...marked, ...passing])]
  }

  return {
    /** Rescores every dirty contact of the workspace; returns how many were scored. */
    async rescoreDirty(workspaceId: string, batchSize = 500): Promise<number> {
      let total = 0
      if (await hasChunks(db, workspaceId)) {
        // A whole-workspace pass (publish, sweep, manual): its ranges first, then the marks.
        const pass = await ranges.rescoreRanges(workspaceId, passOptions)
        total += pass.settled
        if (!(await afterPass(workspaceId, pass))) return total
      }
      const from = deps.bulk?.from ?? BULK_FROM
      if ((await countMarksUpTo(db, workspaceId, from)) >= from) {
        const pass = await bulk.rescoreMarked(workspaceId, passOptions)
        total += pass.settled
        if (!(await afterPass(workspaceId, pass))) return total
      }
      return total + (await rescoreRemainingMarks(workspaceId, batchSize))
    },

    /** Workspaces that have dirty contacts (the catch-up job's question): marked, or in a pass. */
    workspacesWithDirtyContacts,

    /**
     * The daily sweep: every contact due a rescore so time-based rules are recomputed — a pass over
     * key ranges for a big workspace (one running is left to finish), or one ordered, set-based
     * mark statement for a small one (each workspace its own transaction, so a big tenant does not
     * hold every other workspace's marks); a contact already marked keeps the reason it had.
     */
    async markAllForSweep(): Promise<string[]> {
      for (const id of await workspacesToSweep(db)) {
        await transactionWithRetry(
          db,
          (trx) => startWorkspaceRescore(trx, id, 'sweep', { keepReason: true }),
          {
            logger,
            label: 'sweep',
          },
        )
      }
      return workspacesWithDirtyContacts()
    },
  }
}

export type RescoreService = ReturnType<typeof createRescoreService>
