/**
 * A HubSpot install, after HubSpot redirected back with a code: tokens, portal id, then the workspace
 * and connection. Everything after that (tokens, sessions, health, settings, disconnect) belongs to
 * the provider-neutral connection service (../connection-service.ts); the adapters never touch the
 * database, this service does.
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import { appendAudit } from '../../db/audit-repository.js'
import {
  findConnectionByAccount,
  insertConnection,
  lockAccountConnection,
  setConnectionStatus,
  storeConnectionTokens,
  workspaceExists,
} from '../../db/connection-repository.js'
import type { Db } from '../../db/database.js'
import type { ConnectionRow } from '../../db/schema.js'
import { Conflict, NotFound } from '../../errors.js'
import type { JobQueue } from '../../jobs/queue.js'
import { createWorkspaceIn } from '../../workspaces/workspace-service.js'
import type { HubSpotOAuth, HubSpotTokens } from './oauth.js'

export interface HubSpotInstallDeps {
  db: Db
  clock: Clock
  logger: Logger
  secretBox: SecretBox
  queue: Pick<JobQueue, 'send'>
  oauth: Pick<HubSpotOAuth, 'exchangeCode' | 'tokenInfo'>
}

export function createHubSpotInstallService(deps: HubSpotInstallDeps) {
  const { db, clock, logger, secretBox, oauth, queue } = deps

  /** The connection of a portal (webhooks, cards, app links and workflow actions name the portal). */
  function byPortal(portalId: string): Promise<ConnectionRow | undefined> {
    return findConnectionByAccount(db, 'hubspot', portalId)
  }

  /**
   * The workspace and connection of an install — reattached when this portal was installed before (a
   * reinstall keeps the workspace, its grid and its history), created otherwise — or, with
   * `workspaceId` (an admin of that workspace started the install from its settings page, see
   * hubspot-oauth-routes.ts), attached to that workspace. A portal already connected to another
   * workspace is never moved: 409. Provisioning + backfill are queued.
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
      const found = await lockAccountConnection(trx, 'hubspot', portalId)
      if (found && options.workspaceId && found.workspace_id !== options.workspaceId) {
        throw new Conflict(
          `HubSpot account ${portalId} is already connected to another Leadgrid workspace; uninstall it there first`,
          'portal_in_other_workspace',
        )
      }
      let ids: { workspaceId: string; connectionId: string }
      if (found) {
        ids = { workspaceId: found.workspace_id, connectionId: found.id }
        // Unlike a Pipedrive reinstall, provisioning is kept: HubSpot keeps the properties it had.
        await storeConnectionTokens(trx, found, sealed, now)
        await setConnectionStatus(trx, found, 'active', null, now)
      } else {
        if (options.workspaceId && !(await workspaceExists(trx, options.workspaceId)))
          throw new NotFound('The workspace this install was started from no longer exists')
        const target =
          options.workspaceId ??
          (await createWorkspaceIn(trx, { name: `HubSpot account ${portalId}`, now })).workspaceId
        const id = await insertConnection(trx, {
          workspaceId: target,
          provider: 'hubspot',
          accountId: portalId,
          tokens: sealed,
          settings: {},
        })
        ids = { workspaceId: target, connectionId: id }
      }
      await appendAudit(trx, ids.workspaceId, {
        actor: 'hubspot',
        action: found ? 'connection.reinstalled' : 'connection.installed',
        details: {
          provider: 'hubspot',
          portalId,
          connectionId: ids.connectionId,
          ...(options.workspaceId ? { attachedToWorkspace: true } : {}),
        },
        at: now,
      })
      return { ...ids, existing: !!found }
    })
    await queue.send('crm-install', { workspaceId, connectionId })
    logger.info({ workspaceId, connectionId, portalId, reinstalled: existing }, 'HubSpot app installed')
    return { workspaceId, connectionId, portalId, reinstalled: existing }
  }

  return { byPortal, completeInstall }
}

export type HubSpotInstallService = ReturnType<typeof createHubSpotInstallService>
