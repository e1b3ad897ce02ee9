/**
 * A thin client over `@hubspot/api-client` for one connection (one portal), speaking Leadgrid's words.
 *
 * - Every call waits for the portal's own rate-limit window (see rate-limits.ts); the SDK's global
 *   limiter and retry decorator are left off (no `limiterOptions`, no `numberOfApiCallRetries`).
 * - 429: waits as HubSpot says (`Retry-After`, else `X-HubSpot-RateLimit-Interval-Milliseconds`, else the
 *   policy's window) and pauses the whole portal; DAILY is not retried here.
 * - 5xx, 423 and network failures: retried with exponential backoff and jitter.
 * - What still fails is a typed HubSpotApiError (a CrmError) with `retryable` and `retryAfterMs`.
 * Sources: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
 */
import { Client } from '@hubspot/api-client'
import type { RateLimiter } from '../rate-limiter.js'
import { bodyField, HubSpotApiError, parseBody } from './errors.js'
import type { HubSpotRateLimits } from './rate-limits.js'

/** HubSpot batch endpoints take at most 100 inputs per call. */
export const BATCH_LIMIT = 100
/** The search API pages at most 200 results and never past 10,000 per query. */
export const SEARCH_PAGE_LIMIT = 200
export const SEARCH_MAX_RESULTS = 10_000

export interface HubSpotContact {
  id: string
  properties: Record<string, string | null>
  createdAt?: string
  updatedAt?: string
}

export interface HubSpotCompany {
  id: string
  properties: Record<string, string | null>
}

/**
 * HubSpot's association type id of "contact to primary company" (a default labelled association,
 * category HUBSPOT_DEFINED, label "Primary"); 279 is the unlabelled contact-to-company type.
 * Source: https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 */
export const CONTACT_TO_PRIMARY_COMPANY = 1

export interface BatchUpdateFailure {
  ids: string[]
  status: string
  category: string
  message: string
}

export interface HubSpotPropertyGroup {
  name: string
  label: string
}

export interface HubSpotPropertyOption {
  label: string
  value: string
  displayOrder?: number
  hidden?: boolean
  description?: string
}

export interface HubSpotPropertyDefinition {
  name: string
  label: string
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool'
  fieldType: 'text' | 'textarea' | 'date' | 'number' | 'select' | 'radio' | 'checkbox' | 'booleancheckbox'
  groupName: string
  description?: string
  displayOrder?: number
  options?: HubSpotPropertyOption[]
  formField?: boolean
}

export interface HubSpotClientDeps {
  portalId: string
  apiBase: string
  /** Returns a valid access token (the caller refreshes ahead of expiry). */
  accessToken: () => Promise<string> | string
  limits: HubSpotRateLimits
  retry?: { maxAttempts?: number; baseDelayMs?: number }
  sleep?: (ms: number) => Promise<void>
  random?: () => number
}

/** A failed jsonRequest answer, in the shape `call` reads. */
interface JsonRequestError {
  code: number
  headers?: Record<string, string>
  body?: unknown
}

interface Captured {
  status?: number
  headers: Record<string, string>
  body?: unknown
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

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const hit = Object.keys(headers).find((k) => k.toLowerCase() === name)
  return hit === undefined ? undefined : headers[hit]
}

function numberHeader(headers: Record<string, string> | undefined, name: string): number | undefined {
  const v = header(headers, name)
  const n = v === undefined ? Number.NaN : Number(v)
  return Number.isFinite(n) ? n : undefined
}

export function createHubSpotClient(deps: HubSpotClientDeps) {
  const { portalId, limits } = deps
  const apiBase = deps.apiBase.replace(/\/+$/, '')
  const sleep = deps.sleep ?? realSleep
  const random = deps.random ?? Math.random
  const maxAttempts = deps.retry?.maxAttempts ?? 4
  const baseDelayMs = deps.retry?.baseDelayMs ?? 500
  const limiters = limits.forPortal(portalId)
  let sdk: Client | undefined
  let sdkToken: string | undefined

  async function client(): Promise<Client> {
    const token = await deps.accessToken()
    if (!sdk || token !== sdkToken) {
      // No limiterOptions / numberOfApiCallRetries: those are process-global in the SDK.
      sdk = new Client({ accessToken: token, basePath: apiBase })
      sdkToken = token
    }
    return sdk
  }

  function backoff(attempt: number): number {
    return Math.round(baseDelayMs * 2 ** attempt * (0.5 + random()))
  }

  async function call<T>(
    op: string,
    limiter: RateLimiter,
    run: (
      sdk: Client,
      options: { middleware: unknown[]; middlewareMergeStrategy: 'append' },
    ) => Promise<{
      httpStatusCode: number
      headers: Record<string, string>
      data: T
    }>,
    opts: { notFoundAsNull?: boolean } = {},
  ): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const captured: Captured = { headers: {} }
      // Outside the try: a token failure (revoked, connection inactive) is not a transient HTTP error.
      // Before the limiter: the slot's time is then the request's, not the token lookup's, so the
      // window HubSpot counts (arrivals) matches the limiter's even when a lookup is slow.
      const sdkClient = await client()
      await limiter.acquire()
      try {
        const res = await run(sdkClient, {
          middleware: [captureMiddleware(captured)],
          middlewareMergeStrategy: 'append',
        })
        // `x-hubspot-ratelimit-remaining: 0` is not turned into a pause: HubSpot's window rolls
        // (TEN_SECONDLY_ROLLING), so it only says the window is full now, and the limiter already waits
        // exactly until its oldest request leaves it. Pausing a whole interval on top idled the portal
        // up to 10 s in every window once the flush kept up with the budget. A 429 still pauses (below).
        return res.data
      } catch (err) {
        const status =
          captured.status ??
          (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined)
        // A plain JSON request (jsonRequest) has no SDK middleware: its answer's headers come on the error.
        const headers =
          captured.status !== undefined ? captured.headers : ((err as JsonRequestError).headers ?? {})
        const body = captured.body ?? (err as { body?: unknown }).body
        const last = attempt + 1 >= maxAttempts
        if (status === 404 && opts.notFoundAsNull) return null
        if (status === 429) {
          const policy = bodyField(body, 'policyName')
          const retryAfterS = numberHeader(headers, 'retry-after')
          if (policy === 'DAILY') {
            throw new HubSpotApiError(
              `${op}: HubSpot daily limit reached`,
              429,
              true,
              3_600_000,
              bodyField(body, 'category'),
              policy,
            )
          }
          const wait =
            retryAfterS !== undefined
              ? retryAfterS * 1000
              : (numberHeader(headers, 'x-hubspot-ratelimit-interval-milliseconds') ??
                (limiter === limiters.search || policy === 'SECONDLY' ? 1_000 : 10_000))
          limiter.pauseFor(wait)
          if (last) {
            throw new HubSpotApiError(
              `${op}: HubSpot rate limit (${policy ?? 'unknown policy'})`,
              429,
              true,
              wait,
              'RATE_LIMITS',
              policy,
            )
          }
          continue
        }
        const transient = status === undefined || status >= 500 || status === 423
        if (transient) {
          if (last) {
            throw new HubSpotApiError(
              `${op}: HubSpot ${status === undefined ? `unreachable (${(err as Error).message})` : `answered ${status}`}`,
              status,
              true,
              backoff(attempt),
              bodyField(body, 'category'),
              undefined,
            )
          }
          // 423 Locked: HubSpot asks for at least 2 s before retrying.
          await sleep(status === 423 ? Math.max(2_000, backoff(attempt)) : backoff(attempt))
          continue
        }
        throw new HubSpotApiError(
          `${op}: HubSpot answered ${status}${bodyField(body, 'category') ? ` (${bodyField(body, 'category')})` : ''}`,
          status,
          false,
          undefined,
          bodyField(body, 'category'),
          undefined,
        )
      }
    }
  }

  const toContact = (o: {
    id: string
    properties: Record<string, string | null>
    createdAt?: Date
    updatedAt?: Date
  }): HubSpotContact => ({
    id: o.id,
    properties: o.properties ?? {},
    ...(o.createdAt ? { createdAt: new Date(o.createdAt).toISOString() } : {}),
    ...(o.updatedAt ? { updatedAt: new Date(o.updatedAt).toISOString() } : {}),
  })

  return {
    portalId,

    /** Writes property values; one call per 100 inputs. Per-record failures come back, not thrown. */
    async batchUpdateContacts(
      inputs: { id: string; properties: Record<string, string> }[],
    ): Promise<{ updated: string[]; failed: BatchUpdateFailure[] }> {
      const updated: string[] = []
      const failed: BatchUpdateFailure[] = []
      for (let i = 0; i < inputs.length; i += BATCH_LIMIT) {
        const chunk = inputs.slice(i, i + BATCH_LIMIT)
        const res = await call('batch update contacts', limiters.api, (c, o) =>
          c.crm.contacts.batchApi.updateWithHttpInfo({ inputs: chunk }, o as never),
        )
        for (const r of res?.results ?? []) updated.push(r.id)
        const errors = (
          res as {
            errors?: {
              context?: Record<string, string[]>
              status: string
              category: string
              message: string
            }[]
          }
        )?.errors
        for (const e of errors ?? []) {
          failed.push({
            ids: e.context?.['ids'] ?? [],
            status: e.status,
            category: e.category,
            message: e.message,
          })
        }
      }
      return { updated, failed }
    },

    async batchReadContacts(ids: string[], properties: string[]): Promise<HubSpotContact[]> {
      const out: HubSpotContact[] = []
      for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
        const chunk = ids.slice(i, i + BATCH_LIMIT)
        const res = await call('batch read contacts', limiters.api, (c, o) =>
          c.crm.contacts.batchApi.readWithHttpInfo(
            { inputs: chunk.map((id) => ({ id })), properties, propertiesWithHistory: [] },
            false,
            o as never,
          ),
        )
        for (const r of res?.results ?? []) out.push(toContact(r))
      }
      return out
    },

    /**
     * Each contact's primary company id (absent: none), one associations call per 100 contacts:
     * `POST /crm/v4/associations/contacts/companies/batch/read`. Only the first page of a contact's
     * companies is read (HubSpot pages them); the primary one is there in every portal seen so far.
     */
    async readPrimaryCompanyIds(contactIds: string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>()
      const unique = [...new Set(contactIds)]
      for (let i = 0; i < unique.length; i += BATCH_LIMIT) {
        const chunk = unique.slice(i, i + BATCH_LIMIT)
        const res = await call('read contact companies', limiters.api, (c, o) =>
          c.crm.associations.v4.batchApi.getPageWithHttpInfo(
            'contacts',
            'companies',
            { inputs: chunk.map((id) => ({ id })) },
            o as never,
          ),
        )
        for (const r of res?.results ?? []) {
          const primary = (r.to ?? []).find((t) =>
            (t.associationTypes ?? []).some(
              (a) => a.category === 'HUBSPOT_DEFINED' && a.typeId === CONTACT_TO_PRIMARY_COMPANY,
            ),
          )
          if (primary) out.set(String(r._from.id), String(primary.toObjectId))
        }
      }
      return out
    },

    /** Companies by id, one call per 100: `POST /crm/v3/objects/companies/batch/read`. */
    async batchReadCompanies(ids: string[], properties: readonly string[]): Promise<HubSpotCompany[]> {
      const out: HubSpotCompany[] = []
      const unique = [...new Set(ids)]
      for (let i = 0; i < unique.length; i += BATCH_LIMIT) {
        const chunk = unique.slice(i, i + BATCH_LIMIT)
        const res = await call('batch read companies', limiters.api, (c, o) =>
          c.crm.companies.batchApi.readWithHttpInfo(
            { inputs: chunk.map((id) => ({ id })), properties: [...properties], propertiesWithHistory: [] },
            false,
            o as never,
          ),
        )
        for (const r of res?.results ?? []) out.push({ id: r.id, properties: r.properties ?? {} })
      }
      return out
    },

    /** One contact, or null when HubSpot no longer has it. */
    async getContact(id: string, properties: string[]): Promise<HubSpotContact | null> {
      const res = await call(
        'get contact',
        limiters.api,
        (c, o) =>
          c.crm.contacts.basicApi.getByIdWithHttpInfo(
            id,
            properties,
            undefined,
            undefined,
            false,
            undefined,
            o as never,
          ),
        { notFoundAsNull: true },
      )
      return res ? toContact(res) : null
    },

    /** One page of all contacts (backfill); pass the returned `after` to continue. */
    async listContactsPage(opts: { after?: string; properties: string[]; limit?: number }) {
      const res = await call('list contacts', limiters.api, (c, o) =>
        c.crm.contacts.basicApi.getPageWithHttpInfo(
          Math.min(opts.limit ?? 100, 100),
          opts.after,
          opts.properties,
          undefined,
          undefined,
          false,
          o as never,
        ),
      )
      return { contacts: (res?.results ?? []).map(toContact), after: res?.paging?.next?.after }
    },

    /**
     * Contacts modified at or after `since`, oldest first, one page. The search API stops at 10,000
     * results per query: the caller restarts from the last `lastmodifieddate` it saw when `after` runs out.
     * Contacts use `lastmodifieddate` (other objects `hs_lastmodifieddate`).
     */
    async searchContactsModifiedSince(opts: { since: Date; properties: string[]; after?: string }) {
      const after = opts.after
      if (after !== undefined && Number(after) + SEARCH_PAGE_LIMIT > SEARCH_MAX_RESULTS) {
        return { contacts: [] as HubSpotContact[], after: undefined, exhausted: true, total: 0 }
      }
      const request = {
        filterGroups: [
          {
            filters: [
              { propertyName: 'lastmodifieddate', operator: 'GTE', value: String(opts.since.getTime()) },
            ],
          },
        ],
        sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
        properties: [...new Set([...opts.properties, 'lastmodifieddate'])],
        limit: SEARCH_PAGE_LIMIT,
        ...(after !== undefined ? { after } : {}),
      }
      const res = await call('search contacts', limiters.search, (c, o) =>
        c.crm.contacts.searchApi.doSearchWithHttpInfo(request as never, o as never),
      )
      const next = res?.paging?.next?.after
      return {
        contacts: (res?.results ?? []).map(toContact),
        after: next,
        exhausted: next !== undefined && Number(next) + SEARCH_PAGE_LIMIT > SEARCH_MAX_RESULTS,
        total: res?.total ?? 0,
      }
    },

    async listPropertyGroups(): Promise<HubSpotPropertyGroup[]> {
      const res = await call('list property groups', limiters.api, (c, o) =>
        c.crm.properties.groupsApi.getAllWithHttpInfo('contacts', o as never),
      )
      return (res?.results ?? []).map((g) => ({ name: g.name, label: g.label }))
    },

    async createPropertyGroup(group: HubSpotPropertyGroup & { displayOrder?: number }): Promise<void> {
      await call('create property group', limiters.api, (c, o) =>
        c.crm.properties.groupsApi.createWithHttpInfo('contacts', group, o as never),
      )
    },

    async listProperties(): Promise<HubSpotPropertyDefinition[]> {
      const res = await call('list properties', limiters.api, (c, o) =>
        c.crm.properties.coreApi.getAllWithHttpInfo('contacts', false, undefined, o as never),
      )
      return (res?.results ?? []).map((p) => ({
        name: p.name,
        label: p.label,
        type: p.type as HubSpotPropertyDefinition['type'],
        fieldType: p.fieldType as HubSpotPropertyDefinition['fieldType'],
        groupName: p.groupName,
        options: (p.options ?? []).map((x) => ({ label: x.label, value: x.value })),
      }))
    },

    async createProperty(def: HubSpotPropertyDefinition): Promise<void> {
      await call('create property', limiters.api, (c, o) =>
        c.crm.properties.coreApi.createWithHttpInfo('contacts', def as never, o as never),
      )
    },

    /**
     * One JSON call the SDK has no typed method Leadgrid uses for (deal pipelines, deals, deal→contact
     * associations: client-deals.ts), through the portal's limiter and the same retries.
     */
    async jsonRequest(op: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
      return call(op, limiters.api, async (c) => {
        const res = await c.apiRequest({ method, path, ...(body === undefined ? {} : { body }) })
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
        return {
          httpStatusCode: res.status,
          headers,
          data: text === '' ? null : (JSON.parse(text) as unknown),
        }
      })
    },

    /** Uninstalls the app from this portal (DELETE /appinstalls/v3/external-install → 204). */
    async uninstall(): Promise<void> {
      await limiters.api.acquire()
      const c = await client()
      let res: Awaited<ReturnType<Client['apiRequest']>>
      try {
        res = await c.apiRequest({ method: 'DELETE', path: '/appinstalls/v3/external-install' })
      } catch (err) {
        throw new HubSpotApiError(
          `uninstall: HubSpot unreachable (${(err as Error).message})`,
          undefined,
          true,
          undefined,
          undefined,
          undefined,
        )
      }
      if (!res.ok) {
        const body = parseBody(await res.text())
        throw new HubSpotApiError(
          `uninstall: HubSpot answered ${res.status}`,
          res.status,
          res.status >= 500 || res.status === 429,
          undefined,
          bodyField(body, 'category'),
          undefined,
        )
      }
    },
  }
}

export type HubSpotClient = ReturnType<typeof createHubSpotClient>
