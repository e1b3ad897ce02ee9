/**
 * The install and uninstall over HTTP:
 *  GET    /oauth/pipedrive/install        → Pipedrive's consent page, with a signed, browser-bound,
 *                                            single-use state (optionally carrying `attach`, a signed
 *                                            workspace token from GET /api/v1/pipedrive/install-link)
 *  GET    /oauth/pipedrive/callback       code exchange; state optional (Marketplace installs), verified
 *                                            when present; `error=user_denied` → 400 saying so
 *  POST   /oauth/pipedrive/callback       app-sharing notice: acknowledged and logged
 *  DELETE /oauth/pipedrive/callback       one user's uninstall: Basic client_id:client_secret (constant
 *                                            time); that user's authorization goes, the company's
 *                                            connection only when nobody authorized is left
 *  GET    /api/v1/pipedrive/install-link  (workspace API key) an install link attaching to that workspace
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { sameSecret } from '../../crypto/api-keys.js'
import { BadRequest, CrmError, NotConfigured, Unauthorized } from '../../errors.js'
import type { PipedriveInstallService } from './install.js'
import { type PipedriveInstallState, type PipedriveOAuth, STATE_TTL_MS } from './oauth.js'

export interface PipedriveOAuthRouteDeps {
  config: Pick<Config, 'PUBLIC_URL'>
  logger: Logger
  crm: { pipedrive: { oauth: PipedriveOAuth; install: PipedriveInstallService } }
}

export const PIPEDRIVE_STATE_COOKIE = 'leadgrid_pipedrive_oauth_state'
const CALLBACK_PATH = '/oauth/pipedrive/callback'

export function notConfigured(): NotConfigured {
  return new NotConfigured(
    'Pipedrive is not configured on this server: set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET (your Pipedrive app’s credentials) and restart',
    'pipedrive_not_configured',
  )
}

const startAgain = (why: string, code: string) =>
  new BadRequest(`${why}; start the install again from /oauth/pipedrive/install`, undefined, code)

const installQuery = z.object({ attach: z.string().max(2048).optional() })
const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().max(2048).optional(),
  error: z.string().max(200).optional(),
})
const idText = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).transform(String)
// https://pipedrive.readme.io/docs/app-uninstallation: {client_id, company_id, user_id, timestamp}.
// Installs are per user, so the user is required: without it there is no telling whose install ended.
const uninstallBody = z.looseObject({
  client_id: z.string().max(200).optional(),
  company_id: idText,
  user_id: idText,
})
const sharingBody = z.looseObject({
  company_id: idText.optional(),
  user_id: idText.optional(),
  isShared: z.boolean().optional(),
})

function refusedInstall(error: string): BadRequest {
  return new BadRequest(
    error === 'user_denied'
      ? 'The Pipedrive install was cancelled: the app’s permissions were not accepted. Start again from Pipedrive’s Marketplace or /oauth/pipedrive/install to connect.'
      : `Pipedrive did not authorise the install: ${error}`,
    undefined,
    'install_refused',
  )
}

/** A state that is present must be ours, this browser's, fresh and unused; its cookie then goes. */
async function checkedState(
  install: PipedriveInstallService,
  request: FastifyRequest,
  reply: FastifyReply,
  given: string,
): Promise<PipedriveInstallState> {
  const cookie = request.cookies[PIPEDRIVE_STATE_COOKIE]
  if (!cookie)
    throw startAgain(
      'This browser has no install in progress (its install cookie is missing or expired, or the install was started in another browser)',
      'install_not_started',
    )
  if (!sameSecret(cookie, given))
    throw startAgain('This install link does not belong to this browser', 'invalid_state')
  const checked = await install.checkState(given)
  if (!checked.ok)
    throw startAgain(
      checked.reason === 'used'
        ? 'This install link was already used'
        : 'The install link is invalid or expired',
      checked.reason === 'used' ? 'state_used' : 'invalid_state',
    )
  reply.clearCookie(PIPEDRIVE_STATE_COOKIE, { path: CALLBACK_PATH })
  return checked.state
}

async function completeInstall(install: PipedriveInstallService, code: string, state: PipedriveInstallState) {
  try {
    return await install.completeInstall(code, state)
  } catch (err) {
    if (err instanceof CrmError && !err.retryable) {
      throw new BadRequest(
        'Pipedrive refused this authorisation code (already used or expired, codes live 5 minutes); start the install again',
        undefined,
        'install_failed',
      )
    }
    throw err
  }
}

/** The install's routes on `app` (which has the cookie plugin). */
export async function registerPipedriveOAuthRoutes(
  app: FastifyInstance,
  deps: PipedriveOAuthRouteDeps,
): Promise<void> {
  const { config, logger } = deps
  const { oauth, install } = deps.crm.pipedrive
  const configured = oauth.configured()
  const requireConfigured = () => {
    if (!configured) throw notConfigured()
  }

  app.get('/oauth/pipedrive/install', async (request, reply) => {
    requireConfigured()
    const q = installQuery.parse(request.query)
    let workspaceId: string | undefined
    if (q.attach) {
      workspaceId = install.readAttachToken(q.attach) ?? undefined
      if (!workspaceId)
        throw new BadRequest(
          'This install link is invalid or expired; ask Leadgrid for a new one',
          undefined,
          'invalid_install_link',
        )
    }
    const state = install.createState({ ...(workspaceId ? { workspaceId } : {}), returnTo: '/app/' })
    reply.setCookie(PIPEDRIVE_STATE_COOKIE, state, {
      path: CALLBACK_PATH,
      maxAge: STATE_TTL_MS / 1000,
      httpOnly: true,
      sameSite: 'lax',
      secure: config.PUBLIC_URL.startsWith('https:'),
    })
    return reply.header('cache-control', 'no-store').redirect(oauth.authorizeUrl(state), 302)
  })

  app.get(CALLBACK_PATH, async (request, reply) => {
    requireConfigured()
    const q = callbackQuery.parse(request.query)
    reply.header('cache-control', 'no-store')
    if (q.error) throw refusedInstall(q.error)
    if (!q.code) throw new BadRequest('Pipedrive sent no authorisation code', undefined, 'missing_code')
    const state = q.state === undefined ? {} : await checkedState(install, request, reply, q.state)
    const installed = await completeInstall(install, q.code, state)
    const target = new URL(`${config.PUBLIC_URL}/app/`)
    target.searchParams.set('installed', 'pipedrive')
    target.searchParams.set('companyId', installed.companyId)
    return reply.redirect(target.toString(), 302)
  })

  // App sharing: Pipedrive tells us a user got (or lost) the app. Nothing to store: each user still
  // authorizes through the GET above. Its authentication is undocumented, so nothing is trusted.
  app.post(CALLBACK_PATH, async (request, reply) => {
    const body = sharingBody.safeParse(request.body ?? {})
    logger.info(
      body.success
        ? { companyId: body.data.company_id, userId: body.data.user_id, isShared: body.data.isShared }
        : { unreadable: true },
      'Pipedrive app-sharing notice',
    )
    return reply.status(200).send({ ok: true })
  })

  app.delete(CALLBACK_PATH, async (request, reply) => {
    requireConfigured()
    if (!oauth.isAppBasicAuth(request.headers.authorization, sameSecret)) {
      throw new Unauthorized(
        'Pipedrive uninstall callbacks carry the app’s Basic credentials',
        'unauthorized',
      )
    }
    const body = uninstallBody.parse(request.body ?? {})
    const outcome = await install.uninstall(body.company_id, body.user_id)
    return reply.status(200).send({ ok: true, outcome })
  })
}

/** Under /api/v1 (workspace API key): an install link that attaches Pipedrive to this workspace. */
export async function registerPipedriveInstallLinkRoute(
  app: FastifyInstance,
  deps: Pick<PipedriveOAuthRouteDeps, 'config' | 'crm'>,
): Promise<void> {
  const { oauth, install } = deps.crm.pipedrive
  app.get('/pipedrive/install-link', async (request, reply) => {
    if (!oauth.configured()) throw notConfigured()
    const token = install.attachToken(request.workspaceId)
    const url = new URL(`${deps.config.PUBLIC_URL}/oauth/pipedrive/install`)
    url.searchParams.set('attach', token)
    return reply
      .header('cache-control', 'no-store')
      .send({ url: url.toString(), expiresInSeconds: STATE_TTL_MS / 1000 })
  })
}
