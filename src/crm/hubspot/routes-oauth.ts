/**
 * The HubSpot install: GET /oauth/hubspot/install and GET /oauth/hubspot/callback.
 *
 * Two ways in. An install from Leadgrid's Marketplace listing arrives at the install URL with
 * HubSpot's `code` and `returnUrl` (install.ts: single-use code, HubSpot-only returnUrl).
 * An install started from Leadgrid (no code) runs the authorization-code flow below, protected by
 * the state cookie and a single-use signed state.
 *
 * The authorization-code flow runs on @fastify/oauth2: it builds the authorize URL (our
 * HUBSPOT_AUTHORIZE_URL), sets the state cookie that binds the state to the browser that started
 * the install, checks it on the way back and clears it, and exchanges the code at HubSpot's v3
 * token endpoint (HUBSPOT_API_BASE + /oauth/v3/token, client id and secret in the form body as v3
 * requires). What the plugin cannot do, done here and why:
 *  - Single use: its cookie is cleared after a callback, but a copied URL plus the cookie value (or
 *    a second tab racing) still passes its check, and another web process knows nothing of it. So
 *    our `checkStateFunction` also records the state's nonce in the database (migrations/002) and
 *    refuses a nonce seen before, on every process.
 *  - A signed, expiring state that carries content (returnTo; later the workspace that started the
 *    install): its default state is a bare random string, so `generateStateFunction` returns ours
 *    (oauth.ts), checked for signature and expiry as well as against the cookie.
 *  - A clear 400 per failure (no cookie / not this browser / used / expired): its default check only
 *    says "Invalid state", so our check throws our own errors.
 *  - Refreshing tokens: that happens in workers, outside any request, so oauth.ts keeps its own call.
 *
 * Connecting another portal to an existing workspace ("connect another CRM" on the settings page):
 * an admin's session asks POST /app/api/connections/hubspot/install-link, which answers
 * `/oauth/hubspot/install?attach=<ticket>` and sets the same ticket in a cookie limited to this path
 * (the session cookie, path /app, never reaches /oauth). The ticket is a signed state naming the
 * workspace; the install accepts it only from the browser holding that cookie, unexpired, once, and
 * carries the workspace into the install's own signed state, so the callback attaches the new portal
 * to that workspace instead of creating one. Without it, an install creates (or finds) the portal's
 * own workspace as before.
 */
import fastifyOAuth2, { type OAuth2Namespace, type OAuth2Token } from '@fastify/oauth2'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { consumeOAuthStateNonce } from '../../db/oauth-state-repository.js'
import { BadRequest, CrmError, NotConfigured } from '../../errors.js'
import type { CrmModuleDeps } from '../provider-module.js'
import { authErrorFromResponse } from './errors.js'
import { type HubSpotInstallService, listingInstallQuery } from './install.js'
import { type HubSpotOAuth, type OAuthState, STATE_TTL_MS } from './oauth.js'

type Deps = Pick<CrmModuleDeps, 'config' | 'db' | 'clock'> & {
  crm: { hubspot: { oauth: HubSpotOAuth; install: HubSpotInstallService } }
}

export const OAUTH_STATE_COOKIE = 'leadgrid_hubspot_oauth_state'
/** Set by the settings page's install-link call; read by the install only (see the header). */
export const ATTACH_COOKIE = 'leadgrid_hubspot_attach'
export const INSTALL_PATH = '/oauth/hubspot/install'
const CALLBACK_PATH = '/oauth/hubspot/callback'
/** HubSpot's v3 token endpoint (all parameters in the form body); see oauth.ts. */
const TOKEN_PATH = '/oauth/v3/token'

declare module 'fastify' {
  interface FastifyRequest {
    hubspotInstallState?: OAuthState
    /** The workspace a verified attach ticket names (set by the install route for the state). */
    hubspotAttachWorkspace?: string
  }
}

const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().max(2048).optional(),
  error: z.string().max(200).optional(),
})

function notConfigured(): NotConfigured {
  return new NotConfigured(
    'HubSpot is not configured on this server: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (your HubSpot app’s credentials) and restart',
    'hubspot_not_configured',
  )
}

const startAgain = (why: string, code: string) =>
  new BadRequest(`${why}; start the install again from /oauth/hubspot/install`, undefined, code)

/** A token endpoint failure from the plugin's HTTP client (wreck: Boom errors) as our CrmError. */
function tokenError(err: unknown): CrmError {
  const e = err as { data?: { isResponseError?: boolean; payload?: unknown; res?: { statusCode?: number } } }
  const status = e.data?.res?.statusCode
  if (e.data?.isResponseError && status) {
    const payload = Buffer.isBuffer(e.data.payload) ? e.data.payload.toString('utf8') : e.data.payload
    return authErrorFromResponse(status, payload)
  }
  return new CrmError(
    `HubSpot token endpoint unreachable: ${(err as Error).message}`,
    'hubspot',
    undefined,
    true,
  )
}

export function hubspotOAuthRoutes(deps: Deps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const hs = deps.crm.hubspot
    const { config } = deps
    const configured = Boolean(config.HUBSPOT_CLIENT_ID && config.HUBSPOT_CLIENT_SECRET)
    let oauth2: OAuth2Namespace | undefined

    if (configured) {
      const authorize = new URL(config.HUBSPOT_AUTHORIZE_URL)
      const api = new URL(config.HUBSPOT_API_BASE)
      const scoped = app as FastifyInstance & { hubspotOAuth2?: OAuth2Namespace }
      await app.register(fastifyOAuth2, {
        name: 'hubspotOAuth2',
        scope: [...hs.oauth.scopes],
        credentials: {
          client: { id: config.HUBSPOT_CLIENT_ID!, secret: config.HUBSPOT_CLIENT_SECRET! },
          auth: {
            authorizeHost: authorize.origin,
            authorizePath: authorize.pathname,
            tokenHost: api.origin,
            // The API base may carry a path (a proxy, a stand-in); keep it in front of the endpoint.
            tokenPath: `${api.pathname.replace(/\/+$/, '')}${TOKEN_PATH}`,
          },
          options: { authorizationMethod: 'body', bodyFormat: 'form' },
          http: { timeout: 15_000 },
        },
        callbackUri: hs.oauth.redirectUri,
        userAgent: 'leadgrid',
        redirectStateCookieName: OAUTH_STATE_COOKIE,
        cookie: {
          // Only the callback needs it; gone after the state's 10 minutes; never readable by scripts;
          // Lax: sent on HubSpot's top-level redirect back, not on cross-site subrequests.
          path: CALLBACK_PATH,
          maxAge: STATE_TTL_MS / 1000,
          httpOnly: true,
          sameSite: 'lax',
          secure: config.PUBLIC_URL.startsWith('https:'),
        },
        generateStateFunction: (request: FastifyRequest) =>
          request.hubspotAttachWorkspace
            ? hs.oauth.createState({
                returnTo: '/app/#connections',
                workspaceId: request.hubspotAttachWorkspace,
              })
            : hs.oauth.createState({ returnTo: '/app/' }),
        checkStateFunction: async (request: FastifyRequest) => {
          const { state } = callbackQuery.parse(request.query)
          const cookie = request.cookies[OAUTH_STATE_COOKIE]
          if (!cookie)
            throw startAgain(
              'This browser has no install in progress (its install cookie is missing or expired, or the install was started in another browser)',
              'install_not_started',
            )
          if (!state || cookie !== state)
            throw startAgain('This install link does not belong to this browser', 'invalid_state')
          const verified = hs.oauth.readState(state)
          if (!verified) throw startAgain('The install link is invalid or expired', 'invalid_state')
          const first = await consumeOAuthStateNonce(
            deps.db,
            verified.nonce,
            verified.expiresAt,
            deps.clock.now(),
          )
          if (!first) throw startAgain('This install link was already used', 'state_used')
          request.hubspotInstallState = verified.state
          return true
        },
      })
      oauth2 = scoped.hubspotOAuth2
    }

    app.get(INSTALL_PATH, async (request, reply) => {
      if (!oauth2) throw notConfigured()
      reply.header('cache-control', 'no-store')
      const q = request.query as Record<string, unknown>
      if (q['code'] !== undefined || q['returnUrl'] !== undefined || q['step'] !== undefined) {
        const returnUrl = await hs.install.completeListingInstall(listingInstallQuery.parse(q))
        return reply.redirect(returnUrl, 302)
      }
      const { attach } = z.object({ attach: z.string().max(2048).optional() }).parse(request.query)
      if (attach !== undefined) {
        const invalid = new BadRequest(
          'This "connect another CRM" link is invalid, expired, already used or was opened in another browser; open it again from the Connections tab of the settings page',
          undefined,
          'invalid_attach',
        )
        const verified = hs.oauth.readState(attach)
        if (request.cookies[ATTACH_COOKIE] !== attach || !verified?.state.workspaceId) throw invalid
        const first = await consumeOAuthStateNonce(
          deps.db,
          verified.nonce,
          verified.expiresAt,
          deps.clock.now(),
        )
        if (!first) throw invalid
        request.hubspotAttachWorkspace = verified.state.workspaceId
        reply.clearCookie(ATTACH_COOKIE, { path: INSTALL_PATH })
      }
      const url = await oauth2.generateAuthorizationUri(request, reply)
      return reply.header('cache-control', 'no-store').redirect(url, 302)
    })

    app.get(CALLBACK_PATH, async (request, reply) => {
      const q = callbackQuery.parse(request.query)
      if (!oauth2) throw notConfigured()
      reply.header('cache-control', 'no-store')
      if (q.error)
        throw new BadRequest(
          `HubSpot did not authorise the install: ${q.error}`,
          undefined,
          'install_refused',
        )
      if (!q.code) throw new BadRequest('HubSpot sent no authorisation code', undefined, 'missing_code')
      // Checks the cookie and the state (checkStateFunction above), clears the cookie, exchanges the code.
      let token: OAuth2Token
      try {
        token = await oauth2.getAccessTokenFromAuthorizationCodeFlow(request, reply)
      } catch (err) {
        if (err instanceof BadRequest) throw err
        const crm = tokenError(err)
        if (!crm.retryable) {
          // A used, expired or foreign code (a reload of this page, the back button).
          throw new BadRequest(
            'HubSpot refused this authorisation code (already used or expired); start the install again',
            undefined,
            'install_failed',
          )
        }
        throw crm
      }
      let installed: Awaited<ReturnType<typeof hs.install.completeInstall>>
      try {
        installed = await hs.install.completeInstall(
          hs.oauth.tokensFromResponse(token.token),
          request.hubspotInstallState?.workspaceId
            ? { workspaceId: request.hubspotInstallState.workspaceId }
            : {},
        )
      } catch (err) {
        if (err instanceof CrmError && !err.retryable) {
          throw new BadRequest(
            'HubSpot refused this authorisation code (already used or expired); start the install again',
            undefined,
            'install_failed',
          )
        }
        throw err
      }
      const state = request.hubspotInstallState ?? {}
      const target = new URL(`${config.PUBLIC_URL}${state.returnTo ?? '/app/'}`)
      target.searchParams.set('installed', 'hubspot')
      target.searchParams.set('portalId', installed.portalId)
      return reply.redirect(target.toString(), 302)
    })
  }
}
