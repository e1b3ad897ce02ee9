/**
 * A HubSpot install, after HubSpot redirected back with a code: tokens, portal id, then the workspace
 * and connection — whether the install was started from Leadgrid (routes-oauth.ts) or from the
 * Marketplace listing (below). Everything after that (tokens, sessions, health, settings,
 * disconnect) belongs to the provider-neutral connection service (../connection-service.ts); the
 * adapters never touch the database, this service does.
 */
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { z } from 'zod'
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
import { consumeOAuthStateNonce } from '../../db/oauth-state-repository.js'
import { BadRequest, Conflict, CrmError, NotFound } from '../../errors.js'
import type { JobQueue } from '../../jobs/queue.js'
import { createWorkspaceIn } from '../../workspaces/workspace-service.js'
import type { CrmConnection } from '../types.js'
import type { HubSpotOAuth, HubSpotTokens } from './oauth.js'

export interface HubSpotInstallDeps {
  db: Db
  clock: Clock
  logger: Logger
  secretBox: SecretBox
  queue: Pick<JobQueue, 'send'>
  oauth: Pick<HubSpotOAuth, 'exchangeCode' | 'tokenInfo' | 'installRedirectUri'>
}

/** How long a used code stays recorded: longer than HubSpot keeps an unused one valid. */
const USED_CODE_TTL_MS = 24 * 60 * 60_000

export const listingInstallQuery = z.object({
  code: z.string().min(1).max(2048),
  returnUrl: z.string().min(1).max(4096),
  step: z.string().max(40).optional(),
})

/** True for an https URL on hubspot.com or one of its subdomains (app.hubspot.com, app-eu1.hubspot.com…). */
export function isHubSpotReturnUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return false
  const host = url.hostname.toLowerCase()
  return host === 'hubspot.com' || host.endsWith('.hubspot.com')
}

const refused = (why: string, code: string) =>
  new BadRequest(`${why}; start the install again from HubSpot`, undefined, code)

export function createHubSpotInstallService(deps: HubSpotInstallDeps) {
  const { db, clock, logger, secretBox, oauth, queue } = deps

  /** The connection of a portal (webhooks, cards, app links and workflow actions name the portal). */
  function byPortal(portalId: string): Promise<CrmConnection | undefined> {
    return findConnectionByAccount(db, 'hubspot', portalId)
  }

  /**
   * The workspace and connection of an install — reattached when this portal was installed before (a
   * reinstall keeps the workspace, its grid and its history), created otherwise — or, with
   * `workspaceId` (an admin of that workspace started the install from its settings page, see
   * routes-oauth.ts), attached to that workspace. A portal already connected to another
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

  /**
   * An install started from Leadgrid's HubSpot Marketplace listing (HubSpot's "seamless" install flow
   * without partner sign-in, docs/hubspot.md): the listing's Install button sends the user to
   * GET /oauth/hubspot/install?code=…&returnUrl=…; Leadgrid exchanges the code, installs, and sends
   * the user back to `returnUrl` — without that redirect the user loops back to HubSpot's login.
   *
   * No state cookie protects this code (HubSpot started the flow, not this browser), so instead:
   *  - `returnUrl` must be an https URL on hubspot.com (or a subdomain): otherwise the install URL
   *    would be an open redirect. Checked before anything else; a bad one exchanges nothing.
   *  - Each code is used once: its SHA-256 is recorded (the single-use table of install states) before
   *    it is exchanged, on every process alike, so a replayed URL is refused without a token call.
   *  - A forged or expired code is refused by HubSpot's token endpoint: 400, nothing stored.
   *  - The code is exchanged with the install URL as its redirect URI (it is where HubSpot sent it).
   *  - The install creates or reattaches the portal's own workspace; it never attaches to a
   *    workspace named by the browser, and it signs nobody in to Leadgrid.
   * The partner-sign-in variant (`step=authorize|finalize`) is not used by Leadgrid's listing: refused.
   * Answers the URL to send the user back to (HubSpot's returnUrl).
   */
  async function completeListingInstall(query: z.infer<typeof listingInstallQuery>): Promise<string> {
    if (query.step !== undefined)
      throw refused(
        'Leadgrid does not use partner sign-in in its HubSpot install',
        'partner_sign_in_unsupported',
      )
    if (!isHubSpotReturnUrl(query.returnUrl))
      throw refused('The returnUrl of this install is not a HubSpot address', 'invalid_return_url')
    const now = clock.now()
    const digest = createHash('sha256').update(query.code, 'utf8').digest('hex')
    const first = await consumeOAuthStateNonce(
      db,
      `hubspot-code:${digest}`,
      new Date(now.getTime() + USED_CODE_TTL_MS),
      now,
    )
    if (!first) throw refused('This install link was already used', 'code_used')
    try {
      const tokens = await oauth.exchangeCode(query.code, oauth.installRedirectUri)
      await completeInstall(tokens)
    } catch (err) {
      // A forged, used or expired code: HubSpot refuses it (4xx). Its unreachability stays a 5xx.
      if (err instanceof CrmError && !err.retryable)
        throw refused(
          'HubSpot refused this authorisation code (forged, already used or expired)',
          'install_failed',
        )
      throw err
    }
    return query.returnUrl
  }

  return { byPortal, completeInstall, completeListingInstall }
}

export type HubSpotInstallService = ReturnType<typeof createHubSpotInstallService>
