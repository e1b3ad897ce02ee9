/**
 * Sessions of the settings page: an encrypted cookie (@fastify/secure-session, keyed from the
 * deployment's SESSION_SECRET) holding { workspace, role, actor } — one workspace per session —
 * and CSRF tokens (@fastify/csrf-protection) checked on every write.
 *
 * Registered inside the /app plugin only, so it cannot clash with another plugin that registers
 * @fastify/cookie elsewhere (secure-session reuses @fastify/cookie when the scope already has it).
 */
import { hkdfSync } from 'node:crypto'
import csrfProtection from '@fastify/csrf-protection'
import secureSession from '@fastify/secure-session'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { AppRole } from '../db/login-token-repository.js'
import { Forbidden, Unauthorized } from '../errors.js'

export const SESSION_COOKIE = 'leadgrid_session'
/** A working day; a new link is a click away in the CRM or a command away in a terminal. */
export const SESSION_TTL_SECONDS = 8 * 3600

export interface AppSession {
  workspaceId: string
  role: AppRole
  actor: string
}

declare module '@fastify/secure-session' {
  interface SessionData {
    ws: string
    role: AppRole
    actor: string
    framed: boolean
  }
}

/** A key of its own for the cookie, derived from SESSION_SECRET (which may serve other purposes). */
function sessionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'leadgrid', 'leadgrid app session cookie v1', 32))
}

export async function registerAppSessions(
  app: FastifyInstance,
  deps: { sessionSecret: string; config: Pick<Config, 'PUBLIC_URL'> },
): Promise<void> {
  const https = deps.config.PUBLIC_URL.startsWith('https:')
  await app.register(secureSession, {
    key: sessionKey(deps.sessionSecret),
    cookieName: SESSION_COOKIE,
    expiry: SESSION_TTL_SECONDS,
    cookie: {
      path: '/app',
      httpOnly: true,
      secure: https,
      // Lax: a top-level visit from a CRM (a new tab) carries the cookie, a cross-site POST does not.
      // A framed sign-in (login?framed=1 over https) switches its own cookie to SameSite=None.
      sameSite: 'lax',
      maxAge: SESSION_TTL_SECONDS,
    },
  })
  await app.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' })
}

/** Starts a session for what a redeemed link grants (a fresh cookie: no fixation from before). */
export function startSession(
  request: FastifyRequest,
  grant: AppSession,
  options: { framed: boolean; https: boolean },
): void {
  request.session.regenerate()
  request.session.set('ws', grant.workspaceId)
  request.session.set('role', grant.role)
  request.session.set('actor', grant.actor)
  if (options.framed && options.https) {
    // Inside a CRM iframe the page is third-party: only SameSite=None; Secure reaches it.
    request.session.set('framed', true)
    request.session.options({ sameSite: 'none', secure: true, path: '/app', httpOnly: true })
  }
}

export function currentSession(request: FastifyRequest): AppSession | null {
  const ws = request.session?.get('ws')
  const role = request.session?.get('role')
  const actor = request.session?.get('actor')
  if (!ws || (role !== 'admin' && role !== 'viewer')) return null
  return { workspaceId: ws, role, actor: actor ?? role }
}

/** onRequest hooks for the page's JSON API: a session is required, and writes need a CSRF token. */
export function guardAppApi(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!currentSession(request))
      throw new Unauthorized(
        'Sign in with a sign-in link first (your session is missing or expired)',
        'no_session',
      )
  })
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done()
    // On a bad token the plugin answers 403 itself (reply.send of its error) and stops the request.
    app.csrfProtection(request, reply, done)
  })
}

export function sessionOf(request: FastifyRequest): AppSession {
  const s = currentSession(request)
  if (!s) throw new Unauthorized('Sign in with a sign-in link first', 'no_session')
  return s
}

/** Editing, publishing and rolling back are for admins; viewers read. */
export function requireAdmin(request: FastifyRequest): AppSession {
  const s = sessionOf(request)
  if (s.role !== 'admin')
    throw new Forbidden(
      'Viewers can read the grid and contacts; ask an admin to change or publish it',
      'admin_only',
    )
  return s
}
