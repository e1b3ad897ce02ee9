/**
 * The Pipedrive install and uninstall, outside HTTP: signed install states, the code exchange, who
 * installed (`/api/v1/users/me`), one connection per company (account_id = company_id) in the
 * workspace the install was started from (or a new one), and the uninstall callback's effect.
 *
 * States (oauth.ts, over crm/signed-state.ts) are signed with a key derived from the session secret,
 * expire after 10 minutes and are single-use across processes. Marketplace installs may carry no state at
 * all (Pipedrive's older docs: state is unavailable for installs started in the Marketplace): those
 * complete on the strength of the code exchange alone, into a new workspace or the company's existing
 * one — never into a workspace the request names.
 */

import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import { appendAudit } from '../../db/audit-repository.js'
import {
  deleteAuthorizations,
  findConnectionByAccount,
  handOverConnection,
  hasAuthorization,
  insertConnection,
  latestAuthorization,
  lockAccountConnection,
  lockConnection,
  reactivateConnection,
  type SealedTokens,
  uninstallConnection,
  upsertAuthorization,
  workspaceExists,
} from '../../db/connection-repository.js'
import type { Db } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import type { JobQueue } from '../../jobs/queue.js'
import { createWorkspaceIn } from '../../workspaces/workspace-service.js'
import type { CrmConnection } from '../types.js'
import { createPipedriveClient } from './client.js'
import type { PipedriveCurrentUser } from './client-users.js'
import {
  createPipedriveInstallStates,
  type PipedriveInstallState,
  type PipedriveOAuth,
  type PipedriveTokens,
} from './oauth.js'
import type { PipedriveConnectionSettings } from './provisioning.js'
import type { PipedriveRateLimits } from './rate-limits.js'
import { missingScopes } from './scopes.js'

export interface PipedriveInstallDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  secretBox: SecretBox
  oauth: PipedriveOAuth
  limits: PipedriveRateLimits
  sessionSecret: string
}

export function createPipedriveInstallService(deps: PipedriveInstallDeps) {
  const { db, clock, logger, queue, secretBox, oauth } = deps
  const states = createPipedriveInstallStates({ sessionSecret: deps.sessionSecret, clock, db })

  return {
    ...states,

    /**
     * Code → tokens → company and user → the company's connection (created, or reattached with fresh
     * tokens), then provisioning + backfill queued. A reinstall re-provisions: Pipedrive removed the
     * app's webhooks on uninstall.
     */
    async completeInstall(
      code: string,
      state: PipedriveInstallState,
    ): Promise<{ workspaceId: string; connectionId: string; companyId: string; reinstalled: boolean }> {
      const tokens = await oauth.exchangeCode(code)
      const me = await createPipedriveClient({
        companyId: 'install',
        apiDomain: tokens.apiDomain,
        accessToken: () => tokens.accessToken,
        limits: deps.limits,
      }).currentUser()
      const companyId = String(me.companyId)
      // Pipedrive answers the scopes granted; an app registered without one of Leadgrid's (or a
      // token of an older scope set) fails later on the calls it opens, so say it now.
      const missing = tokens.scopes.length > 0 ? missingScopes(tokens.scopes) : []
      if (missing.length > 0)
        logger.warn({ companyId, missingScopes: missing }, 'Pipedrive install lacks scopes Leadgrid needs')
      const installer: Installer = {
        me,
        companyId,
        sealed: sealTokens(secretBox, tokens, me.userId),
        missing,
        now: clock.now(),
      }
      const result = await db.transaction().execute((trx) => recordInstall(trx, logger, installer, state))
      await queue.send('crm-install', { workspaceId: result.workspaceId, connectionId: result.connectionId })
      logger.info({ ...result, companyId }, 'Pipedrive app installed')
      return { ...result, companyId }
    },

    /**
     * The uninstall callback (already authenticated) for the one user it names: Pipedrive installs are
     * per user, so only that user's authorization goes (https://pipedrive.readme.io/docs/app-uninstallation).
     * The company's connection keeps running while another user's authorization is left; when the
     * user who acted for it leaves, the most recent other authorization takes over, and since Pipedrive
     * removed the webhooks registered with the leaving user's token (webhooks-for-apps), the install
     * job registers them again with the new one's. With nobody left, writes stop (uninstalled), the
     * tokens are deleted, scores and history stay.
     */
    async uninstall(companyId: string, userId: string): Promise<UninstallOutcome> {
      const now = clock.now()
      const done = await db.transaction().execute(async (trx) => {
        const found = await findConnectionByAccount(trx, 'pipedrive', companyId)
        if (!found) return null
        // Under the row's lock: a token refresh of this connection waits, then sees the outcome.
        const row = await lockConnection(trx, found.workspace_id, found.id)
        const outcome = await removeUserAuthorization(trx, row, userId, now)
        if (outcome !== 'not_authorized') {
          await appendAudit(trx, row.workspace_id, {
            actor: `pipedrive:${userId}`,
            action: outcome === 'uninstalled' ? 'connection.uninstalled' : 'connection.user_uninstalled',
            details: { provider: 'pipedrive', companyId, connectionId: row.id, userId, outcome },
            at: now,
          })
        }
        return { row, outcome }
      })
      if (!done) return 'unknown_company'
      const { row, outcome } = done
      if (outcome === 'handed_over')
        await queue.send('crm-install', { workspaceId: row.workspace_id, connectionId: row.id })
      logger.warn({ companyId, connectionId: row.id, userId, outcome }, 'Pipedrive app uninstalled by a user')
      return outcome
    },
  }
}

/** Who installed, with what: the token answer sealed, the scopes it lacks, when. */
interface Installer {
  me: PipedriveCurrentUser
  companyId: string
  sealed: SealedTokens
  missing: string[]
  now: Date
}

function sealTokens(secretBox: SecretBox, tokens: PipedriveTokens, userId: number): SealedTokens {
  return {
    access_token_enc: secretBox.encrypt(tokens.accessToken),
    refresh_token_enc: secretBox.encrypt(tokens.refreshToken),
    token_expires_at: tokens.expiresAt,
    scopes: tokens.scopes,
    api_base: tokens.apiDomain,
    // The latest user to authorize acts for the company; every user's tokens are kept (below).
    authorized_by: String(userId),
  }
}

/** The company's connection, created or reattached, this user's authorization, and the audit. */
async function recordInstall(
  trx: Transaction<Database>,
  logger: Logger,
  who: Installer,
  state: PipedriveInstallState,
): Promise<{ workspaceId: string; connectionId: string; reinstalled: boolean }> {
  const { me, companyId, sealed, missing, now } = who
  // Two callbacks at once (double click, two users of one company) make one connection.
  const found = await lockAccountConnection(trx, 'pipedrive', companyId)
  const { workspaceId, connectionId } = found
    ? await reattach(trx, logger, found, who, state)
    : await attachNew(trx, who, state)
  await upsertAuthorization(
    trx,
    { workspace_id: workspaceId, id: connectionId },
    {
      user_id: String(me.userId),
      access_token_enc: sealed.access_token_enc,
      refresh_token_enc: sealed.refresh_token_enc,
      token_expires_at: sealed.token_expires_at,
    },
    now,
  )
  await appendAudit(trx, workspaceId, {
    actor: `pipedrive:${me.userId}`,
    action: found ? 'connection.reinstalled' : 'connection.installed',
    details: {
      provider: 'pipedrive',
      companyId,
      connectionId,
      isAdmin: me.isAdmin,
      ...(missing.length > 0 ? { missingScopes: missing } : {}),
    },
    at: now,
  })
  return { workspaceId, connectionId, reinstalled: found !== undefined }
}

/** A company already connected stays in its workspace, whichever one the install was started from. */
async function reattach(
  trx: Transaction<Database>,
  logger: Logger,
  found: Pick<CrmConnection, 'workspace_id' | 'id' | 'settings'>,
  who: Installer,
  state: PipedriveInstallState,
): Promise<{ workspaceId: string; connectionId: string }> {
  if (state.workspaceId && state.workspaceId !== found.workspace_id) {
    logger.warn(
      {
        companyId: who.companyId,
        connectionWorkspace: found.workspace_id,
        requestedWorkspace: state.workspaceId,
      },
      'Pipedrive company already connected to another workspace; kept there',
    )
  }
  await reactivateConnection(
    trx,
    found,
    who.sealed,
    { ...found.settings, pipedriveUserId: who.me.userId },
    who.now,
  )
  return { workspaceId: found.workspace_id, connectionId: found.id }
}

/** A new connection, in the workspace the install was started from when it exists, else a new one. */
async function attachNew(
  trx: Transaction<Database>,
  who: Installer,
  state: PipedriveInstallState,
): Promise<{ workspaceId: string; connectionId: string }> {
  const { me, companyId, now } = who
  const target = state.workspaceId && (await workspaceExists(trx, state.workspaceId))
  const workspaceId = target
    ? state.workspaceId!
    : (
        await createWorkspaceIn(trx, {
          name: me.companyName ? `Pipedrive: ${me.companyName}` : `Pipedrive company ${companyId}`,
          now,
        })
      ).workspaceId
  const connectionId = await insertConnection(trx, {
    workspaceId,
    provider: 'pipedrive',
    accountId: companyId,
    tokens: who.sealed,
    settings: { pipedriveUserId: me.userId },
  })
  return { workspaceId, connectionId }
}

/** What one user's uninstall did to the company's connection. */
export type UninstallOutcome =
  | 'unknown_company'
  /** The user had no authorization of this connection left: nothing changed. */
  | 'not_authorized'
  /** Another user acts for the company; only the leaving user's authorization went. */
  | 'user_removed'
  /** The acting user left; another user's authorization acts for the company now. */
  | 'handed_over'
  /** The last authorized user left: the connection is uninstalled. */
  | 'uninstalled'

async function removeUserAuthorization(
  trx: Transaction<Database>,
  row: CrmConnection,
  userId: string,
  now: Date,
): Promise<Exclude<UninstallOutcome, 'unknown_company'>> {
  // Already uninstalled (a disconnect from Leadgrid revoked the tokens, and Pipedrive reports it).
  if (row.status === 'uninstalled') return 'not_authorized'
  const settings = row.settings as PipedriveConnectionSettings
  // Connections installed before per-user authorizations name their installer in settings only.
  const acting = row.authorized_by ?? (settings.pipedriveUserId ? String(settings.pipedriveUserId) : null)
  const had = await hasAuthorization(trx, row, userId)
  if (!had && acting !== userId) return 'not_authorized'
  await deleteAuthorizations(trx, row, userId)
  if (acting !== userId) return 'user_removed'
  const next = await latestAuthorization(trx, row)
  if (!next) {
    await uninstallConnection(trx, row, 'uninstalled in Pipedrive by its last authorized user', now)
    return 'uninstalled'
  }
  await handOverConnection(trx, row, next, { ...settings, pipedriveUserId: Number(next.user_id) }, now)
  return 'handed_over'
}

export type PipedriveInstallService = ReturnType<typeof createPipedriveInstallService>
