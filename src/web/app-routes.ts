/**
 * The settings page and contact view under /app: the sign-in link, the page shell, its
 * assets (src/web/assets, served as written — no build step) and the ES modules it imports from
 * node_modules (Preact, htm, uPlot), and the page's JSON API under /app/api. `/` and `/app` lead here.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import type { CrmSignIn } from '../crm/provider-module.js'
import { currentSession, registerAppSessions, startSession } from '../sessions/app-session.js'
import { redeemLoginLink } from '../sessions/login-links.js'
import { appApiRoutes } from './app-api-routes.js'
import {
  appShell,
  type Lang,
  languageOf,
  type SignInHints,
  setPageHeaders,
  signedOutPage,
} from './app-page.js'

const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url))
const require = createRequire(import.meta.url)
const packageDir = (entry: string) => dirname(require.resolve(entry))

/** The only files served from node_modules: name in the URL → [directory, file]. */
const VENDOR: Record<string, [string, string]> = {
  'preact.mjs': [packageDir('preact'), 'preact.mjs'],
  'hooks.mjs': [packageDir('preact/hooks'), 'hooks.mjs'],
  'htm.mjs': [packageDir('htm'), 'htm.mjs'],
  'uPlot.esm.js': [join(packageDir('uplot/package.json'), 'dist'), 'uPlot.esm.js'],
  'uPlot.min.css': [join(packageDir('uplot/package.json'), 'dist'), 'uPlot.min.css'],
}

export function appRoutes(deps: AppDeps) {
  const https = deps.config.PUBLIC_URL.startsWith('https:')
  const page = pageWriter(deps)

  return async function register(app: FastifyInstance) {
    app.get('/', async (_request, reply) => reply.redirect('/app/', 302))

    await app.register(
      async (web) => {
        await registerAppSessions(web, deps)
        await web.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', cacheControl: false })
        web.addHook('onSend', async (request, reply) => {
          if (request.url.startsWith('/app/assets/') || request.url.startsWith('/app/vendor/'))
            reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
        })

        web.get<{ Params: { file: string } }>('/vendor/:file', async (request, reply) => {
          const hit = VENDOR[request.params.file]
          if (!hit) return reply.callNotFound()
          return reply.sendFile(hit[1], hit[0])
        })

        // From inside a CRM: each provider's own signed token (its module's sign-in, if any).
        for (const crm of deps.crm.allParts())
          if (crm.signIn) crmSignInRoute(web, crm.connectionsTab.label, crm.signIn, page)

        web.get<{ Querystring: { token?: string; framed?: string } }>('/login', async (request, reply) => {
          const lang = languageOf(request.headers['accept-language'])
          const grant = await redeemLoginLink(deps, request.query.token)
          if (!grant) {
            request.log.warn('refused sign-in link (malformed, unknown, expired or used)')
            return page.refused(reply, lang)
          }
          startSession(request, grant, { framed: request.query.framed === '1', https })
          request.log.info({ workspaceId: grant.workspaceId, role: grant.role }, 'signed in with a link')
          // 303 to a URL without the token, so a reload or the history never shows it again.
          return reply.header('referrer-policy', 'no-referrer').redirect('/app/', 303)
        })

        const shell = async (request: FastifyRequest, reply: FastifyReply) => {
          const lang = languageOf(request.headers['accept-language'])
          if (!currentSession(request))
            return page.headers(reply).send(signedOutPage(lang, undefined, page.hints))
          return page.headers(reply).send(appShell(lang))
        }
        web.route({ method: 'GET', url: '/', prefixTrailingSlash: 'slash', handler: shell })
        // /app without the slash: relative asset URLs and the cookie path both want /app/.
        web.get('', async (_request, reply) => reply.redirect('/app/', 302))

        await web.register(appApiRoutes(deps), { prefix: '/api' })
      },
      { prefix: '/app' },
    )
  }
}

/** The page's headers and signed-out answers, with what the registered CRMs add to them. */
function pageWriter(deps: Pick<AppDeps, 'crm' | 'config'>) {
  const parts = deps.crm.allParts()
  const crmHosts = parts.flatMap((p) => p.frameAncestors)
  const hints: SignInHints = parts.flatMap((p) => (p.signInHint ? [p.signInHint] : []))
  const headers = (reply: FastifyReply) => setPageHeaders(reply, crmHosts)
  return {
    https: deps.config.PUBLIC_URL.startsWith('https:'),
    headers,
    hints,
    refused: (reply: FastifyReply, lang: Lang) =>
      headers(reply)
        .status(401)
        .send(signedOutPage(lang, 'invalid_link', hints)),
  }
}

/** `GET /app/<path>?token=…`: a session from a token the CRM signed, then the page without the token. */
function crmSignInRoute(
  web: FastifyInstance,
  label: string,
  signIn: CrmSignIn,
  page: ReturnType<typeof pageWriter>,
): void {
  web.get<{ Querystring: { token?: string; framed?: string } }>(signIn.path, async (request, reply) => {
    const lang = languageOf(request.headers['accept-language'])
    const grant = await signIn.grant(request.query.token)
    if (!grant) {
      request.log.warn(`refused ${label} sign-in token (missing, forged, expired or not installed)`)
      return page.refused(reply, lang)
    }
    startSession(request, grant, { framed: request.query.framed === '1', https: page.https })
    request.log.info({ workspaceId: grant.workspaceId, role: grant.role }, `signed in from ${label}`)
    return reply.header('referrer-policy', 'no-referrer').redirect('/app/', 303)
  })
}
