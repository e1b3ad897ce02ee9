/**
 * Pipedrive's HTTP surface:
 *  GET    /oauth/pipedrive/install        → Pipedrive's consent page, with a signed, browser-bound,
 *                                            single-use state (optionally carrying `attach`, a signed
 *                                            workspace token from GET /api/v1/pipedrive/install-link)
 *  GET    /oauth/pipedrive/callback       code exchange; state optional (Marketplace installs), verified
 *                                            when present; `error=user_denied` → 400 saying so
 *  POST   /oauth/pipedrive/callback       app-sharing notice: acknowledged and logged
 *  DELETE /oauth/pipedrive/callback       one user's uninstall: Basic client_id:client_secret (constant
 *                                            time); that user's authorization goes, the company's
 *                                            connection only when nobody authorized is left
 *  POST   /webhooks/pipedrive/:connectionId  webhooks v2, per-connection Basic (constant time), stored
 *                                            durably (dedupe on meta.id) before the 200
 *  GET    /pipedrive/panel                the person page's JSON panel (JWT in `token`)
 *  GET    /api/v1/pipedrive/install-link  (workspace API key) an install link attaching to that workspace
 * Without PIPEDRIVE_CLIENT_ID / PIPEDRIVE_CLIENT_SECRET every route answers 503 naming them.
 */
import { timingSafeEqual } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { findConnectionById } from '../../db/connection-repository.js'
import { BadRequest, CrmError, NotConfigured, Unauthorized } from '../../errors.js'
import type { DeliveryService } from '../delivery-service.js'
import type { CrmModuleDeps } from '../provider-module.js'
import type { PipedriveInstallService } from './install.js'
import { type PipedriveOAuth, STATE_TTL_MS } from './oauth.js'
import { PanelAuthError, panelError, readPanel, verifyPanelToken } from './panel.js'
import { webhookCredentials } from './provider.js'
import { signPipedriveSignInToken } from './sign-in.js'
import { parsePipedriveWebhook, pipedriveDedupeKey } from './webhooks.js'

type Deps = Pick<CrmModuleDeps, 'config' | 'db' | 'clock' | 'logger' | 'secretBox'> & {
  crm: {
    deliveries: Pick<DeliveryService, 'receive'>
    pipedrive: { oauth: PipedriveOAuth; install: PipedriveInstallService }
  }
}

export const PIPEDRIVE_STATE_COOKIE = 'leadgrid_pipedrive_oauth_state'
const CALLBACK_PATH = '/oauth/pipedrive/callback'

/** Constant-time string comparison (lengths compared on digests' sizes: equal-length buffers only). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function notConfigured(): NotConfigured {
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
const uuid = z.uuid()
const panelQuery = z.looseObject({
  token: z.string().max(4096).optional(),
  companyId: z.string().max(40).optional(),
  selectedIds: z.string().max(200).optional(),
  id: z.string().max(40).optional(),
})

function basicPair(header: string | undefined): { user: string; password: string } | null {
  if (!header?.startsWith('Basic ')) return null
  const plain = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const at = plain.indexOf(':')
  return at > 0 ? { user: plain.slice(0, at), password: plain.slice(at + 1) } : null
}

export function pipedriveRoutes(deps: Deps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { config, crm, logger } = deps
    const { oauth, install } = crm.pipedrive
    const configured = oauth.configured()
    if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie)
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
      if (q.error) {
        throw new BadRequest(
          q.error === 'user_denied'
            ? 'The Pipedrive install was cancelled: the app’s permissions were not accepted. Start again from Pipedrive’s Marketplace or /oauth/pipedrive/install to connect.'
            : `Pipedrive did not authorise the install: ${q.error}`,
          undefined,
          'install_refused',
        )
      }
      if (!q.code) throw new BadRequest('Pipedrive sent no authorisation code', undefined, 'missing_code')
      let state = {}
      if (q.state !== undefined) {
        // A state that is present must be ours, this browser's, fresh and unused.
        const cookie = request.cookies[PIPEDRIVE_STATE_COOKIE]
        if (!cookie)
          throw startAgain(
            'This browser has no install in progress (its install cookie is missing or expired, or the install was started in another browser)',
            'install_not_started',
          )
        if (!safeEqual(cookie, q.state))
          throw startAgain('This install link does not belong to this browser', 'invalid_state')
        const checked = await install.checkState(q.state)
        if (!checked.ok)
          throw startAgain(
            checked.reason === 'used'
              ? 'This install link was already used'
              : 'The install link is invalid or expired',
            checked.reason === 'used' ? 'state_used' : 'invalid_state',
          )
        state = checked.state
        reply.clearCookie(PIPEDRIVE_STATE_COOKIE, { path: CALLBACK_PATH })
      }
      let installed: Awaited<ReturnType<typeof install.completeInstall>>
      try {
        installed = await install.completeInstall(q.code, state)
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
      if (!oauth.isAppBasicAuth(request.headers.authorization, safeEqual)) {
        throw new Unauthorized(
          'Pipedrive uninstall callbacks carry the app’s Basic credentials',
          'unauthorized',
        )
      }
      const body = uninstallBody.parse(request.body ?? {})
      const outcome = await install.uninstall(body.company_id, body.user_id)
      return reply.status(200).send({ ok: true, outcome })
    })

    app.post('/webhooks/pipedrive/:connectionId', async (request, reply) => {
      const { connectionId } = request.params as { connectionId: string }
      const connection = uuid.safeParse(connectionId).success
        ? await findConnectionById(deps.db, 'pipedrive', connectionId)
        : undefined
      // Unknown or uninstalled: acknowledged and dropped (a refusal only makes Pipedrive retry).
      if (connection?.status !== 'active') {
        request.log.info(
          { connectionId, known: !!connection },
          'Pipedrive webhook for no active connection; dropped',
        )
        return reply.status(200).send({ stored: 0, duplicates: 0, dropped: true })
      }
      const expected = webhookCredentials(connection, deps.secretBox)
      const given = basicPair(request.headers.authorization)
      const ok =
        expected !== null &&
        given !== null &&
        // Both compared, whatever the first gives: no early exit to time.
        [safeEqual(given.user, expected.user), safeEqual(given.password, expected.password)].every(Boolean)
      if (!ok) throw new Unauthorized('Missing or wrong webhook credentials', 'unauthorized')
      const parsed = parsePipedriveWebhook(request.body)
      if (!parsed.ok) throw new BadRequest('Not a Pipedrive webhook (v2)', parsed.issues, 'invalid_webhook')
      if (parsed.delivery.meta.company_id !== connection.account_id) {
        throw new BadRequest(
          'This webhook names another Pipedrive company than its connection',
          undefined,
          'wrong_company',
        )
      }
      const result = await crm.deliveries.receive(connection, [
        { key: pipedriveDedupeKey(parsed.delivery), payload: parsed.delivery },
      ])
      return reply.status(200).send(result)
    })

    app.get('/pipedrive/panel', async (request, reply) => {
      const fail = (status: number, title: string, subtitle: string) =>
        reply.status(status).header('cache-control', 'no-store').send(panelError(title, subtitle))
      if (!configured || !config.PIPEDRIVE_CLIENT_SECRET) {
        return fail(
          503,
          'Leadgrid is not configured',
          'Set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET on the Leadgrid server.',
        )
      }
      const q = panelQuery.safeParse(request.query)
      if (!q.success) return fail(400, 'Bad request', 'The panel request is not what Pipedrive sends.')
      let identity: Awaited<ReturnType<typeof verifyPanelToken>>
      try {
        identity = await verifyPanelToken(
          q.data.token,
          config.PIPEDRIVE_CLIENT_SECRET,
          deps.clock.now(),
          q.data.companyId,
        )
      } catch (err) {
        if (err instanceof PanelAuthError) {
          request.log.warn({ reason: err.reason }, 'Pipedrive panel token refused')
          return fail(401, 'Not authorised', 'Reload the page; if this persists, reinstall Leadgrid.')
        }
        throw err
      }
      const personId = (q.data.selectedIds ?? q.data.id ?? '').split(',')[0]?.trim() ?? ''
      if (!/^\d{1,20}$/.test(personId)) return fail(400, 'No person', 'Open the panel from a person’s page.')
      // The panel's settings link signs this user in to the settings page (5-minute token).
      const signIn = await signPipedriveSignInToken(
        config.PIPEDRIVE_CLIENT_SECRET,
        identity,
        deps.clock.now(),
      )
      const answer = await readPanel(
        deps,
        identity.companyId,
        personId,
        `${config.PUBLIC_URL}/app/pipedrive?token=${signIn}`,
      )
      if (!answer) {
        return fail(
          403,
          'Leadgrid is not installed',
          'Install Leadgrid for this Pipedrive company to see scores.',
        )
      }
      return reply.header('cache-control', 'no-store').send(answer)
    })
  }
}

/** Under /api/v1 (workspace API key): an install link that attaches Pipedrive to this workspace. */
export function pipedriveApiRoutes(deps: Deps) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/pipedrive/install-link', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!deps.crm.pipedrive.oauth.configured()) throw notConfigured()
      const token = deps.crm.pipedrive.install.attachToken(request.workspaceId)
      const url = new URL(`${deps.config.PUBLIC_URL}/oauth/pipedrive/install`)
      url.searchParams.set('attach', token)
      return reply
        .header('cache-control', 'no-store')
        .send({ url: url.toString(), expiresInSeconds: STATE_TTL_MS / 1000 })
    })
  }
}
