/**
 * The Pipedrive client of one company: the one call path every API area goes through, and the areas
 * built on it (client-users.ts, client-fields.ts, client-persons.ts, client-webhooks.ts).
 *
 * The generated APIs of the official `pipedrive` package answer `response.data` only, so the
 * rate-limit headers Pipedrive sends on every answer are lost (client-nodejs issue 725). Each call
 * therefore goes through the generated `…ApiFp(configuration)` request functions, which take an axios
 * instance: ours has no interceptors and gives back the whole response, headers included.
 *
 * - Every call is charged to the company's daily budget, then waits for its burst window
 *   (rate-limits.ts; both shared by every process in server mode); a spent budget throws
 *   before anything is sent.
 * - 429: `x-ratelimit-remaining: 0` is the burst window — wait `x-ratelimit-reset` seconds and retry;
 *   a 429 with budget left in the window is the daily budget — stop until midnight.
 * - 5xx and network failures: retried with exponential backoff and jitter (crm/retry.ts).
 * Sources: https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting,
 *          https://developers.pipedrive.com/docs/api/v1 (v2 persons, personFields; v1 users/me, webhooks)
 */
import axios, { type AxiosError, type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios'
import { Configuration as V1Configuration } from 'pipedrive/v1'
import { Configuration as V2Configuration } from 'pipedrive/v2'
import type { RateLimiter } from '../rate-limiter.js'
import { backoffDelay, type RetryPolicy, realSleep, retryPolicy } from '../retry.js'
import { personFieldsCalls } from './client-fields.js'
import { personsCalls } from './client-persons.js'
import type { PipedriveCall, PipedriveRequest, RequestFunction } from './client-request.js'
import { usersCalls } from './client-users.js'
import { webhooksCalls } from './client-webhooks.js'
import { PipedriveApiError } from './errors.js'
import type { CallKind, CompanyLimiters, PipedriveRateLimits } from './rate-limits.js'

export interface PipedriveClientDeps {
  companyId: string
  /** `https://<company>.pipedrive.com`, as the token response's `api_domain` says. */
  apiDomain: string
  /** A valid access token (the caller refreshes it ahead of expiry). */
  accessToken: () => Promise<string> | string
  limits: PipedriveRateLimits
  retry?: Partial<RetryPolicy>
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  /** For tests: the HTTP client the requests go through. */
  http?: AxiosInstance
}

export function createPipedriveClient(deps: PipedriveClientDeps) {
  const request = createPipedriveRequest(deps)
  return {
    companyId: deps.companyId,
    ...usersCalls(request),
    ...personFieldsCalls(request),
    ...personsCalls(request),
    ...webhooksCalls(request),
  }
}

export type PipedriveClient = ReturnType<typeof createPipedriveClient>

function numberHeader(headers: unknown, name: string): number | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.[name]
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

const budgetSpent = (op: string, retryAfterMs: number) =>
  new PipedriveApiError(`${op}: Pipedrive's daily budget is spent`, 429, true, retryAfterMs, true)

/** The one call path: budget, burst window, the request, then what a failure means. */
function createPipedriveRequest(deps: PipedriveClientDeps): PipedriveRequest {
  const apiDomain = deps.apiDomain.replace(/\/+$/, '')
  const sleep = deps.sleep ?? realSleep
  const random = deps.random ?? Math.random
  const policy = retryPolicy(deps.retry)
  // No interceptors: the generated code would reduce every answer to its body.
  const http = deps.http ?? axios.create({ timeout: 30_000 })
  const limiters: CompanyLimiters = deps.limits.forCompany(deps.companyId)
  const accessToken = async () => deps.accessToken()
  const backoff = (attempt: number) => backoffDelay(policy, attempt, random)

  /** Learns the company's burst size and pauses when the window is spent, before a 429 has to say so. */
  function observe(headers: unknown): void {
    const limit = numberHeader(headers, 'x-ratelimit-limit')
    if (limit !== undefined) limiters.observeBurstLimit(limit)
    const remaining = numberHeader(headers, 'x-ratelimit-remaining')
    const reset = numberHeader(headers, 'x-ratelimit-reset')
    if (remaining === 0 && reset !== undefined) limiters.api.pauseFor(reset * 1000)
  }

  /**
   * What a failed attempt leads to: the wait before the next one (0 when the burst window's pause
   * already holds it back), or the typed error thrown when nothing is worth another try.
   */
  async function retryWait(op: string, err: AxiosError, attempt: number, limiter: RateLimiter) {
    const status = err.response?.status
    const headers = err.response?.headers
    const last = attempt + 1 >= policy.maxAttempts
    if (status === 429) {
      const remaining = numberHeader(headers, 'x-ratelimit-remaining')
      // The burst window has room, so the daily budget is what refused us.
      if (remaining !== undefined && remaining > 0)
        throw budgetSpent(op, await limiters.budget.markExhausted())
      const wait = (numberHeader(headers, 'x-ratelimit-reset') ?? 2) * 1000
      limiter.pauseFor(wait)
      if (last) throw new PipedriveApiError(`${op}: Pipedrive rate limit`, 429, true, wait)
      return 0
    }
    if (status === undefined || status >= 500) {
      const wait = backoff(attempt)
      if (!last) return wait
      const what = status === undefined ? `unreachable (${err.code ?? err.message})` : `answered ${status}`
      throw new PipedriveApiError(`${op}: Pipedrive ${what}`, status, true, wait)
    }
    const detail = (err.response?.data as { error?: unknown } | undefined)?.error
    throw new PipedriveApiError(
      `${op}: Pipedrive answered ${status}${typeof detail === 'string' ? ` (${detail.slice(0, 200)})` : ''}`,
      status,
      false,
      undefined,
    )
  }

  const call: PipedriveCall = async <T>(
    op: string,
    kind: CallKind,
    request: () => Promise<RequestFunction>,
    opts: { notFoundAsNull?: boolean } = {},
  ): Promise<T | null> => {
    const limiter = kind === 'search' ? limiters.search : limiters.api
    for (let attempt = 0; ; attempt++) {
      // Charged before the burst wait: a call the day's budget refuses takes no burst slot.
      const blocked = await limiters.budget.take(kind)
      if (blocked > 0) throw budgetSpent(op, blocked)
      await limiter.acquire()
      try {
        const send = await request()
        const res = (await send(http as never)) as AxiosResponse<T>
        observe(res.headers)
        return res.data
      } catch (err) {
        if (!isAxiosError(err)) throw err
        if (err.response?.status === 404 && opts.notFoundAsNull) return null
        const wait = await retryWait(op, err, attempt, limiter)
        if (wait > 0) await sleep(wait)
      }
    }
  }

  return {
    call,
    v1: new V1Configuration({ accessToken, basePath: `${apiDomain}/api/v1` }),
    v2: new V2Configuration({ accessToken, basePath: `${apiDomain}/api/v2` }),
  }
}
