/**
 * What every rescore path shares once a page of contacts is scored and its scores stored, inside
 * the page's write transaction: the CRM write-back rows of those contacts, then the step the
 * composition root hands in to run after a page is scored (the challenger's shadow scores, in
 * their own table, never the outbox). Also the dependencies the mark pass (bulk-rescore.ts) and the
 * range pass (range-rescore.ts) share.
 */
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { CrmProviderName, CrmWriteBackMapping } from '../crm/types.js'
import { enqueueWriteBack } from '../crm/write-back-outbox.js'
import type { Db } from '../db/database.js'
import type { Database } from '../db/schema.js'
import type { CompiledGridCache, ScoreResult } from '../scoring/index.js'
import type { ScorePool } from './score-worker-pool.js'

/**
 * A step run in a scored page's transaction, after its scores are written, with the contacts it
 * scored: whatever it writes commits (or rolls back) with the page.
 */
export type AfterPageScored = (
  trx: Transaction<Database>,
  page: { workspaceId: string; contactIds: string[]; now: Date },
) => Promise<void>

/** What the follow-up of a scored page needs. */
export interface PageFollowUpDeps {
  writeBackMappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>
  afterPageScored?: AfterPageScored | undefined
}

/** A pass's dependencies; `Steps` names where its page write spends its time. */
export interface BulkPassDeps<Steps extends Record<string, number>> extends PageFollowUpDeps {
  db: Db
  clock: Clock
  logger: Logger
  compiledGrids: CompiledGridCache
  scorePool: ScorePool
  /** Called after each page's commit with the connections that now have outbox rows. */
  onPage?: (info: {
    workspaceId: string
    contacts: number
    changed: number
    ms: number
    /** Where the page's write spent its time (ms). */
    steps: Steps
    connections: string[]
  }) => Promise<void> | void
}

/** One stored score, as the CRM write-back sends it. */
export interface PageScore {
  contactId: string
  result: Pick<
    ScoreResult,
    'total' | 'fit' | 'engagement' | 'band' | 'grade' | 'mql' | 'mqlSince' | 'reasons'
  >
}

/** The write-back rows, then the after-page step; returns the connections with outbox rows. */
export async function followUpScoredPage(
  trx: Transaction<Database>,
  deps: PageFollowUpDeps,
  workspaceId: string,
  scored: readonly PageScore[],
  now: Date,
  lap: (step: 'outbox' | 'afterScored') => void = () => {},
): Promise<string[]> {
  const scoredAt = now.toISOString()
  const connections = await enqueueWriteBack(
    trx,
    workspaceId,
    scored.map(({ contactId, result: r }) => ({
      contactId,
      values: {
        score: r.total,
        fit: r.fit,
        engagement: r.engagement,
        band: r.band,
        grade: r.grade,
        mql: r.mql,
        mqlSince: r.mqlSince,
        reasons: r.reasons,
        scoredAt,
      },
    })),
    deps.writeBackMappings,
  )
  lap('outbox')
  await deps.afterPageScored?.(trx, { workspaceId, contactIds: scored.map((s) => s.contactId), now })
  lap('afterScored')
  return connections
}
