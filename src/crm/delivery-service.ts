/**
 * CRM webhook deliveries, whatever the provider, in two halves:
 *  - receive: (authenticity already checked by the route) one row per delivery in `inbound_deliveries`,
 *    keyed by its dedupe key, ON CONFLICT DO NOTHING — durable before the 2xx, retries stored once;
 *  - process (job): the provider reads what the deliveries refer to and says what they mean
 *    (records, merges, erasures, outcomes); delivery-effects.ts applies that to Leadgrid's data.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { touchLastWebhook } from '../db/connection-repository.js'
import type { Db } from '../db/database.js'
import {
  connectionsWithStaleDeliveries,
  insertDeliveries,
  markDeliveriesProcessed,
  pendingDeliveries,
} from '../db/inbound-delivery-repository.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import type { ConnectionService } from './connection-service.js'
import { createDeliveryEffects } from './delivery-effects.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import type { CrmConnection, CrmOutcomeRecorder } from './types.js'

/** Deliveries handled per job run; the job re-queues itself while more wait. */
const PROCESS_BATCH = 500

export interface DeliveryServiceDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  ingestion: Pick<IngestionService, 'ingest'>
  connections: Pick<ConnectionService, 'byId' | 'sessionFor'>
  providers: CrmProviderRegistry
  /** Where outcomes go (the calibration store); none: they are logged and dropped. */
  recordOutcomes?: CrmOutcomeRecorder
}

export function createDeliveryService(deps: DeliveryServiceDeps) {
  const { db, clock, logger, queue, connections, providers } = deps
  const apply = createDeliveryEffects(deps)

  /** Stores deliveries of one active connection durably; returns how many were new. */
  async function receive(
    connection: Pick<CrmConnection, 'workspace_id' | 'id'>,
    deliveries: { key: string; payload: unknown }[],
  ): Promise<{ stored: number; duplicates: number }> {
    if (deliveries.length === 0) return { stored: 0, duplicates: 0 }
    const stored = await db.transaction().execute(async (trx) => {
      const count = await insertDeliveries(trx, connection, deliveries)
      await touchLastWebhook(trx, connection, clock.now())
      return count
    })
    if (stored > 0) {
      try {
        await queue.send('crm-process-deliveries', {
          workspaceId: connection.workspace_id,
          connectionId: connection.id,
        })
      } catch (err) {
        // Stored and acknowledged; the reconciliation pass re-queues pending deliveries.
        logger.warn({ err, connectionId: connection.id }, 'could not enqueue webhook processing')
      }
    }
    return { stored, duplicates: deliveries.length - stored }
  }

  /** Works the stored deliveries of one connection, oldest change first. Returns how many were handled. */
  async function process(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    const rows = await pendingDeliveries(db, workspaceId, connectionId, PROCESS_BATCH)
    if (rows.length === 0) return 0
    if (connection.status !== 'active') {
      logger.info(
        { connectionId, pending: rows.length },
        'connection not active; deliveries kept unprocessed',
      )
      return 0
    }
    const provider = providers.get(connection.provider)
    const payloads = rows
      .map((r) => r.payload)
      .sort((a, b) => provider.deliveryOrder(a) - provider.deliveryOrder(b))
    const effects = await connections.sessionFor(connection).interpretDeliveries(payloads)
    await apply(connection, effects)
    const keys = rows.map((r) => r.delivery_key)
    await markDeliveriesProcessed(db, workspaceId, connectionId, keys, clock.now())
    if (rows.length === PROCESS_BATCH)
      await queue.send('crm-process-deliveries', { workspaceId, connectionId })
    return rows.length
  }

  /** Deliveries stored but never worked (a crash between the 2xx and the job): queued again. */
  async function requeueStale(olderThanMs = 60_000): Promise<number> {
    const before = new Date(clock.now().getTime() - olderThanMs)
    const stale = await connectionsWithStaleDeliveries(db, before)
    for (const s of stale) {
      await queue.send('crm-process-deliveries', {
        workspaceId: s.workspace_id,
        connectionId: s.connection_id,
      })
    }
    return stale.length
  }

  return { receive, process, requeueStale }
}

export type DeliveryService = ReturnType<typeof createDeliveryService>
