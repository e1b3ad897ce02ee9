/**
 * HubSpot OAuth for the marketplace app: install URL with a signed, expiring `state`; code exchange and
 * refresh at the v3 token endpoint (parameters in the form body); token introspection to learn the portal
 * (hub) id; the app's own uninstall call. Every base URL comes from config.
 *
 * The SDK still calls /oauth/v1 (deprecated on 2027-02-16), so these calls use fetch directly.
 * Sources: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 *          https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect
 *          https://developers.hubspot.com/docs/api-reference/latest/app-management/app-uninstalls/guide
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import { CrmError } from '../../errors.js'
import { authErrorFromResponse, HubSpotApiError, parseBody } from './errors.js'

/**
 * The least Leadgrid needs. `oauth` is HubSpot's base scope (and the uninstall API's);
 * contacts read is also the gate for every contact webhook subscription; contacts write for the
 * score write-back; schemas read/write to find and create the `leadgrid` property group and properties;
 * companies read for the contact's primary company (`company.*` in grids) and company webhooks.
 * Source: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes
 * Keep in step with project/src/app/app-hsmeta.json: HubSpot rejects an install URL whose scopes differ.
 */
export const HUBSPOT_REQUIRED_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'crm.objects.companies.read',
  // Deals won or lost, for calibration outcomes (their pipelines are readable with it too).
  'crm.objects.deals.read',
] as const

export const STATE_TTL_MS = 10 * 60 * 1000
/** A token call never holds the connection's row lock longer than this. */
const TIMEOUT_MS = 15_000

export interface HubSpotTokens {
  accessToken: string
  refreshToken: string
  /** When the access token expires, from `expires_in` (seconds) — a 401 is not a refresh signal. */
  expiresAt: Date
  /** Present when the token response names it; otherwise learn it with `tokenInfo`. */
  hubId?: string
  scopes?: string[]
}

export interface HubSpotTokenInfo {
  active: boolean
  hubId: string
  appId?: string
  scopes: string[]
}

export interface OAuthState {
  /** Where to send the user after the install (a path under PUBLIC_URL), if anywhere. */
  returnTo?: string
  /** The Leadgrid workspace that started the install, when one did (kept for what comes next). */
  workspaceId?: string
}

/** A verified state: its content, and the nonce and expiry that make it single-use. */
export interface VerifiedState {
  state: OAuthState
  nonce: string
  expiresAt: Date
}

type OAuthConfig = Pick<
  Config,
  | 'HUBSPOT_CLIENT_ID'
  | 'HUBSPOT_CLIENT_SECRET'
  | 'HUBSPOT_API_BASE'
  | 'HUBSPOT_AUTHORIZE_URL'
  | 'PUBLIC_URL'
  | 'SESSION_SECRET'
>

export interface HubSpotOAuthDeps {
  config: OAuthConfig
  clock: Clock
  fetch?: typeof globalThis.fetch
}

export type HubSpotOAuth = ReturnType<typeof createHubSpotOAuth>

export function createHubSpotOAuth({ config, clock, fetch = globalThis.fetch }: HubSpotOAuthDeps) {
  const clientId = config.HUBSPOT_CLIENT_ID
  const clientSecret = config.HUBSPOT_CLIENT_SECRET
  const apiBase = config.HUBSPOT_API_BASE.replace(/\/+$/, '')
  const redirectUri = `${config.PUBLIC_URL}/oauth/hubspot/callback`
  // The install URL of a Marketplace listing: HubSpot sends the code there (install.ts), so
  // it is the redirect URI of that code's exchange and one of the app's redirectUrls.
  const installRedirectUri = `${config.PUBLIC_URL}/oauth/hubspot/install`
  // The state key is derived, so the session secret itself never signs anything visible.
  const stateKey = (() => {
    const secret = config.SESSION_SECRET ?? clientSecret
    if (!secret) return undefined
    return Buffer.from(hkdfSync('sha256', secret, 'leadgrid', 'hubspot-oauth-state', 32))
  })()

  function requireCredentials(): { id: string; secret: string } {
    if (!clientId || !clientSecret) {
      throw new CrmError(
        'HubSpot app is not configured (HUBSPOT_CLIENT_ID / HUBSPOT_CLIENT_SECRET)',
        'hubspot',
        undefined,
        false,
      )
    }
    return { id: clientId, secret: clientSecret }
  }

  function sign(payload: string): string {
    if (!stateKey)
      throw new CrmError('No key to sign the OAuth state (SESSION_SECRET)', 'hubspot', undefined, false)
    return createHmac('sha256', stateKey).update(payload).digest('base64url')
  }

  function createState(state: OAuthState = {}): string {
    const payload = Buffer.from(
      JSON.stringify({
        n: randomBytes(12).toString('base64url'),
        exp: clock.now().getTime() + STATE_TTL_MS,
        ...state,
      }),
    ).toString('base64url')
    return `${payload}.${sign(payload)}`
  }

  /**
   * Returns the state's content with its nonce and expiry, or null when it is forged, malformed or
   * expired. Whether it was used before is the caller's question (the database knows).
   */
  function readState(token: string | undefined): VerifiedState | null {
    if (!token || !stateKey) return null
    const [payload, mac, extra] = token.split('.')
    if (!payload || !mac || extra !== undefined) return null
    const expected = Buffer.from(sign(payload))
    const given = Buffer.from(mac)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
    let parsed: unknown
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      return null // signed by us yet unparsable cannot happen; treat as forged anyway
    }
    if (!parsed || typeof parsed !== 'object') return null
    const { n, exp, returnTo, workspaceId } = parsed as Record<string, unknown>
    if (typeof n !== 'string' || typeof exp !== 'number' || exp < clock.now().getTime()) return null
    return {
      state: {
        ...(typeof returnTo === 'string' ? { returnTo } : {}),
        ...(typeof workspaceId === 'string' ? { workspaceId } : {}),
      },
      nonce: n,
      expiresAt: new Date(exp),
    }
  }

  /** Returns the state's content, or null when it is forged, malformed or expired. */
  function verifyState(token: string | undefined): OAuthState | null {
    return readState(token)?.state ?? null
  }

  function installUrl(state: OAuthState = {}): string {
    const { id } = requireCredentials()
    const url = new URL(config.HUBSPOT_AUTHORIZE_URL)
    url.searchParams.set('client_id', id)
    url.searchParams.set('redirect_uri', redirectUri)
    url.searchParams.set('scope', HUBSPOT_REQUIRED_SCOPES.join(' '))
    url.searchParams.set('state', createState(state))
    return url.toString()
  }

  async function postForm(path: string, form: Record<string, string>): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(`${apiBase}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (err) {
      throw new CrmError(
        `HubSpot token endpoint unreachable: ${(err as Error).message}`,
        'hubspot',
        undefined,
        true,
      )
    }
    const body = parseBody(await res.text())
    if (!res.ok) throw authErrorFromResponse(res.status, body)
    return body
  }

  /** The token endpoint's answer (however it was fetched) as tokens. */
  function toTokens(body: unknown): HubSpotTokens {
    const b = (body ?? {}) as Record<string, unknown>
    const accessToken = b['access_token']
    const refreshToken = b['refresh_token']
    const expiresIn = Number(b['expires_in'])
    if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || !Number.isFinite(expiresIn)) {
      throw new CrmError(
        'HubSpot token response is missing access_token, refresh_token or expires_in',
        'hubspot',
        200,
        false,
      )
    }
    const hub = b['hub_id'] ?? b['hubId']
    const scopes =
      b['scopes'] ?? (typeof b['scope'] === 'string' ? (b['scope'] as string).split(' ') : undefined)
    return {
      accessToken,
      refreshToken,
      expiresAt: new Date(clock.now().getTime() + expiresIn * 1000),
      ...(hub !== undefined && hub !== null ? { hubId: String(hub) } : {}),
      ...(Array.isArray(scopes) ? { scopes: scopes.map(String) } : {}),
    }
  }

  /** `redirect` is the URI the code was sent to: the callback, or the install URL (a listing install). */
  async function exchangeCode(code: string, redirect: string = redirectUri): Promise<HubSpotTokens> {
    const { id, secret } = requireCredentials()
    const body = await postForm('/oauth/v3/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      client_id: id,
      client_secret: secret,
    })
    return toTokens(body)
  }

  /** Throws HubSpotAuthError; `.revoked` is true for BAD_REFRESH_TOKEN / invalid_grant. */
  async function refresh(refreshToken: string): Promise<HubSpotTokens> {
    const { id, secret } = requireCredentials()
    const body = await postForm('/oauth/v3/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: id,
      client_secret: secret,
    })
    const tokens = toTokens(body)
    return tokens
  }

  async function tokenInfo(accessToken: string): Promise<HubSpotTokenInfo> {
    const { id, secret } = requireCredentials()
    const body = (await postForm('/oauth/v3/token/introspect', {
      client_id: id,
      client_secret: secret,
      token: accessToken,
      token_type_hint: 'access_token',
    })) as Record<string, unknown> | undefined
    const hub = body?.['hub_id'] ?? body?.['hubId']
    if (body?.['active'] !== true || hub === undefined || hub === null) {
      throw new CrmError('HubSpot token introspection did not name an active portal', 'hubspot', 200, false)
    }
    const scopes = body['scopes'] ?? body['scope']
    const app = body['app_id'] ?? body['appId']
    return {
      active: true,
      hubId: String(hub),
      ...(app !== undefined && app !== null ? { appId: String(app) } : {}),
      scopes: Array.isArray(scopes)
        ? scopes.map(String)
        : typeof scopes === 'string'
          ? scopes.split(' ')
          : [],
    }
  }

  /** Uninstalls the app from the portal the token belongs to (HubSpot answers 204). */
  async function uninstall(accessToken: string): Promise<void> {
    let res: Response
    try {
      res = await fetch(`${apiBase}/appinstalls/v3/external-install`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (err) {
      throw new CrmError(
        `HubSpot uninstall unreachable: ${(err as Error).message}`,
        'hubspot',
        undefined,
        true,
      )
    }
    if (res.ok) return
    const body = parseBody(await res.text())
    const category =
      typeof body === 'object' && body ? (body as Record<string, unknown>)['category'] : undefined
    throw new HubSpotApiError(
      `HubSpot uninstall answered ${res.status}`,
      res.status,
      res.status === 429 || res.status >= 500,
      undefined,
      typeof category === 'string' ? category : undefined,
      undefined,
    )
  }

  return {
    redirectUri,
    installRedirectUri,
    scopes: HUBSPOT_REQUIRED_SCOPES,
    installUrl,
    createState,
    readState,
    verifyState,
    tokensFromResponse: toTokens,
    exchangeCode,
    refresh,
    tokenInfo,
    uninstall,
  }
}
