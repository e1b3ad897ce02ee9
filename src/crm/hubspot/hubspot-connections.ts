/**
 * HubSpot connections: install (create or reattach), tokens (encrypted at rest, refreshed ahead of
 * expiry, one refresh at a time per connection even across processes), disconnect, health.
 * The adapters (oauth.ts, hubspot-client.ts) never touch the database; this service does.
 */
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { Db } from '../../db/database.js'
import type { ConnectionRow } from '../../db/schema.js'
import { Conflict, NotFound } from '../../errors.js'
import type { JobQueue } from '../../jobs/queue.js'
import { createWorkspaceIn } from '../../workspaces/workspace-service.js'
import { publicSettings } from '../connection-service.js'
import { createHubSpotClient, type HubSpotClient } from './hubspot-client.js'
import { HubSpotAuthError } from './hubspot-errors.js'
import type { HubSpotOAuth, HubSpotTokens } from './oauth.js'
import type { HubSpotRateLimits } from './rate-limiter.js'

/** Refresh when less than this is left: a 30-minute token is renewed after ~25 minutes. */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000

export interface HubSpotConnectionDeps {
  db: Db
  clock: Clock
  logger: Logger
  secretBox: SecretBox
  queue: Pick<JobQueue, 'send'>
  oauth: HubSpotOAuth
  limits: HubSpotRateLimits
  config: Pick<Config, 'HUBSPOT_API_BASE'>
}

export interface HubSpotConnectionSettings {
  /** Move lifecyclestage forward to marketingqualifiedlead on MQL (never backward). */
  lifecycleOnMql?: boolean
}

export function createHubSpotConnections(deps: HubSpotConnectionDeps) {
  const { db, clock, logger, secretBox, oauth, queue } = deps

  async function byPortal(portalId: string): Promise<ConnectionRow | undefined> {
    return db
      .selectFrom('connections')
      .selectAll()
      .where('provider', '=', 'hubspot')
      .where('account_id', '=', portalId)
      .executeTakeFirst()
  }

  async function byId(workspaceId: string, connectionId: string): Promise<ConnectionRow> {
    const row = await db
      .selectFrom('connections')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', connectionId)
      .where('provider', '=', 'hubspot')
      .executeTakeFirst()
    if (!row) throw new NotFound('No such HubSpot connection in this workspace')
    return row
  }

  /**
   * The OAuth callback's work after HubSpot redirected back with a code: tokens, portal id, then the
   * workspace and connection — reattached when this portal was installed before (a reinstall keeps the
   * workspace, its grid and its history), created otherwise — or, with `workspaceId` (an admin of that
   * workspace started the install from its settings page, see hubspot-oauth-routes.ts), attached to
   * that workspace. A portal already connected to another workspace is never moved: 409.
   * Provisioning + backfill are queued.
   */
  async function completeInstall(
    codeOrTokens: string | HubSpotTokens,
    options: { workspaceId?: string } = {},
  ): Promise<{ workspaceId: string; connectionId: string; portalId: string; reinstalled: boolean }> {
    // The callback route exchanges the code itself (@fastify/oauth2) and hands the tokens over.
    const tokens = typeof codeOrTokens === 'string' ? await oauth.exchangeCode(codeOrTokens) : codeOrTokens
    const info = await oauth.tokenInfo(tokens.accessToken)
    const portalId = info.hubId
    const now = clock.now()
    const sealed = {
      access_token_enc: secretBox.encrypt(tokens.accessToken),
      refresh_token_enc: secretBox.encrypt(tokens.refreshToken),
      token_expires_at: tokens.expiresAt,
      scopes: info.scopes.length > 0 ? info.scopes : (tokens.scopes ?? []),
    }
    // One transaction, serialised per portal: two callbacks at once (a double click, two tabs) make
    // one workspace and one connection, and a failure leaves no orphan workspace behind.
    const { workspaceId, connectionId, existing } = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`install|hubspot|${portalId}`}, 0))`.execute(
        trx,
      )
      const found = await trx
        .selectFrom('connections')
        .select(['workspace_id', 'id'])
        .where('provider', '=', 'hubspot')
        .where('account_id', '=', portalId)
        .executeTakeFirst()
      let ids: { workspaceId: string; connectionId: string }
      if (found && options.workspaceId && found.workspace_id !== options.workspaceId) {
        throw new Conflict(
          `HubSpot account ${portalId} is already connected to another Leadgrid workspace; uninstall it there first`,
          'portal_in_other_workspace',
        )
      }
      if (found) {
        ids = { workspaceId: found.workspace_id, connectionId: found.id }
        await trx
          .updateTable('connections')
          .set({ ...sealed, status: 'active', last_error: null, last_error_at: null, updated_at: now })
          .where('workspace_id', '=', found.workspace_id)
          .where('id', '=', found.id)
          .execute()
      } else {
        const target = options.workspaceId
          ? await trx
              .selectFrom('workspaces')
              .select('id')
              .where('id', '=', options.workspaceId)
              .executeTakeFirst()
          : undefined
        if (options.workspaceId && !target)
          throw new NotFound('The workspace this install was started from no longer exists')
        const ws = target
          ? { workspaceId: target.id }
          : await createWorkspaceIn(trx, { name: `HubSpot account ${portalId}`, now })
        const row = await trx
          .insertInto('connections')
          .values({
            workspace_id: ws.workspaceId,
            provider: 'hubspot',
            account_id: portalId,
            ...sealed,
            api_base: null,
            settings: JSON.stringify({}),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        ids = { workspaceId: ws.workspaceId, connectionId: row.id }
      }
      await trx
        .insertInto('audit_log')
        .values({
          workspace_id: ids.workspaceId,
          actor: 'hubspot',
          action: found ? 'connection.reinstalled' : 'connection.installed',
          details: JSON.stringify({
            provider: 'hubspot',
            portalId,
            connectionId: ids.connectionId,
            ...(options.workspaceId ? { attachedToWorkspace: true } : {}),
          }),
        })
        .execute()
      return { ...ids, existing: !!found }
    })
    await queue.send('crm-install', { workspaceId, connectionId })
    logger.info({ workspaceId, connectionId, portalId, reinstalled: existing }, 'HubSpot app installed')
    return { workspaceId, connectionId, portalId, reinstalled: existing }
  }

  async function markUninstalled(
    connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
    reason: string,
  ): Promise<void> {
    await db
      .updateTable('connections')
      .set({ status: 'uninstalled', last_error: reason, last_error_at: clock.now(), updated_at: clock.now() })
      .where('workspace_id', '=', connection.workspace_id)
      .where('id', '=', connection.id)
      .execute()
    logger.warn(
      { workspaceId: connection.workspace_id, connectionId: connection.id, reason },
      'HubSpot connection uninstalled',
    )
  }

  /**
   * A valid access token, refreshed when it expires within REFRESH_AHEAD_MS. The refresh happens under
   * the connection row's lock (SELECT … FOR UPDATE): a second process waits, then finds the fresh token
   * and makes no call. A revoked refresh token (BAD_REFRESH_TOKEN / invalid_grant) marks the connection
   * uninstalled, which pauses its write-back.
   */
  async function accessToken(workspaceId: string, connectionId: string): Promise<string> {
    const fresh = (row: Pick<ConnectionRow, 'token_expires_at' | 'access_token_enc'>) =>
      row.access_token_enc &&
      row.token_expires_at &&
      row.token_expires_at.getTime() - clock.now().getTime() > REFRESH_AHEAD_MS
    const current = await byId(workspaceId, connectionId)
    if (current.status !== 'active')
      throw new HubSpotAuthError('The HubSpot connection is not active', undefined, false, 'NOT_ACTIVE')
    if (fresh(current)) return secretBox.decrypt(current.access_token_enc!)
    let revoked: HubSpotAuthError | undefined
    const token = await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('connections')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', connectionId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      if (fresh(row)) return secretBox.decrypt(row.access_token_enc!)
      if (!row.refresh_token_enc)
        throw new HubSpotAuthError('No refresh token stored', undefined, false, 'NO_REFRESH_TOKEN')
      let tokens: HubSpotTokens
      try {
        tokens = await oauth.refresh(secretBox.decrypt(row.refresh_token_enc))
      } catch (err) {
        if (err instanceof HubSpotAuthError && err.revoked) {
          revoked = err
          return undefined
        }
        throw err
      }
      await trx
        .updateTable('connections')
        .set({
          access_token_enc: secretBox.encrypt(tokens.accessToken),
          // HubSpot may or may not rotate the refresh token; keep whichever it sends.
          refresh_token_enc: secretBox.encrypt(tokens.refreshToken),
          token_expires_at: tokens.expiresAt,
          updated_at: clock.now(),
        })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', connectionId)
        .execute()
      return tokens.accessToken
    })
    if (revoked) {
      await markUninstalled(current, `refresh token revoked (${revoked.code})`)
      throw revoked
    }
    return token!
  }

  function clientFor(
    connection: Pick<ConnectionRow, 'workspace_id' | 'id' | 'account_id' | 'api_base'>,
  ): HubSpotClient {
    return createHubSpotClient({
      portalId: connection.account_id,
      apiBase: connection.api_base ?? deps.config.HUBSPOT_API_BASE,
      accessToken: () => accessToken(connection.workspace_id, connection.id),
      limits: deps.limits,
    })
  }

  /** Disconnect from Leadgrid: HubSpot's uninstall API first (so HubSpot stops sending), then mark. */
  async function disconnect(workspaceId: string, connectionId: string): Promise<void> {
    const connection = await byId(workspaceId, connectionId)
    if (connection.status === 'active') {
      try {
        await clientFor(connection).uninstall()
      } catch (err) {
        // Already revoked on HubSpot's side: there is nothing left to uninstall there.
        if (!(err instanceof HubSpotAuthError && err.revoked)) throw err
      }
    }
    await markUninstalled(connection, 'disconnected from Leadgrid')
    await db
      .insertInto('audit_log')
      .values({
        workspace_id: workspaceId,
        actor: 'user',
        action: 'connection.disconnected',
        details: JSON.stringify({ provider: 'hubspot', connectionId }),
      })
      .execute()
  }

  async function recordError(
    connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
    message: string,
  ): Promise<void> {
    await db
      .updateTable('connections')
      .set({ last_error: message.slice(0, 1000), last_error_at: clock.now() })
      .where('workspace_id', '=', connection.workspace_id)
      .where('id', '=', connection.id)
      .execute()
  }

  /** Connection health for the settings page (GET /api/v1/connections). Never returns a secret. */
  async function health(workspaceId: string) {
    const rows = await db
      .selectFrom('connections')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .execute()
    const backlog = await db
      .selectFrom('outbox')
      .select(['connection_id', 'status', sql<number>`count(*)::int`.as('n')])
      .where('workspace_id', '=', workspaceId)
      .groupBy(['connection_id', 'status'])
      .execute()
    const pendingDeliveries = await db
      .selectFrom('inbound_deliveries')
      .select(['connection_id', sql<number>`count(*)::int`.as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('processed_at', 'is', null)
      .groupBy('connection_id')
      .execute()
    const count = (id: string, status: 'pending' | 'parked') =>
      backlog.find((b) => b.connection_id === id && b.status === status)?.n ?? 0
    return rows.map((c) => ({
      id: c.id,
      provider: c.provider,
      accountId: c.account_id,
      state: c.status,
      tokenExpiresAt: c.token_expires_at?.toISOString() ?? null,
      scopes: c.scopes,
      provisioning: c.provisioning,
      lastWebhookAt: c.last_webhook_at?.toISOString() ?? null,
      backlog: {
        writeBackPending: count(c.id, 'pending'),
        writeBackParked: count(c.id, 'parked'),
        webhookDeliveriesPending: pendingDeliveries.find((p) => p.connection_id === c.id)?.n ?? 0,
      },
      lastError: c.last_error ? { message: c.last_error, at: c.last_error_at?.toISOString() ?? null } : null,
      backfill: c.backfill,
      reconciledThrough: c.reconcile_cursor?.toISOString() ?? null,
      // Every provider's connections are listed here; sealed secrets (keys ending in Enc) never are.
      settings: publicSettings(c.settings),
      createdAt: c.created_at.toISOString(),
    }))
  }

  /** Per-connection options (today: the lifecycle-stage move on MQL). */
  async function updateSettings(workspaceId: string, connectionId: string, patch: HubSpotConnectionSettings) {
    const connection = await byId(workspaceId, connectionId)
    const settings = { ...connection.settings, ...patch }
    await db
      .updateTable('connections')
      .set({ settings: JSON.stringify(settings), updated_at: clock.now() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', connectionId)
      .execute()
    await db
      .insertInto('audit_log')
      .values({
        workspace_id: workspaceId,
        actor: 'user',
        action: 'connection.settings',
        details: JSON.stringify({ connectionId, ...patch }),
      })
      .execute()
    return settings
  }

  return {
    byPortal,
    byId,
    completeInstall,
    updateSettings,
    accessToken,
    clientFor,
    disconnect,
    markUninstalled,
    recordError,
    health,
  }
}

export type HubSpotConnections = ReturnType<typeof createHubSpotConnections>
