/**
 * Pipedrive's token and revocation endpoints (https://pipedrive.readme.io/docs/marketplace-oauth-authorization,
 * https://pipedrive.readme.io/docs/app-uninstallation):
 * `POST {PIPEDRIVE_OAUTH_BASE}/oauth/token` and `/oauth/revoke`, form-encoded, the app's credentials
 * as HTTP Basic.
 * Access tokens live 60 minutes; the refresh token does not rotate and dies after 60 unused days.
 * The answer names the company's API host (`api_domain`) but neither company nor user: those come
 * from `/api/v1/users/me` (client.ts).
 */
import { z } from 'zod'
import type { Clock } from '../../clock.js'
import type { Db } from '../../db/database.js'
import { createSignedStates } from '../signed-state.js'
import { oauthErrorCode, PipedriveAuthError } from './errors.js'

/** How long an install state (and an install link's attach token) is good for. */
export const STATE_TTL_MS = 10 * 60 * 1000

export interface PipedriveInstallState {
  /** The Leadgrid workspace the install was started from: Pipedrive attaches to it. */
  workspaceId?: string
  returnTo?: string
}

export type StateCheck =
  | { ok: true; state: PipedriveInstallState }
  | { ok: false; reason: 'invalid' | 'used' }

export interface PipedriveTokens {
  accessToken: string
  refreshToken: string
  expiresAt: Date
  apiDomain: string
  scopes: string[]
}

export interface PipedriveOAuthConfig {
  clientId: string | undefined
  clientSecret: string | undefined
  oauthBase: string
  redirectUri: string
}

const tokenAnswer = z.object({
  access_token: z.string().min(1).max(4096),
  refresh_token: z.string().min(1).max(4096),
  expires_in: z.number().positive(),
  api_domain: z.url(),
  scope: z.string().optional(),
})

export function createPipedriveOAuth(
  config: PipedriveOAuthConfig,
  deps: { now: () => Date; fetch?: typeof globalThis.fetch },
) {
  const fetch = deps.fetch ?? globalThis.fetch
  const base = config.oauthBase.replace(/\/+$/, '')

  function credentials(): { id: string; secret: string } {
    if (!config.clientId || !config.clientSecret) {
      throw new PipedriveAuthError(
        'Pipedrive is not configured: set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET',
        undefined,
        false,
        'NOT_CONFIGURED',
      )
    }
    return { id: config.clientId, secret: config.clientSecret }
  }

  async function tokenRequest(form: Record<string, string>): Promise<PipedriveTokens> {
    const { id, secret } = credentials()
    let res: Response
    try {
      res = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(15_000),
      })
    } catch (err) {
      throw new PipedriveAuthError(
        `Pipedrive's token endpoint is unreachable: ${(err as Error).message}`,
        undefined,
        true,
        undefined,
      )
    }
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined // an HTML error page: the status decides below
    }
    if (!res.ok) {
      const code = oauthErrorCode(body)
      throw new PipedriveAuthError(
        `Pipedrive refused the token request (${res.status}${code ? ` ${code}` : ''})`,
        res.status,
        res.status >= 500 || res.status === 429,
        code,
      )
    }
    const parsed = tokenAnswer.safeParse(body)
    if (!parsed.success) {
      throw new PipedriveAuthError(
        "Pipedrive's token answer is not what its documentation describes",
        res.status,
        false,
        undefined,
      )
    }
    const t = parsed.data
    return {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: new Date(deps.now().getTime() + t.expires_in * 1000),
      apiDomain: t.api_domain.replace(/\/+$/, ''),
      scopes: t.scope ? t.scope.split(/[\s,]+/).filter(Boolean) : [],
    }
  }

  return {
    configured: () => Boolean(config.clientId && config.clientSecret),

    /** Pipedrive's consent page; there is no scope parameter (scopes are set on the app). */
    authorizeUrl(state: string): string {
      const { id } = credentials()
      const url = new URL(`${base}/oauth/authorize`)
      url.searchParams.set('client_id', id)
      url.searchParams.set('redirect_uri', config.redirectUri)
      url.searchParams.set('state', state)
      return url.toString()
    },

    exchangeCode(code: string): Promise<PipedriveTokens> {
      return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: config.redirectUri })
    },

    refresh(refreshToken: string): Promise<PipedriveTokens> {
      return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken })
    },

    /**
     * Revokes a user's refresh token, which marks the app uninstalled for that user: what Pipedrive
     * requires of an uninstall started on the vendor's side (https://pipedrive.readme.io/docs/app-uninstallation,
     * "Token revocation"): `POST /oauth/revoke` (RFC 7009), form-encoded `token` and
     * `token_type_hint=refresh_token`, the app's credentials as HTTP Basic. 200 also for a token
     * Pipedrive no longer knows (RFC 7009 §2.2), so revoking twice is safe.
     */
    async revoke(refreshToken: string): Promise<void> {
      const { id, secret } = credentials()
      let res: Response
      try {
        res = await fetch(`${base}/oauth/revoke`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }).toString(),
          signal: AbortSignal.timeout(15_000),
        })
      } catch (err) {
        throw new PipedriveAuthError(
          `Pipedrive's revocation endpoint is unreachable: ${(err as Error).message}`,
          undefined,
          true,
          undefined,
        )
      }
      if (res.ok) return
      const code = oauthErrorCode(await res.json().catch(() => undefined))
      throw new PipedriveAuthError(
        `Pipedrive refused the token revocation (${res.status}${code ? ` ${code}` : ''})`,
        res.status,
        res.status >= 500 || res.status === 429,
        // No code: a refused revocation must never read as a token already dead (`revoked`).
        undefined,
      )
    },

    /** Whether an `Authorization: Basic …` header carries this app's credentials (uninstall callback). */
    isAppBasicAuth(header: string | undefined, compare: (a: string, b: string) => boolean): boolean {
      if (!config.clientId || !config.clientSecret || !header?.startsWith('Basic ')) return false
      const expected = Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')
      return compare(header.slice(6).trim(), expected)
    },
  }
}

export type PipedriveOAuth = ReturnType<typeof createPipedriveOAuth>

/**
 * The install's signed tokens (crm/signed-state.ts, a key of their own derived from the session
 * secret): the state carried through Pipedrive's consent page, single use across processes, and the
 * attach token of an install link, which names the workspace to attach to and may be opened again
 * until it expires.
 */
export function createPipedriveInstallStates(deps: { sessionSecret: string; clock: Clock; db: Db }) {
  const states = createSignedStates({
    secret: deps.sessionSecret,
    keyPurpose: 'pipedrive-oauth-state',
    ttlMs: STATE_TTL_MS,
    clock: deps.clock,
    db: deps.db,
  })
  return {
    /** The install link a signed-in workspace hands its user (GET /api/v1/pipedrive/install-link). */
    attachToken: (workspaceId: string) => states.sign('attach', { workspaceId }),

    /** The workspace an attach token names, or null (forged, expired). */
    readAttachToken(token: string): string | null {
      const workspaceId = states.read('attach', token)?.content.workspaceId
      return typeof workspaceId === 'string' ? workspaceId : null
    },

    createState: (state: PipedriveInstallState) => states.sign('state', { ...state }),

    /** Signature, expiry, then single use (the nonce is consumed here). */
    async checkState(token: string): Promise<StateCheck> {
      const consumed = await states.consume('state', token)
      if (!consumed.ok) return consumed
      const { workspaceId, returnTo } = consumed.token.content
      return {
        ok: true,
        state: {
          ...(typeof workspaceId === 'string' ? { workspaceId } : {}),
          ...(typeof returnTo === 'string' ? { returnTo } : {}),
        },
      }
    },
  }
}
