/**
 * CRM connections, whatever the provider: a valid access token (refreshed ahead of expiry, one refresh
 * at a time across processes, a dead refresh token turning into "uninstalled"), sessions, errors,
 * disconnect, settings and health. The provider only says how to refresh and what a dead token looks
 * like (cal.com's OAuthManager habit); tokens are sealed here and never leave this file in clear
 * except to the session that uses them.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { SecretBox } from '../crypto/secret-box.js'
import { appendAudit } from '../db/audit-repository.js'
import {
  connectionBacklogs,
  deleteAuthorizations,
  findConnection,
  latestAuthorization,
  listAuthorizations,
  listConnections,
  lockConnection,
  recordConnectionError,
  setConnectionJson,
  setConnectionStatus,
  storeConnectionTokens,
  uninstallConnection,
  upsertAuthorization,
} from '../db/connection-repository.js'
import type { Db } from '../db/database.js'
import { retryParkedOutboxRows } from '../db/outbox-repository.js'
import type { ConnectionRow } from '../db/schema.js'
import { CrmError, NotFound } from '../errors.js'
import type { JobQueue } from '../jobs/queue.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import type { CrmConnection, CrmProviderName, CrmSession, CrmTokenGrant } from './types.js'

/** Refresh when less than this is left (HubSpot's tokens live 30 min, Pipedrive's 60). */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000

export class ConnectionInactiveError extends CrmError {
  constructor(provider: CrmProviderName, reason: string) {
    super(`The ${provider} connection is not active (${reason})`, provider, undefined, false)
    this.name = 'ConnectionInactiveError'
  }
}

export interface ConnectionServiceDeps {
  db: Db
  clock: Clock
  logger: Logger
  secretBox: SecretBox
  providers: CrmProviderRegistry
  queue: Pick<JobQueue, 'send'>
}

export function createConnectionService(deps: ConnectionServiceDeps) {
  const { db, clock, logger, secretBox, providers } = deps

  async function byId(workspaceId: string, connectionId: string): Promise<ConnectionRow> {
    const row = await findConnection(db, workspaceId, connectionId)
    if (!row) throw new NotFound('No such connection in this workspace')
    return row
  }

  function seal(grant: CrmTokenGrant) {
    return {
      access_token_enc: secretBox.encrypt(grant.accessToken),
      refresh_token_enc: secretBox.encrypt(grant.refreshToken),
      token_expires_at: grant.expiresAt,
      ...(grant.scopes && grant.scopes.length > 0 ? { scopes: grant.scopes } : {}),
      ...(grant.apiBase ? { api_base: grant.apiBase } : {}),
    }
  }

  async function markUninstalled(
    connection: Pick<ConnectionRow, 'workspace_id' | 'id' | 'provider'>,
    reason: string,
  ) {
    await setConnectionStatus(db, connection, 'uninstalled', reason, clock.now())
    logger.warn(
      {
        workspaceId: connection.workspace_id,
        connectionId: connection.id,
        provider: connection.provider,
        reason,
      },
      'CRM connection uninstalled',
    )
  }

  /**
   * A valid access token. When it expires within REFRESH_AHEAD_MS it is refreshed under the row's lock:
   * a second process waits, then finds the fresh token and makes no call. A dead refresh token marks the
   * connection uninstalled, which pauses its write-back (rows stay pending, nothing is dropped).
   */
  async function accessToken(workspaceId: string, connectionId: string): Promise<string> {
    const fresh = (row: Pick<ConnectionRow, 'token_expires_at' | 'access_token_enc'>) =>
      row.access_token_enc &&
      row.token_expires_at &&
      row.token_expires_at.getTime() - clock.now().getTime() > REFRESH_AHEAD_MS
    const current = await byId(workspaceId, connectionId)
    if (current.status !== 'active') throw new ConnectionInactiveError(current.provider, current.status)
    if (fresh(current)) return secretBox.decrypt(current.access_token_enc!)
    const provider = providers.get(current.provider)
    let revoked: unknown
    const token = await db.transaction().execute(async (trx) => {
      let row = await lockConnection(trx, workspaceId, connectionId)
      for (;;) {
        if (fresh(row)) return secretBox.decrypt(row.access_token_enc!)
        if (!row.refresh_token_enc) throw new ConnectionInactiveError(row.provider, 'no refresh token stored')
        let grant: CrmTokenGrant
        try {
          grant = await provider.refreshTokens(row, secretBox.decrypt(row.refresh_token_enc))
        } catch (err) {
          if (!provider.isRevoked(err)) throw err
          // That user's authorization is dead (migrations/007): drop it and act with another user's,
          // if any is left; with none, the connection is uninstalled below.
          if (row.authorized_by) await deleteAuthorizations(trx, row, row.authorized_by)
          const next = await latestAuthorization(trx, row)
          if (!next) {
            revoked = err
            return undefined
          }
          const switched = {
            access_token_enc: next.access_token_enc,
            refresh_token_enc: next.refresh_token_enc,
            token_expires_at: next.token_expires_at,
            authorized_by: next.user_id,
          }
          await storeConnectionTokens(trx, row, switched, clock.now())
          logger.warn(
            { connectionId, provider: row.provider, from: row.authorized_by, to: next.user_id },
            'CRM authorization revoked; acting with another user’s',
          )
          row = { ...row, ...switched }
          continue
        }
        const sealed = seal(grant)
        await storeConnectionTokens(trx, row, sealed, clock.now())
        if (row.authorized_by) {
          await upsertAuthorization(
            trx,
            row,
            {
              user_id: row.authorized_by,
              access_token_enc: sealed.access_token_enc,
              refresh_token_enc: sealed.refresh_token_enc,
              token_expires_at: sealed.token_expires_at,
            },
            clock.now(),
          )
        }
        return grant.accessToken
      }
    })
    if (revoked !== undefined) {
      await markUninstalled(current, `refresh token revoked (${(revoked as Error).message})`)
      throw revoked
    }
    return token!
  }

  function sessionFor(connection: CrmConnection): CrmSession {
    return providers
      .get(connection.provider)
      .open(connection, () => accessToken(connection.workspace_id, connection.id))
  }

  /**
   * Every refresh token stored for a connection, decrypted: each authorized user's and the
   * connection's own (the same as one of them, unless it predates per-user authorizations).
   */
  async function storedRefreshTokens(connection: ConnectionRow): Promise<string[]> {
    const sealed = (await listAuthorizations(db, connection)).map((a) => a.refresh_token_enc)
    if (connection.refresh_token_enc) sealed.push(connection.refresh_token_enc)
    return [...new Set(sealed.map((s) => secretBox.decrypt(s)))]
  }

  /**
   * Disconnect from Leadgrid: the CRM's own uninstall first (so it stops sending); where the CRM asks
   * for it, every stored refresh token revoked (then the tokens are deleted); then mark.
   */
  async function disconnect(workspaceId: string, connectionId: string, actor: string): Promise<void> {
    const connection = await byId(workspaceId, connectionId)
    const provider = providers.get(connection.provider)
    if (connection.status === 'active') {
      try {
        await sessionFor(connection).uninstall()
      } catch (err) {
        // Already revoked on the CRM's side: there is nothing left to uninstall there.
        if (!provider.isRevoked(err)) throw err
      }
    }
    if (provider.revokeRefreshToken) {
      // A failure throws before anything is marked: the disconnect can be asked again, and revoking
      // a token twice is harmless.
      for (const token of await storedRefreshTokens(connection)) await provider.revokeRefreshToken(token)
      await uninstallConnection(db, connection, 'disconnected from Leadgrid', clock.now())
      logger.warn(
        { workspaceId, connectionId, provider: connection.provider },
        'CRM connection disconnected; its authorizations revoked',
      )
    } else {
      await markUninstalled(connection, 'disconnected from Leadgrid')
    }
    await appendAudit(db, workspaceId, {
      actor,
      action: 'connection.disconnected',
      details: { provider: connection.provider, connectionId },
      at: clock.now(),
    })
  }

  async function updateSettings(
    workspaceId: string,
    connectionId: string,
    patch: Record<string, unknown>,
    actor: string,
  ): Promise<Record<string, unknown>> {
    const connection = await byId(workspaceId, connectionId)
    const settings = { ...connection.settings, ...patch }
    await setConnectionJson(db, connection, 'settings', settings, clock.now())
    await appendAudit(db, workspaceId, {
      actor,
      action: 'connection.settings',
      details: { connectionId, provider: connection.provider, ...patch },
      at: clock.now(),
    })
    return settings
  }

  /** Parked write-backs (values the CRM kept refusing) back to pending, and a flush queued. */
  async function retryParked(workspaceId: string, connectionId: string, actor: string): Promise<number> {
    const connection = await byId(workspaceId, connectionId)
    const now = clock.now()
    const retried = await retryParkedOutboxRows(db, workspaceId, connectionId, now)
    if (retried > 0) {
      await deps.queue.send('crm-flush', { workspaceId, connectionId })
      await appendAudit(db, workspaceId, {
        actor,
        action: 'connection.parked_retried',
        details: { connectionId, provider: connection.provider, rows: retried },
        at: now,
      })
    }
    return retried
  }

  /** Connection health for the settings page and `GET /api/v1/connections`. Never returns a secret. */
  async function health(workspaceId: string) {
    const [rows, backlogs] = [
      await listConnections(db, workspaceId),
      await connectionBacklogs(db, workspaceId),
    ]
    return rows.map((c) => ({
      id: c.id,
      provider: c.provider,
      accountId: c.account_id,
      state: c.status,
      tokenExpiresAt: c.token_expires_at?.toISOString() ?? null,
      scopes: c.scopes,
      provisioning: c.provisioning,
      lastWebhookAt: c.last_webhook_at?.toISOString() ?? null,
      backlog: backlogs.get(c.id) ?? { writeBackPending: 0, writeBackParked: 0, webhookDeliveriesPending: 0 },
      lastError: c.last_error ? { message: c.last_error, at: c.last_error_at?.toISOString() ?? null } : null,
      backfill: c.backfill,
      reconciledThrough: c.reconcile_cursor?.toISOString() ?? null,
      settings: publicSettings(c.settings),
      createdAt: c.created_at.toISOString(),
    }))
  }

  return {
    byId,
    seal,
    accessToken,
    sessionFor,
    markUninstalled,
    recordError: (connection: Pick<ConnectionRow, 'workspace_id' | 'id'>, message: string) =>
      recordConnectionError(db, connection, message, clock.now()),
    disconnect,
    updateSettings,
    retryParked,
    health,
  }
}

/** Settings keys ending in `Enc` hold sealed secrets (webhook credentials): never shown. */
export function publicSettings(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([k]) => !k.endsWith('Enc')))
}

export type ConnectionService = ReturnType<typeof createConnectionService>
