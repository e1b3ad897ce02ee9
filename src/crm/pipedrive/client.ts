/**
 * A thin client over the official `pipedrive` package for one company, speaking Leadgrid's words.
 *
 * The generated APIs answer `response.data` only, so the rate-limit headers Pipedrive sends on every
 * answer are lost (client-nodejs issue 725). Each call therefore goes through the generated
 * `…ApiFp(configuration)` request functions, which take an axios instance: ours has no interceptors
 * and gives back the whole response, headers included.
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
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios'
import { UsersApiFp, Configuration as V1Configuration, WebhooksApiFp } from 'pipedrive/v1'
import { PersonFieldsApiFp, PersonsApiFp, Configuration as V2Configuration } from 'pipedrive/v2'
import { backoffDelay, type RetryPolicy, realSleep, retryPolicy } from '../retry.js'
import { PipedriveApiError } from './errors.js'
import type { CallKind, CompanyLimiters, PipedriveRateLimits } from './rate-limits.js'

/** Persons are listed at most 500 per page (v2 cursor pagination). */
export const PERSON_PAGE_LIMIT = 500

export interface PipedrivePerson {
  id: number
  name?: string | null
  first_name?: string | null
  last_name?: string | null
  job_title?: string | null
  org_id?: number | null
  owner_id?: number | null
  emails?: { value?: string; primary?: boolean; label?: string }[] | null
  add_time?: string | null
  update_time?: string | null
  custom_fields?: Record<string, unknown> | null
}

export interface PipedriveFieldOption {
  id: number
  label: string
}

export interface PipedrivePersonField {
  field_code: string
  field_name: string
  field_type: string
  is_custom_field?: boolean
  options?: PipedriveFieldOption[] | null
}

export interface PipedriveCurrentUser {
  userId: number
  companyId: number
  companyName: string | null
  companyDomain: string | null
  isAdmin: boolean
}

export interface PipedriveWebhook {
  id: number
  event_action: string
  event_object: string
  subscription_url: string
  version?: string
}

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

/**
 * A generated request function. Its axios parameter is typed from the package's CommonJS typings,
 * which TypeScript sees as unrelated to the ESM ones we import, hence `never` and a cast at the call.
 */
type RequestFunction = (instance?: never) => Promise<unknown>

function numberHeader(headers: unknown, name: string): number | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.[name]
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

export function createPipedriveClient(deps: PipedriveClientDeps) {
  const apiDomain = deps.apiDomain.replace(/\/+$/, '')
  const sleep = deps.sleep ?? realSleep
  const random = deps.random ?? Math.random
  const policy = retryPolicy(deps.retry)
  // No interceptors: the generated code would reduce every answer to its body.
  const http = deps.http ?? axios.create({ timeout: 30_000 })
  const limiters: CompanyLimiters = deps.limits.forCompany(deps.companyId)
  const accessToken = async () => deps.accessToken()
  const v1 = new V1Configuration({ accessToken, basePath: `${apiDomain}/api/v1` })
  const v2 = new V2Configuration({ accessToken, basePath: `${apiDomain}/api/v2` })

  const backoff = (attempt: number) => backoffDelay(policy, attempt, random)

  /** Learns the company's burst size and pauses when the window is spent, before a 429 has to say so. */
  function observe(headers: unknown): void {
    const limit = numberHeader(headers, 'x-ratelimit-limit')
    if (limit !== undefined) limiters.observeBurstLimit(limit)
    const remaining = numberHeader(headers, 'x-ratelimit-remaining')
    const reset = numberHeader(headers, 'x-ratelimit-reset')
    if (remaining === 0 && reset !== undefined) limiters.api.pauseFor(reset * 1000)
  }

  async function call<T = unknown>(
    op: string,
    kind: CallKind,
    request: () => Promise<RequestFunction>,
    opts: { notFoundAsNull?: boolean } = {},
  ): Promise<T | null> {
    const limiter = kind === 'search' ? limiters.search : limiters.api
    for (let attempt = 0; ; attempt++) {
      // Charged before the burst wait: a call the day's budget refuses takes no burst slot.
      const blocked = await limiters.budget.take(kind)
      if (blocked > 0) {
        throw new PipedriveApiError(`${op}: Pipedrive's daily budget is spent`, 429, true, blocked, true)
      }
      await limiter.acquire()
      const last = attempt + 1 >= policy.maxAttempts
      try {
        const send = await request()
        const res = (await send(http as never)) as AxiosResponse<T>
        observe(res.headers)
        return res.data
      } catch (err) {
        if (!isAxiosError(err)) throw err
        const status = err.response?.status
        const headers = err.response?.headers
        if (status === 404 && opts.notFoundAsNull) return null
        if (status === 429) {
          const remaining = numberHeader(headers, 'x-ratelimit-remaining')
          const reset = numberHeader(headers, 'x-ratelimit-reset')
          if (remaining !== undefined && remaining > 0) {
            // The burst window has room, so the daily budget is what refused us.
            const untilReset = await limiters.budget.markExhausted()
            throw new PipedriveApiError(
              `${op}: Pipedrive's daily budget is spent`,
              429,
              true,
              untilReset,
              true,
            )
          }
          const wait = (reset ?? 2) * 1000
          limiter.pauseFor(wait)
          if (last) throw new PipedriveApiError(`${op}: Pipedrive rate limit`, 429, true, wait)
          continue
        }
        if (status === undefined || status >= 500) {
          if (last) {
            throw new PipedriveApiError(
              `${op}: Pipedrive ${status === undefined ? `unreachable (${err.code ?? err.message})` : `answered ${status}`}`,
              status,
              true,
              backoff(attempt),
            )
          }
          await sleep(backoff(attempt))
          continue
        }
        const detail = (err.response?.data as { error?: unknown } | undefined)?.error
        throw new PipedriveApiError(
          `${op}: Pipedrive answered ${status}${typeof detail === 'string' ? ` (${detail.slice(0, 200)})` : ''}`,
          status,
          false,
          undefined,
        )
      }
    }
  }

  return {
    companyId: deps.companyId,

    /** Who authorized the token, and for which company (the token response names neither). */
    async currentUser(): Promise<PipedriveCurrentUser> {
      const body = await call('read current user', 'get', () => UsersApiFp(v1).getCurrentUser())
      const data = (body as { data?: Record<string, unknown> } | null)?.data
      if (!data || typeof data.id !== 'number' || typeof data.company_id !== 'number') {
        throw new PipedriveApiError('read current user: unexpected answer', 200, false, undefined)
      }
      return {
        userId: data.id,
        companyId: data.company_id,
        companyName: typeof data.company_name === 'string' ? data.company_name : null,
        companyDomain: typeof data.company_domain === 'string' ? data.company_domain : null,
        isAdmin: data.is_admin === true || data.is_admin === 1,
      }
    },

    async listPersonFields(): Promise<PipedrivePersonField[]> {
      const fields: PipedrivePersonField[] = []
      let cursor: string | undefined
      do {
        const body = (await call('list person fields', 'list', () =>
          PersonFieldsApiFp(v2).getPersonFields(undefined, 500, cursor),
        )) as { data?: PipedrivePersonField[]; additional_data?: { next_cursor?: string | null } } | null
        fields.push(...(body?.data ?? []))
        cursor = body?.additional_data?.next_cursor ?? undefined
      } while (cursor)
      return fields
    },

    async addPersonField(field: {
      field_name: string
      field_type: 'double' | 'enum' | 'date' | 'text' | 'varchar'
      options?: { label: string }[]
    }): Promise<PipedrivePersonField> {
      const body = (await call('create person field', 'write', () =>
        PersonFieldsApiFp(v2).addPersonField(field as never),
      )) as { data?: PipedrivePersonField } | null
      if (!body?.data?.field_code) {
        throw new PipedriveApiError('create person field: no field_code in the answer', 200, false, undefined)
      }
      return body.data
    },

    /** Adds options to a single-option field (atomic on Pipedrive's side); returns every option now. */
    async addPersonFieldOptions(fieldCode: string, labels: string[]): Promise<PipedriveFieldOption[]> {
      const body = (await call('add person field options', 'write', () =>
        PersonFieldsApiFp(v2).addPersonFieldOptions(fieldCode, labels.map((label) => ({ label })) as never),
      )) as { data?: PipedriveFieldOption[] } | null
      return body?.data ?? []
    },

    /** One page of persons, oldest change first when `updatedSince` is given (reconciliation). */
    async listPersons(
      opts: { cursor?: string; limit?: number; updatedSince?: string; dealId?: number } = {},
    ): Promise<{ persons: PipedrivePerson[]; nextCursor: string | null }> {
      const limit = Math.min(opts.limit ?? PERSON_PAGE_LIMIT, PERSON_PAGE_LIMIT)
      const body = (await call('list persons', 'list', () =>
        PersonsApiFp(v2).getPersons(
          undefined,
          undefined,
          undefined,
          undefined,
          opts.dealId,
          opts.updatedSince,
          undefined,
          opts.updatedSince ? 'update_time' : 'id',
          'asc',
          undefined,
          undefined,
          undefined,
          undefined,
          limit,
          opts.cursor,
        ),
      )) as { data?: PipedrivePerson[]; additional_data?: { next_cursor?: string | null } } | null
      return { persons: body?.data ?? [], nextCursor: body?.additional_data?.next_cursor ?? null }
    },

    async getPerson(id: number): Promise<PipedrivePerson | null> {
      const body = (await call('read person', 'get', () => PersonsApiFp(v2).getPerson(id), {
        notFoundAsNull: true,
      })) as { data?: PipedrivePerson } | null
      return body?.data ?? null
    },

    /** Writes custom field values (keyed by field code). A deleted person answers null, not an error. */
    async updatePersonFields(id: number, customFields: Record<string, unknown>): Promise<boolean> {
      const body = await call(
        'update person',
        'update',
        () => PersonsApiFp(v2).updatePerson(id, { custom_fields: customFields } as never),
        { notFoundAsNull: true },
      )
      return body !== null
    },

    async listWebhooks(): Promise<PipedriveWebhook[]> {
      const body = (await call('list webhooks', 'list', () => WebhooksApiFp(v1).getWebhooks())) as {
        data?: PipedriveWebhook[]
      } | null
      return body?.data ?? []
    },

    async addWebhook(hook: {
      subscription_url: string
      event_action: 'create' | 'change' | 'delete' | '*'
      event_object: 'person' | 'activity' | 'deal'
      name: string
      http_auth_user: string
      http_auth_password: string
      user_id?: number
    }): Promise<PipedriveWebhook> {
      const body = (await call('create webhook', 'write', () =>
        WebhooksApiFp(v1).addWebhook({ ...hook, version: '2.0' } as never),
      )) as { data?: PipedriveWebhook } | null
      if (!body?.data?.id)
        throw new PipedriveApiError('create webhook: no id in the answer', 200, false, undefined)
      return body.data
    },

    async deleteWebhook(id: number): Promise<void> {
      await call('delete webhook', 'write', () => WebhooksApiFp(v1).deleteWebhook(id), {
        notFoundAsNull: true,
      })
    },
  }
}

export type PipedriveClient = ReturnType<typeof createPipedriveClient>
