/**
 * The one call path to HubSpot for one connection (one portal), over `@hubspot/api-client`: the
 * access token, the portal's limiter, retries and typed errors. Each API area is built on it in a
 * file of its own (client-contacts.ts, client-companies.ts, client-properties.ts, client-deals.ts).
 *
 * - Every call waits for the portal's own rate-limit window (see rate-limits.ts); the SDK's global
 *   limiter and retry decorator are left off (no `limiterOptions`, no `numberOfApiCallRetries`).
 * - 429: waits as HubSpot says (`Retry-After`, else `X-HubSpot-RateLimit-Interval-Milliseconds`, else the
 *   policy's window) and pauses the whole portal; DAILY is not retried here.
 * - 5xx, 423 and network failures: retried with exponential backoff and jitter (../retry.ts).
 * - What still fails is a typed HubSpotApiError (a CrmError) with `retryable` and `retryAfterMs`.
 * Sources: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
 */
import { Client } from '@hubspot/api-client'
import type { RateLimiter } from '../rate-limiter.js'
import { backoffDelay, type RetryPolicy, realSleep, retryPolicy } from '../retry.js'
import { bodyField, HubSpotApiError, parseBody } from './errors.js'
import type { HubSpotRateLimits, PortalLimiters } from './rate-limits.js'

/** HubSpot batch endpoints take at most 100 inputs per call. */
export const BATCH_LIMIT = 100

export interface HubSpotClientDeps {
  portalId: string
  apiBase: string
  /** Returns a valid access token (the caller refreshes ahead of expiry). */
  accessToken: () => Promise<string> | string
  limits: HubSpotRateLimits
  retry?: Partial<RetryPolicy>
  sleep?: (ms: number) => Promise<void>
  random?: () => number
}

/** The options every SDK call is given: the middleware that keeps the raw error answer. */
export type CallOptions = { middleware: unknown[]; middlewareMergeStrategy: 'append' }

/** One SDK request, as the areas write it: `(sdk, options) => sdk.crm….somethingWithHttpInfo(…, options)`. */
export type SdkRequest<T> = (
  sdk: Client,
  options: CallOptions,
) => Promise<{ httpStatusCode: number; headers: Record<string, string>; data: T }>

/** The call path every API area goes through (limiter, retries, errors). */
interface HubSpotCallPath {
  portalId: string
  limiters: PortalLimiters
  /** Null only for a 404 with `notFoundAsNull`. */
  call<T>(
    op: string,
    limiter: RateLimiter,
    run: SdkRequest<T>,
    opts?: { notFoundAsNull?: boolean },
  ): Promise<T | null>
  /** The SDK client with the current token (rebuilt when the token changes). */
  sdk(): Promise<Client>
}

interface Captured {
  status?: number
  headers: Record<string, string>
  body?: unknown
}

/** What a failed attempt answered: its status (undefined: HubSpot was not reached), headers and body. */
interface Failure {
  status: number | undefined
  headers: Record<string, string>
  body: unknown
  message: string
}

/** What to do after a failed attempt: pause the portal, sleep, and/or give up with `error`. */
interface Verdict {
  pauseMs?: number
  sleepMs?: number
  error?: HubSpotApiError
}

/** The per-call SDK middleware that keeps the raw error body (the SDK's model drops `policyName`). */
function captureMiddleware(captured: Captured) {
  return {
    pre: async (ctx: unknown) => ctx,
    post: async (ctx: unknown) => {
      const res = ctx as {
        httpStatusCode: number
        headers: Record<string, string>
        body: { text(): Promise<string>; binary(): Promise<Buffer> }
      }
      captured.status = res.httpStatusCode
      captured.headers = res.headers
      if (res.httpStatusCode >= 400) {
        const text = await res.body.text()
        captured.body = parseBody(text)
        res.body = { text: async () => text, binary: async () => Buffer.from(text) }
      }
      return res
    },
  }
}

function numberHeader(headers: Record<string, string>, name: string): number | undefined {
  const hit = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const v = hit === undefined ? undefined : headers[hit]
  const n = v === undefined ? Number.NaN : Number(v)
  return Number.isFinite(n) ? n : undefined
}

function failureOf(err: unknown, captured: Captured): Failure {
  const e = err as { code?: unknown; headers?: Record<string, string>; body?: unknown; message?: string }
  return {
    status: captured.status ?? (typeof e.code === 'number' ? e.code : undefined),
    // A plain JSON request (jsonRequest) has no SDK middleware: its answer's headers come on the error.
    headers: captured.status !== undefined ? captured.headers : (e.headers ?? {}),
    body: captured.body ?? e.body,
    message: String(e.message),
  }
}

/** A 429: the daily budget is spent (given up), or the burst window is full (pause, then retry). */
function afterRateLimit(op: string, f: Failure, last: boolean, searchWindow: boolean): Verdict {
  const policy = bodyField(f.body, 'policyName')
  if (policy === 'DAILY') {
    const category = bodyField(f.body, 'category')
    return {
      error: new HubSpotApiError(
        `${op}: HubSpot daily limit reached`,
        429,
        true,
        3_600_000,
        category,
        policy,
      ),
    }
  }
  const retryAfterS = numberHeader(f.headers, 'retry-after')
  const wait =
    retryAfterS !== undefined
      ? retryAfterS * 1000
      : (numberHeader(f.headers, 'x-hubspot-ratelimit-interval-milliseconds') ??
        (searchWindow || policy === 'SECONDLY' ? 1_000 : 10_000))
  if (!last) return { pauseMs: wait }
  const message = `${op}: HubSpot rate limit (${policy ?? 'unknown policy'})`
  return { pauseMs: wait, error: new HubSpotApiError(message, 429, true, wait, 'RATE_LIMITS', policy) }
}

/** Decides what follows a failed attempt `attempt` (0-based) of a call. */
function afterFailure(
  op: string,
  f: Failure,
  ctx: { attempt: number; policy: RetryPolicy; random: () => number; searchWindow: boolean },
): Verdict {
  const last = ctx.attempt + 1 >= ctx.policy.maxAttempts
  if (f.status === 429) return afterRateLimit(op, f, last, ctx.searchWindow)
  const category = bodyField(f.body, 'category')
  const transient = f.status === undefined || f.status >= 500 || f.status === 423
  if (!transient) {
    const message = `${op}: HubSpot answered ${f.status}${category ? ` (${category})` : ''}`
    return { error: new HubSpotApiError(message, f.status, false, undefined, category, undefined) }
  }
  const backoff = backoffDelay(ctx.policy, ctx.attempt, ctx.random)
  if (last) {
    const what = f.status === undefined ? `unreachable (${f.message})` : `answered ${f.status}`
    return {
      error: new HubSpotApiError(`${op}: HubSpot ${what}`, f.status, true, backoff, category, undefined),
    }
  }
  // 423 Locked: HubSpot asks for at least 2 s before retrying.
  return { sleepMs: f.status === 423 ? Math.max(2_000, backoff) : backoff }
}

function createCallPath(deps: HubSpotClientDeps): HubSpotCallPath {
  const { portalId } = deps
  const apiBase = deps.apiBase.replace(/\/+$/, '')
  const sleep = deps.sleep ?? realSleep
  const random = deps.random ?? Math.random
  const policy = retryPolicy(deps.retry)
  const limiters = deps.limits.forPortal(portalId)
  let client: Client | undefined
  let clientToken: string | undefined

  async function sdk(): Promise<Client> {
    const token = await deps.accessToken()
    if (!client || token !== clientToken) {
      // No limiterOptions / numberOfApiCallRetries: those are process-global in the SDK.
      client = new Client({ accessToken: token, basePath: apiBase })
      clientToken = token
    }
    return client
  }

  async function call<T>(
    op: string,
    limiter: RateLimiter,
    run: SdkRequest<T>,
    opts: { notFoundAsNull?: boolean } = {},
  ): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const captured: Captured = { headers: {} }
      // Outside the try: a token failure (revoked, connection inactive) is not a transient HTTP error.
      // Before the limiter: the slot's time is then the request's, not the token lookup's, so the
      // window HubSpot counts (arrivals) matches the limiter's even when a lookup is slow.
      const client = await sdk()
      await limiter.acquire()
      try {
        const res = await run(client, {
          middleware: [captureMiddleware(captured)],
          middlewareMergeStrategy: 'append',
        })
        // `x-hubspot-ratelimit-remaining: 0` is not turned into a pause: HubSpot's window rolls
        // (TEN_SECONDLY_ROLLING), so it only says the window is full now, and the limiter already waits
        // exactly until its oldest request leaves it. Pausing a whole interval on top idled the portal
        // up to 10 s in every window once the flush kept up with the budget. A 429 still pauses.
        return res.data
      } catch (err) {
        const failure = failureOf(err, captured)
        if (failure.status === 404 && opts.notFoundAsNull) return null
        const searchWindow = limiter === limiters.search
        const verdict = afterFailure(op, failure, { attempt, policy, random, searchWindow })
        if (verdict.pauseMs !== undefined) limiter.pauseFor(verdict.pauseMs)
        if (verdict.error) throw verdict.error
        if (verdict.sleepMs !== undefined) await sleep(verdict.sleepMs)
      }
    }
  }

  return { portalId, limiters, call, sdk }
}

/**
 * One JSON call the SDK has no typed method Leadgrid uses for (deal pipelines, deals, deal→contact
 * associations: client-deals.ts), through the portal's limiter and the same retries.
 */
function jsonRequest(path: HubSpotCallPath) {
  return (op: string, method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> =>
    path.call(op, path.limiters.api, async (c) => {
      const res = await c.apiRequest({ method, path: url, ...(body === undefined ? {} : { body }) })
      const headers: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        headers[name] = value
      })
      const text = await res.text()
      if (!res.ok)
        throw Object.assign(new Error(`HTTP ${res.status}`), {
          code: res.status,
          headers,
          body: parseBody(text),
        })
      return { httpStatusCode: res.status, headers, data: text === '' ? null : (JSON.parse(text) as unknown) }
    })
}

/** Uninstalls the app from this portal (DELETE /appinstalls/v3/external-install → 204). */
async function uninstall(path: HubSpotCallPath): Promise<void> {
  await path.limiters.api.acquire()
  const c = await path.sdk()
  let res: Awaited<ReturnType<Client['apiRequest']>>
  try {
    res = await c.apiRequest({ method: 'DELETE', path: '/appinstalls/v3/external-install' })
  } catch (err) {
    const message = `uninstall: HubSpot unreachable (${(err as Error).message})`
    throw new HubSpotApiError(message, undefined, true, undefined, undefined, undefined)
  }
  if (!res.ok) {
    const category = bodyField(parseBody(await res.text()), 'category')
    const retryable = res.status >= 500 || res.status === 429
    throw new HubSpotApiError(
      `uninstall: HubSpot answered ${res.status}`,
      res.status,
      retryable,
      undefined,
      category,
      undefined,
    )
  }
}

/** The call path of one portal, with the two calls that are not an API area's: raw JSON and uninstall. */
export function createHubSpotClient(deps: HubSpotClientDeps) {
  const path = createCallPath(deps)
  return { ...path, jsonRequest: jsonRequest(path), uninstall: () => uninstall(path) }
}

export type HubSpotClient = ReturnType<typeof createHubSpotClient>
