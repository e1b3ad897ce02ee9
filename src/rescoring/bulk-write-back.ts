/**
 * What the mark pass (bulk-rescore.ts) and the range pass (range-rescore.ts) share: their
 * dependencies, and the follow-ups of a bulk-scored page inside its write transaction, the same for the mark pass
 * (bulk-rescore.ts) and the range pass (range-rescore.ts): the CRM write-back rows of the contacts
 * whose score was written, then the champion/challenger shadow scores of the same contacts (its
 * own table, never the outbox; one key read when the workspace has no challenger).
 */
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import { shadowScoreChallenger } from '../calibration/challenger-service.js'
import type { Clock } from '../clock.js'
import type { CrmProviderName, CrmWriteBackMapping } from '../crm/types.js'
import { enqueueWriteBack } from '../crm/write-back-outbox.js'
import type { Db } from '../db/database.js'
import type { Database } from '../db/schema.js'
import type { RescoredContact } from './bulk-score-tasks.js'
import type { ScorePool } from './score-worker-pool.js'

/** A pass's dependencies; `Steps` names where its page write spends its time. */
export interface BulkPassDeps<Steps extends Record<string, number>> {
  db: Db
  clock: Clock
  logger: Logger
  writeBackMappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>
  pool: () => ScorePool
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

/** The write-back rows, then the challenger's shadow scores; returns the connections with outbox rows. */
export async function followUpScoredPage(
  trx: Transaction<Database>,
  workspaceId: string,
  scored: RescoredContact[],
  now: Date,
  mappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>,
  lap: (step: 'outbox' | 'challenger') => void = () => {},
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
    mappings,
  )
  lap('outbox')
  await shadowScoreChallenger(
    trx,
    workspaceId,
    scored.map((s) => s.contactId),
    now,
  )
  lap('challenger')
  return connections
}
