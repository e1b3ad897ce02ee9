/**
 * Rescoring: takes a workspace's dirty contacts in batches, evaluates them with the pure engine
 * against the published grid, stores score + history, and queues CRM write-back — all in one
 * transaction per batch, so a crash leaves the contacts dirty and nothing half-done.
 *
 * "Dirty" is a row in contact_rescore_marks (rescore-mark-repository.ts), not a column of the
 * contact: a batch locks its marks (skipping those another rescorer holds) and deletes them when
 * it commits; it never locks a contact row, so it cannot deadlock with ingestion or a publish.
 *
 * Two paths. A handful of marks (real time: an event, a profile change) take the small path below:
 * one transaction, scored inline, no thread start-up. Many marks (a publish, the daily sweep) take
 * the bulk path (bulk-rescore.ts): streamed in id order, scored on all cores, page by page.
 */
import type { Logger } from 'pino'
import { shadowScoreChallenger } from '../calibration/challenger-service.js'
import type { Clock } from '../clock.js'
import { scheduleFlush } from '../crm/flush-scheduler.js'
import type { CrmProviderName, CrmWriteBackMapping } from '../crm/types.js'
import { enqueueWriteBack } from '../crm/write-back-outbox.js'
import { countMarksUpTo } from '../db/bulk-score-repository.js'
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { hasChunks, startWorkspaceRescore, workspacesWithChunks } from '../db/rescore-chunk-repository.js'
import { clearMarks, takeMarks, workspacesWithMarks } from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import { loadScores, type StoredScore, saveScores, visiblyChanged } from '../db/score-repository.js'
import type { JobQueue } from '../jobs/queue.js'
import { evaluate, prepareEvents } from '../scoring/index.js'
import { createBulkRescore } from './bulk-rescore.js'
import { compiledGridFor } from './compiled-grid-cache.js'
import { createRangeRescore } from './range-rescore.js'
import { type ScorePool, sharedScorePool } from './score-worker-pool.js'

export { compiledGridFor } from './compiled-grid-cache.js'

const DAY_MS = 86_400_000
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
  /** Observes each batch (metrics). */
  onBatch?: (info: { workspaceId: string; contacts: number; changed: number; ms: number }) => void
  /** The bulk path's scoring threads (default: the process's shared pool). */
  pool?: () => ScorePool
  /** Tests: the bulk path's threshold and page size. */
  bulk?: { from?: number; pageSize?: number; budgetMs?: number }
}

export function createRescoreService(deps: RescoreDeps) {
  const { db, clock, logger, queue } = deps

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
  const bulkDeps = {
    db,
    clock,
    logger,
    writeBackMappings: deps.writeBackMappings,
    pool: deps.pool ?? sharedScorePool,
    onPage,
  }
  const bulk = createBulkRescore(bulkDeps)
  const ranges = createRangeRescore(bulkDeps)

  /**
   * Rescores one batch. `taken`: marks taken (0 when none was waiting); `settled`: marks cleared
   * (contacts scored, or gone); `busy`: contacts skipped because a writer holds them — they stay
   * marked and a later batch scores them with that writer's change.
   */
  async function rescoreBatch(
    workspaceId: string,
    batchSize: number,
  ): Promise<{ taken: number; settled: number; busy: number }> {
    const started = performance.now()
    // A batch is safe to run again whole: its marks are only deleted by the commit that scored them.
    const outcome = await transactionWithRetry(
      db,
      async (trx) => {
        const marks = await takeMarks(trx, workspaceId, batchSize)
        if (marks.length === 0)
          return { taken: 0, settled: 0, busy: 0, changed: 0, connections: [] as string[] }
        const markIds = marks.map((m) => m.contactId)
        const reasonOf = new Map(marks.map((m) => [m.contactId, m.reason]))
        // The contact rows too, skipping those a writer holds: a batch that waited for a merge
        // deleting one of its contacts, while that merge waited for the batch's marks, would be a
        // deadlock. The batch never waits for a contact row; a skipped contact keeps its mark.
        const contacts = await trx
          .selectFrom('contacts')
          .select(['id', 'properties', 'first_seen_at'])
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', markIds)
          .forNoKeyUpdate()
          .skipLocked()
          .execute()
        const ids = contacts.map((c) => c.id)
        let settledIds = ids
        let busy = 0
        if (ids.length < markIds.length) {
          // Skipped: held by a writer, or gone (merged into another, erased) — a gone one's mark is dropped.
          const scored = new Set(ids)
          const rest = markIds.filter((id) => !scored.has(id))
          const alive = await trx
            .selectFrom('contacts')
            .select('id')
            .where('workspace_id', '=', workspaceId)
            .where('id', 'in', rest)
            .execute()
          const aliveIds = new Set(alive.map((a) => a.id))
          settledIds = [...ids, ...rest.filter((id) => !aliveIds.has(id))]
          busy = aliveIds.size
        }
        const gridRow = await getPublishedGrid(trx, workspaceId)
        if (!gridRow || contacts.length === 0) {
          if (!gridRow) logger.warn({ workspaceId }, 'no published grid: contacts stay unscored')
          await clearMarks(trx, workspaceId, settledIds)
          return { taken: marks.length, settled: settledIds.length, busy, changed: 0, connections: [] }
        }
        const { grid, compiled } = compiledGridFor(gridRow.id, gridRow.definition)
        const now = clock.now()
        const nowMs = now.getTime()
        const events = await loadEventsForContacts(
          trx,
          workspaceId,
          ids,
          new Date(nowMs - grid.lookbackDays * DAY_MS),
        )
        const previous = await loadScores(trx, workspaceId, ids)
        const scores: StoredScore[] = []
        const changed: { score: StoredScore; cause: string }[] = []
        for (const contact of contacts) {
          const before = previous.get(contact.id)
          const result = evaluate(
            compiled,
            {
              profile: contact.properties,
              createdAt: contact.first_seen_at.getTime(),
              events: prepareEvents(events.get(contact.id) ?? []),
              previous: before
                ? { mql: before.mql, mqlSince: before.mql_since?.toISOString() ?? null }
                : undefined,
            },
            nowMs,
          )
          const score: StoredScore = {
            contactId: contact.id,
            gridId: gridRow.id,
            fit: result.fit,
            engagement: result.engagement,
            total: result.total,
            band: result.band,
            grade: result.grade,
            mql: result.mql,
            mqlSince: result.mqlSince,
            reasons: result.reasons,
            contributions: result.contributions,
            computedAt: now,
          }
          scores.push(score)
          if (visiblyChanged(before, score))
            changed.push({ score, cause: reasonOf.get(contact.id) ?? 'rescore' })
        }
        await saveScores(trx, workspaceId, scores, changed)
        // Calibration hook (issue 10, champion/challenger): shadow-score the same contacts with the challenger, if any — its own table, never the outbox.
        await shadowScoreChallenger(trx, workspaceId, ids, now)
        const connections = await enqueueWriteBack(
          trx,
          workspaceId,
          scores.map((s) => ({
            contactId: s.contactId,
            values: {
              score: s.total,
              fit: s.fit,
              engagement: s.engagement,
              band: s.band as 'cold' | 'warm' | 'hot',
              grade: s.grade,
              mql: s.mql,
              mqlSince: s.mqlSince,
              reasons: s.reasons,
              scoredAt: now.toISOString(),
            },
          })),
          deps.writeBackMappings,
        )
        await clearMarks(trx, workspaceId, settledIds)
        return { taken: marks.length, settled: settledIds.length, busy, changed: changed.length, connections }
      },
      { logger, label: 'rescore' },
    )
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

  async function workspacesWithDirtyContacts(): Promise<string[]> {
    const marked = await workspacesWithMarks(db)
    const passing = await workspacesWithChunks(db)
    return [...new Set([...marked, ...passing])]
  }

  return {
    /** Rescores every dirty contact of the workspace; returns how many were scored. */
    async rescoreDirty(workspaceId: string, batchSize = 500): Promise<number> {
      let total = 0
      let busy = 0
      const from = deps.bulk?.from ?? BULK_FROM
      if (await hasChunks(db, workspaceId)) {
        // A whole-workspace pass (publish, sweep, manual): its ranges first, then the marks.
        const pass = await ranges.rescoreRanges(workspaceId, {
          pageSize: deps.bulk?.pageSize,
          budgetMs: deps.bulk?.budgetMs ?? JOB_BUDGET_MS,
        })
        total += pass.settled
        for (const connectionId of pass.connections) await scheduleFlush(queue, workspaceId, connectionId)
        if (!pass.done) {
          await queue.send('rescore-dirty', { workspaceId })
          return total
        }
      }
      if ((await countMarksUpTo(db, workspaceId, from)) >= from) {
        const pass = await bulk.rescoreMarked(workspaceId, {
          pageSize: deps.bulk?.pageSize,
          budgetMs: deps.bulk?.budgetMs ?? JOB_BUDGET_MS,
        })
        total += pass.settled
        // The last pages' rows too (the per-page scheduling above is throttled).
        for (const connectionId of pass.connections) await scheduleFlush(queue, workspaceId, connectionId)
        if (!pass.done) {
          // Time's up (or a publish changed the grid): a fresh job carries on, this one ends.
          await queue.send('rescore-dirty', { workspaceId })
          return total
        }
      }
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
      const workspaces = await db.selectFrom('workspaces').select('id').orderBy('id').execute()
      for (const { id } of workspaces) {
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
