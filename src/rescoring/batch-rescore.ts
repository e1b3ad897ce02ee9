/**
 * The small rescore path: a handful of marked contacts (real time: an event, a profile change)
 * scored inline in one transaction, no thread start-up. A batch takes its marks (skipping those
 * another rescorer holds), scores the contacts against the published grid, stores score and
 * history, follows up the page (CRM write-back, the after-page step) and deletes the marks — all
 * in that one transaction, so a crash leaves the contacts marked and nothing half-done.
 */
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { clearMarks, type RescoreMark, takeMarks } from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import type { Database, GridRow } from '../db/schema.js'
import { loadScores, type StoredScore, saveScores, visiblyChanged } from '../db/score-repository.js'
import { existingContactIds, lockContactsToScore } from '../db/scoring-contact-repository.js'
import { type CompiledGridCache, type ContactToScore, scoreContacts } from '../scoring/index.js'
import { followUpScoredPage, type PageFollowUpDeps } from './bulk-write-back.js'

const DAY_MS = 86_400_000

export interface BatchRescoreDeps extends PageFollowUpDeps {
  db: Db
  clock: Clock
  logger: Logger
  compiledGrids: CompiledGridCache
}

/**
 * `taken`: marks taken (0 when none was waiting); `settled`: marks cleared (contacts scored, or
 * gone); `busy`: contacts skipped because a writer holds them — they stay marked and a later batch
 * scores them with that writer's change; `changed`: visible score changes; `connections`: those
 * with new outbox rows.
 */
export interface BatchOutcome {
  taken: number
  settled: number
  busy: number
  changed: number
  connections: string[]
}

type Tx = Transaction<Database>

export function createBatchRescore(deps: BatchRescoreDeps) {
  const { db, clock, logger } = deps

  /**
   * The contact rows of the marks, skipping those a writer holds: a batch that waited for a merge
   * deleting one of its contacts, while that merge waited for the batch's marks, would be a
   * deadlock. The batch never waits for a contact row; a skipped contact keeps its mark. A gone
   * contact (merged into another, erased) is settled: its mark is dropped.
   */
  async function lockMarkedContacts(trx: Tx, workspaceId: string, marks: RescoreMark[]) {
    const markIds = marks.map((m) => m.contactId)
    const contacts = await lockContactsToScore(trx, workspaceId, markIds)
    if (contacts.length === markIds.length) return { contacts, settledIds: markIds, busy: 0 }
    const locked = new Set(contacts.map((c) => c.id))
    const rest = markIds.filter((id) => !locked.has(id))
    const alive = await existingContactIds(trx, workspaceId, rest)
    const settledIds = [...contacts.map((c) => c.id), ...rest.filter((id) => !alive.has(id))]
    return { contacts, settledIds, busy: alive.size }
  }

  /** Scores `contacts` with the published grid and stores scores and history; returns the scores. */
  async function scoreAndStore(
    trx: Tx,
    workspaceId: string,
    gridRow: GridRow,
    contacts: ContactToScore[],
    reasonOf: Map<string, string>,
    now: Date,
  ) {
    const { grid, compiled } = deps.compiledGrids.get(gridRow.id, gridRow.definition)
    const ids = contacts.map((c) => c.id)
    const since = new Date(now.getTime() - grid.lookbackDays * DAY_MS)
    const events = await loadEventsForContacts(trx, workspaceId, ids, since)
    const previous = await loadScores(trx, workspaceId, ids)
    const results = scoreContacts(compiled, contacts, {
      events: (c) => events.get(c.id) ?? [],
      previous: (c) => {
        const before = previous.get(c.id)
        return before ? { mql: before.mql, mqlSince: before.mql_since?.toISOString() ?? null } : undefined
      },
      at: now.getTime(),
    })
    const scores: StoredScore[] = []
    const changed: { score: StoredScore; cause: string }[] = []
    results.forEach(({ contributions, ...result }, i) => {
      const contactId = ids[i]!
      const score: StoredScore = { contactId, gridId: gridRow.id, ...result, contributions, computedAt: now }
      scores.push(score)
      if (visiblyChanged(previous.get(contactId), score))
        changed.push({ score, cause: reasonOf.get(contactId) ?? 'rescore' })
    })
    await saveScores(trx, workspaceId, scores, changed)
    return { scored: results.map((result, i) => ({ contactId: ids[i]!, result })), changed: changed.length }
  }

  /** One batch, in one transaction (safe to run again whole: marks go only with the commit that scored them). */
  async function inTransaction(trx: Tx, workspaceId: string, batchSize: number): Promise<BatchOutcome> {
    const marks = await takeMarks(trx, workspaceId, batchSize)
    if (marks.length === 0) return { taken: 0, settled: 0, busy: 0, changed: 0, connections: [] }
    const { contacts, settledIds, busy } = await lockMarkedContacts(trx, workspaceId, marks)
    const gridRow = await getPublishedGrid(trx, workspaceId)
    const settled = { taken: marks.length, settled: settledIds.length, busy }
    if (!gridRow || contacts.length === 0) {
      if (!gridRow) logger.warn({ workspaceId }, 'no published grid: contacts stay unscored')
      await clearMarks(trx, workspaceId, settledIds)
      return { ...settled, changed: 0, connections: [] }
    }
    const now = clock.now()
    const reasonOf = new Map(marks.map((m) => [m.contactId, m.reason]))
    const { scored, changed } = await scoreAndStore(trx, workspaceId, gridRow, contacts, reasonOf, now)
    const connections = await followUpScoredPage(trx, deps, workspaceId, scored, now)
    await clearMarks(trx, workspaceId, settledIds)
    return { ...settled, changed, connections }
  }

  return {
    /** Rescores up to `batchSize` marked contacts of the workspace. */
    rescoreBatch: (workspaceId: string, batchSize: number): Promise<BatchOutcome> =>
      transactionWithRetry(db, (trx) => inTransaction(trx, workspaceId, batchSize), {
        logger,
        label: 'rescore',
      }),
  }
}

export type BatchRescore = ReturnType<typeof createBatchRescore>
