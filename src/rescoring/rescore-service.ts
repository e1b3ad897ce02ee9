/**
 * Rescoring: takes a workspace's dirty contacts in batches, evaluates them with the pure engine
 * against the published grid, stores score + history, and queues CRM write-back — all in one
 * transaction per batch, so a crash leaves the contacts dirty and nothing half-done.
 *
 * "Dirty" is a row in contact_rescore_marks (rescore-mark-repository.ts), not a column of the
 * contact: a batch locks its marks (skipping those another rescorer holds) and deletes them when
 * it commits; it never locks a contact row, so it cannot deadlock with ingestion or a publish.
 */
import type { Logger } from 'pino'
import { shadowScoreChallenger } from '../calibration/challenger-service.js'
import type { Clock } from '../clock.js'
import { scheduleFlush } from '../crm/flush-scheduler.js'
import type { CrmProviderName, CrmWriteBackMapping } from '../crm/types.js'
import { enqueueWriteBack } from '../crm/write-back-outbox.js'
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import {
  clearMarks,
  markWorkspaceForRescore,
  takeMarks,
  workspacesWithMarks,
} from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import { loadScores, type StoredScore, saveScores, visiblyChanged } from '../db/score-repository.js'
import type { JobQueue } from '../jobs/queue.js'
import {
  type CompiledGrid,
  compileGrid,
  evaluate,
  type Grid,
  gridSchema,
  prepareEvents,
} from '../scoring/index.js'

const DAY_MS = 86_400_000

export interface RescoreDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  writeBackMappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>
  /** Observes each batch (metrics). */
  onBatch?: (info: { workspaceId: string; contacts: number; changed: number; ms: number }) => void
}

/** Compiled grids by grid id: a published version never changes, so compiling once is safe. */
const compiledCache = new Map<string, { grid: Grid; compiled: CompiledGrid }>()

export function compiledGridFor(gridId: string, definition: unknown) {
  let hit = compiledCache.get(gridId)
  if (!hit) {
    const grid = gridSchema.parse(definition)
    hit = { grid, compiled: compileGrid(grid) }
    if (compiledCache.size > 500) compiledCache.clear()
    compiledCache.set(gridId, hit)
  }
  return hit
}

export function createRescoreService(deps: RescoreDeps) {
  const { db, clock, logger, queue } = deps

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

  return {
    /** Rescores every dirty contact of the workspace; returns how many were scored. */
    async rescoreDirty(workspaceId: string, batchSize = 500): Promise<number> {
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
    },

    /** Workspaces that have dirty contacts (the catch-up job's question). */
    async workspacesWithDirtyContacts(): Promise<string[]> {
      return workspacesWithMarks(db)
    },

    /**
     * The daily sweep: marks every contact dirty so time-based rules are recomputed. One ordered,
     * set-based statement per workspace (each its own transaction), so a big tenant does not hold
     * every other workspace's marks, and a contact already marked keeps the reason it had.
     */
    async markAllForSweep(): Promise<string[]> {
      const workspaces = await db.selectFrom('workspaces').select('id').orderBy('id').execute()
      for (const { id } of workspaces) {
        await transactionWithRetry(
          db,
          (trx) => markWorkspaceForRescore(trx, id, 'sweep', { keepReason: true }),
          {
            logger,
            label: 'sweep',
          },
        )
      }
      return workspacesWithMarks(db)
    },
  }
}

export type RescoreService = ReturnType<typeof createRescoreService>
