/**
 * CRM connections: the SQL every provider shares (lookups, token storage under a row lock, status,
 * errors, the JSON progress columns, health counts). Services pass the time in; tokens arrive and
 * leave sealed (ciphertext) — this file never sees a plaintext secret.
 */
import { sql, type Transaction } from 'kysely'
import type { CrmProviderName } from '../domain/crm.js'
import type { Db } from './database.js'
import type { ConnectionRow, Database } from './schema.js'

type Queryable = Db | Transaction<Database>

export async function findConnection(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  provider?: CrmProviderName,
): Promise<ConnectionRow | undefined> {
  let q = db
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', connectionId)
  if (provider) q = q.where('provider', '=', provider)
  return q.executeTakeFirst()
}

/** The routing lookup of webhooks and panels: an account (portal, company) belongs to one connection. */
export async function findConnectionByAccount(
  db: Queryable,
  provider: CrmProviderName,
  accountId: string,
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('provider', '=', provider)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}

/**
 * A connection by its id alone, for a provider: webhook URLs name the connection, not the workspace
 * (the id is a random uuid; the caller still authenticates the request against the row it finds).
 */
export async function findConnectionById(
  db: Queryable,
  provider: CrmProviderName,
  connectionId: string,
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('provider', '=', provider)
    .where('id', '=', connectionId)
    .executeTakeFirst()
}

/**
 * The connection of a CRM account, with the account serialised until the transaction ends
 * (an advisory lock: two installs of one account at once make one connection).
 */
export async function lockAccountConnection(
  trx: Transaction<Database>,
  provider: CrmProviderName,
  accountId: string,
): Promise<Pick<ConnectionRow, 'workspace_id' | 'id' | 'settings' | 'status'> | undefined> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`install|${provider}|${accountId}`}, 0))`.execute(
    trx,
  )
  return trx
    .selectFrom('connections')
    .select(['workspace_id', 'id', 'settings', 'status'])
    .where('provider', '=', provider)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}

/** Whether the workspace an install asks to attach to still exists. */
export async function workspaceExists(db: Queryable, workspaceId: string): Promise<boolean> {
  const row = await db.selectFrom('workspaces').select('id').where('id', '=', workspaceId).executeTakeFirst()
  return row !== undefined
}

/** A reinstall: fresh tokens, active again, provisioning to redo (the CRM dropped what it had). */
export async function reactivateConnection(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  tokens: SealedTokens,
  settings: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      ...tokens,
      status: 'active',
      last_error: null,
      last_error_at: null,
      provisioning: JSON.stringify({}),
      settings: JSON.stringify(settings),
      updated_at: now,
    })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

export async function insertConnection(
  db: Queryable,
  values: {
    workspaceId: string
    provider: CrmProviderName
    accountId: string
    tokens: SealedTokens
    settings: Record<string, unknown>
  },
): Promise<string> {
  const row = await db
    .insertInto('connections')
    .values({
      workspace_id: values.workspaceId,
      provider: values.provider,
      account_id: values.accountId,
      ...values.tokens,
      settings: JSON.stringify(values.settings),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** Uninstalled by the CRM: its tokens deleted (the connection row, scores and history stay). */
export async function uninstallConnection(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  reason: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      status: 'uninstalled',
      access_token_enc: null,
      refresh_token_enc: null,
      token_expires_at: null,
      authorized_by: null,
      last_error: reason,
      last_error_at: now,
      updated_at: now,
    })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
  await deleteAuthorizations(db, connection, null)
}

export async function listActiveConnections(
  db: Queryable,
  provider?: CrmProviderName,
): Promise<Pick<ConnectionRow, 'workspace_id' | 'id' | 'provider'>[]> {
  let q = db
    .selectFrom('connections')
    .select(['workspace_id', 'id', 'provider'])
    .where('status', '=', 'active')
  if (provider) q = q.where('provider', '=', provider)
  return q.orderBy('created_at').execute()
}

export async function listConnections(db: Queryable, workspaceId: string): Promise<ConnectionRow[]> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute()
}

/** A workspace's active connections (every column), in no particular order. */
export async function activeConnectionsOf(db: Queryable, workspaceId: string): Promise<ConnectionRow[]> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .execute()
}

/** The row, locked until the transaction ends: one token refresh at a time, across processes. */
export async function lockConnection(
  trx: Transaction<Database>,
  workspaceId: string,
  connectionId: string,
): Promise<ConnectionRow> {
  return trx
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', connectionId)
    .forUpdate()
    .executeTakeFirstOrThrow()
}

export interface SealedTokens {
  access_token_enc: string
  refresh_token_enc: string
  token_expires_at: Date
  scopes?: string[]
  api_base?: string | null
  /** The CRM user these tokens belong to (migrations/007), when the provider authorizes per user. */
  authorized_by?: string | null
}

export async function storeConnectionTokens(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  tokens: SealedTokens,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ ...tokens, updated_at: now })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

export interface StoredAuthorization {
  user_id: string
  access_token_enc: string
  refresh_token_enc: string
  token_expires_at: Date
}

/** Records (or renews) one CRM user's authorization of a connection (migrations/007). */
export async function upsertAuthorization(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  auth: StoredAuthorization,
  now: Date,
): Promise<void> {
  await db
    .insertInto('crm_authorizations')
    .values({ workspace_id: connection.workspace_id, connection_id: connection.id, ...auth, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'connection_id', 'user_id']).doUpdateSet({
        access_token_enc: auth.access_token_enc,
        refresh_token_enc: auth.refresh_token_enc,
        token_expires_at: auth.token_expires_at,
        updated_at: now,
      }),
    )
    .execute()
}

/** Drops one user's authorization, or every one of the connection's when `userId` is null. */
export async function deleteAuthorizations(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  userId: string | null,
): Promise<void> {
  let q = db
    .deleteFrom('crm_authorizations')
    .where('workspace_id', '=', connection.workspace_id)
    .where('connection_id', '=', connection.id)
  if (userId !== null) q = q.where('user_id', '=', userId)
  await q.execute()
}

/** Every user's authorization of a connection (a disconnect revokes each one's refresh token). */
export async function listAuthorizations(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
): Promise<StoredAuthorization[]> {
  return db
    .selectFrom('crm_authorizations')
    .select(['user_id', 'access_token_enc', 'refresh_token_enc', 'token_expires_at'])
    .where('workspace_id', '=', connection.workspace_id)
    .where('connection_id', '=', connection.id)
    .orderBy('user_id')
    .execute()
}

/**
 * Another user's authorization takes over a connection whose acting user left: its tokens become the
 * connection's, and provisioning is to redo (the CRM removed what was registered with the old token).
 */
export async function handOverConnection(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  next: StoredAuthorization,
  settings: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      access_token_enc: next.access_token_enc,
      refresh_token_enc: next.refresh_token_enc,
      token_expires_at: next.token_expires_at,
      authorized_by: next.user_id,
      settings: JSON.stringify(settings),
      provisioning: JSON.stringify({}),
      updated_at: now,
    })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

/** The most recently renewed authorization left on a connection, if any. */
export async function latestAuthorization(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
): Promise<StoredAuthorization | undefined> {
  return db
    .selectFrom('crm_authorizations')
    .select(['user_id', 'access_token_enc', 'refresh_token_enc', 'token_expires_at'])
    .where('workspace_id', '=', connection.workspace_id)
    .where('connection_id', '=', connection.id)
    .orderBy('updated_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export async function setConnectionStatus(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  status: ConnectionRow['status'],
  reason: string | null,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({
      status,
      last_error: reason,
      last_error_at: reason ? now : null,
      updated_at: now,
    })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

export async function recordConnectionError(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  message: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ last_error: message.slice(0, 1000), last_error_at: now })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

/** Progress kept as JSON on the connection: provisioning report, backfill cursor, settings. */
export async function setConnectionJson(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  column: 'provisioning' | 'backfill' | 'settings',
  value: object,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ [column]: JSON.stringify(value), updated_at: now })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

/** Moves the reconciliation cursor forward only (a slow pass never rewinds a faster one). */
export async function advanceReconcileCursor(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  cursor: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ reconcile_cursor: sql`GREATEST(COALESCE(reconcile_cursor, ${cursor}), ${cursor})` })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

export async function touchLastWebhook(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('connections')
    .set({ last_webhook_at: now })
    .where('workspace_id', '=', connection.workspace_id)
    .where('id', '=', connection.id)
    .execute()
}

export interface ConnectionBacklog {
  writeBackPending: number
  writeBackParked: number
  webhookDeliveriesPending: number
}

/** Per connection of a workspace: outbox rows by status and deliveries not yet processed. */
export async function connectionBacklogs(
  db: Queryable,
  workspaceId: string,
): Promise<Map<string, ConnectionBacklog>> {
  const [outbox, deliveries] = await Promise.all([
    db
      .selectFrom('outbox')
      .select(['connection_id', 'status', sql<number>`count(*)::int`.as('n')])
      .where('workspace_id', '=', workspaceId)
      .groupBy(['connection_id', 'status'])
      .execute(),
    db
      .selectFrom('inbound_deliveries')
      .select(['connection_id', sql<number>`count(*)::int`.as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('processed_at', 'is', null)
      .groupBy('connection_id')
      .execute(),
  ])
  const out = new Map<string, ConnectionBacklog>()
  const entry = (id: string) => {
    let e = out.get(id)
    if (!e) {
      e = { writeBackPending: 0, writeBackParked: 0, webhookDeliveriesPending: 0 }
      out.set(id, e)
    }
    return e
  }
  for (const r of outbox)
    entry(r.connection_id)[r.status === 'pending' ? 'writeBackPending' : 'writeBackParked'] = r.n
  for (const r of deliveries) entry(r.connection_id).webhookDeliveriesPending = r.n
  return out
}

/** Whether this CRM user has authorized the connection (installed the app themselves). */
export async function hasAuthorization(
  db: Queryable,
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('crm_authorizations')
    .select('user_id')
    .where('workspace_id', '=', connection.workspace_id)
    .where('connection_id', '=', connection.id)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row !== undefined
}
