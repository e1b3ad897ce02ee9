/**
 * Stored CRM webhook deliveries (`inbound_deliveries`), whatever the provider: one row per delivery,
 * keyed by its dedupe key so a retried delivery is stored once; worked oldest first, then marked.
 */
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Queryable = Db | Transaction<Database>

/** Stores deliveries of one connection, ON CONFLICT DO NOTHING; returns how many were new. */
export async function insertDeliveries(
  db: Queryable,
  connection: { workspace_id: string; id: string },
  deliveries: { key: string; payload: unknown }[],
): Promise<number> {
  const res = await db
    .insertInto('inbound_deliveries')
    .values(
      deliveries.map((d) => ({
        workspace_id: connection.workspace_id,
        connection_id: connection.id,
        delivery_key: d.key,
        payload: JSON.stringify(d.payload),
      })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'connection_id', 'delivery_key']).doNothing())
    .returning('delivery_key')
    .execute()
  return res.length
}

/** The oldest `limit` deliveries of a connection not worked yet. */
export async function pendingDeliveries(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  limit: number,
): Promise<{ delivery_key: string; payload: unknown }[]> {
  return db
    .selectFrom('inbound_deliveries')
    .select(['delivery_key', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('processed_at', 'is', null)
    .orderBy('received_at')
    .limit(limit)
    .execute()
}

/** Marks these deliveries worked (one attempt more each). */
export async function markDeliveriesProcessed(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  keys: string[],
  now: Date,
): Promise<void> {
  if (keys.length === 0) return
  await db
    .updateTable('inbound_deliveries')
    .set({ processed_at: now, attempts: sql`attempts + 1` })
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('delivery_key', 'in', keys)
    .execute()
}

/** Connections with deliveries received before `before` and never worked. */
export async function connectionsWithStaleDeliveries(
  db: Queryable,
  before: Date,
): Promise<{ workspace_id: string; connection_id: string }[]> {
  return db
    .selectFrom('inbound_deliveries')
    .select(['workspace_id', 'connection_id'])
    .where('processed_at', 'is', null)
    .where('received_at', '<', before)
    .groupBy(['workspace_id', 'connection_id'])
    .execute()
}
