/**
 * HubSpot OAuth for the marketplace app: the install URL with a signed, expiring, single-use `state`
 * (../signed-state.ts); code exchange and refresh at the v3 token endpoint (parameters in the form
 * body); token introspection to learn the portal (hub) id; the app's own uninstall call. Every base
 * URL comes from config.
 *
 * The SDK still calls /oauth/v1 (deprecated on 2027-02-16), so these calls use fetch directly.
 * Sources: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 *          https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect
 *          https://developers.hubspot.com/docs/api-reference/latest/app-management/app-uninstalls/guide
 */
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type { Db } from '../../db/database.js'
import { CrmError } from '../../errors.js'
import { createSignedStates, type SignedStateContent } from '../signed-state.js'
import { authErrorFromResponse, bodyField, HubSpotApiError, parseBody } from './errors.js'

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
/** The one kind of signed state HubSpot's install uses (the install's own, and the attach ticket). */
const STATE_KIND = 'hubspot-install'

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

export type StateCheck = { ok: true; state: OAuthState } | { ok: false; reason: 'invalid' | 'used' }

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
  /** Where a used state's nonce is recorded, so a state is refused on every process once used. */
  db: Db
  fetch?: typeof globalThis.fetch
}

export type HubSpotOAuth = ReturnType<typeof createHubSpotOAuth>

export function createHubSpotOAuth({ config, clock, db, fetch = globalThis.fetch }: HubSpotOAuthDeps) {
  const redirectUri = `${config.PUBLIC_URL}/oauth/hubspot/callback`
  const tokens = hubspotTokenEndpoint({ config, clock, fetch })
  const states = createSignedStates({
    secret: config.SESSION_SECRET ?? config.HUBSPOT_CLIENT_SECRET,
    keyPurpose: 'hubspot-oauth-state',
    ttlMs: STATE_TTL_MS,
    clock,
    db,
  })

  const createState = (state: OAuthState = {}): string => states.sign(STATE_KIND, { ...state })

  /**
   * Returns the state's content with its nonce and expiry, or null when it is forged, malformed or
   * expired. Whether it was used before is `consumeState`'s question (the database knows).
   */
  function readState(token: string | undefined): VerifiedState | null {
    const read = states.read(STATE_KIND, token)
    return read ? verified(read) : null
  }

  return {
    redirectUri,
    // The install URL of a Marketplace listing: HubSpot sends the code there (install.ts), so it is
    // the redirect URI of that code's exchange and one of the app's redirectUrls.
    installRedirectUri: `${config.PUBLIC_URL}/oauth/hubspot/install`,
    scopes: HUBSPOT_REQUIRED_SCOPES,
    installUrl(state: OAuthState = {}): string {
      const url = new URL(config.HUBSPOT_AUTHORIZE_URL)
      url.searchParams.set('client_id', tokens.credentials().id)
      url.searchParams.set('redirect_uri', redirectUri)
      url.searchParams.set('scope', HUBSPOT_REQUIRED_SCOPES.join(' '))
      url.searchParams.set('state', createState(state))
      return url.toString()
    },
    createState,
    readState,
    /** Returns the state's content, or null when it is forged, malformed or expired. */
    verifyState: (token: string | undefined): OAuthState | null => readState(token)?.state ?? null,
    /** Signature and expiry, then single use: the state's nonce is recorded, a second use is `used`. */
    async consumeState(token: string | undefined): Promise<StateCheck> {
      const result = await states.consume(STATE_KIND, token)
      return result.ok ? { ok: true, state: verified(result.token).state } : result
    },
    tokensFromResponse: tokens.toTokens,
    /** `redirect` is the URI the code was sent to: the callback, or the install URL (a listing install). */
    exchangeCode: (code: string, redirect: string = redirectUri) => tokens.exchangeCode(code, redirect),
    /** Throws HubSpotAuthError; `.revoked` is true for BAD_REFRESH_TOKEN / invalid_grant. */
    refresh: tokens.refresh,
    tokenInfo: tokens.tokenInfo,
    /** Uninstalls the app from the portal the token belongs to (HubSpot answers 204). */
    uninstall: (accessToken: string) => uninstallApp(fetch, config.HUBSPOT_API_BASE, accessToken),
  }
}

/** Only the fields Leadgrid signs are read back, and only as strings. */
function verified(token: SignedStateContent): VerifiedState {
  const { returnTo, workspaceId } = token.content
  return {
    state: {
      ...(typeof returnTo === 'string' ? { returnTo } : {}),
      ...(typeof workspaceId === 'string' ? { workspaceId } : {}),
    },
    nonce: token.nonce,
    expiresAt: token.expiresAt,
  }
}

/** HubSpot's v3 token endpoint: code exchange, refresh and introspection, all form-encoded. */
function hubspotTokenEndpoint(deps: {
  config: OAuthConfig
  clock: Pick<Clock, 'now'>
  fetch: typeof globalThis.fetch
}) {
  const { config, clock } = deps
  const apiBase = config.HUBSPOT_API_BASE.replace(/\/+$/, '')

  function credentials(): { id: string; secret: string } {
    const id = config.HUBSPOT_CLIENT_ID
    const secret = config.HUBSPOT_CLIENT_SECRET
    if (!id || !secret) {
      throw new CrmError(
        'HubSpot app is not configured (HUBSPOT_CLIENT_ID / HUBSPOT_CLIENT_SECRET)',
        'hubspot',
        undefined,
        false,
      )
    }
    return { id, secret }
  }

  /** Every token call carries the app's credentials in the form body, as v3 requires. */
  function post(path: string, form: Record<string, string>): Promise<unknown> {
    const { id, secret } = credentials()
    return postForm(deps.fetch, `${apiBase}${path}`, { ...form, client_id: id, client_secret: secret })
  }
  const toTokens = (body: unknown) => tokensFromBody(body, clock.now())

  return {
    credentials,
    toTokens,
    exchangeCode: async (code: string, redirect: string): Promise<HubSpotTokens> =>
      toTokens(
        await post('/oauth/v3/token', { grant_type: 'authorization_code', code, redirect_uri: redirect }),
      ),
    refresh: async (refreshToken: string): Promise<HubSpotTokens> =>
      toTokens(await post('/oauth/v3/token', { grant_type: 'refresh_token', refresh_token: refreshToken })),
    async tokenInfo(accessToken: string): Promise<HubSpotTokenInfo> {
      const form = { token: accessToken, token_type_hint: 'access_token' }
      return tokenInfoFromBody(
        (await post('/oauth/v3/token/introspect', form)) as Record<string, unknown> | undefined,
      )
    },
  }
}

async function postForm(
  fetch: typeof globalThis.fetch,
  url: string,
  form: Record<string, string>,
): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
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
function tokensFromBody(body: unknown, now: Date): HubSpotTokens {
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
  const scopes = b['scopes'] ?? (typeof b['scope'] === 'string' ? b['scope'].split(' ') : undefined)
  return {
    accessToken,
    refreshToken,
    expiresAt: new Date(now.getTime() + expiresIn * 1000),
    ...(hub !== undefined && hub !== null ? { hubId: String(hub) } : {}),
    ...(Array.isArray(scopes) ? { scopes: scopes.map(String) } : {}),
  }
}

function tokenInfoFromBody(body: Record<string, unknown> | undefined): HubSpotTokenInfo {
  const hub = body?.['hub_id'] ?? body?.['hubId']
  if (body?.['active'] !== true || hub === undefined || hub === null) {
    throw new CrmError('HubSpot token introspection did not name an active portal', 'hubspot', 200, false)
  }
  const app = body['app_id'] ?? body['appId']
  return {
    active: true,
    hubId: String(hub),
    ...(app !== undefined && app !== null ? { appId: String(app) } : {}),
    scopes: scopeList(body['scopes'] ?? body['scope']),
  }
}

/** HubSpot names scopes as a list, or as one space-separated string. */
function scopeList(scopes: unknown): string[] {
  if (Array.isArray(scopes)) return scopes.map(String)
  return typeof scopes === 'string' ? scopes.split(' ') : []
}

async function uninstallApp(fetch: typeof globalThis.fetch, apiBase: string, accessToken: string) {
  let res: Response
  try {
    res = await fetch(`${apiBase.replace(/\/+$/, '')}/appinstalls/v3/external-install`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (err) {
    throw new CrmError(`HubSpot uninstall unreachable: ${(err as Error).message}`, 'hubspot', undefined, true)
  }
  if (res.ok) return
  const body = parseBody(await res.text())
  throw new HubSpotApiError(
    `HubSpot uninstall answered ${res.status}`,
    res.status,
    res.status === 429 || res.status >= 500,
    undefined,
    bodyField(body, 'category'),
    undefined,
  )
}
