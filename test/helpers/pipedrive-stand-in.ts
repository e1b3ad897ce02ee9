/**
 * A local stand-in for Pipedrive over real HTTP, written from Pipedrive's documentation: the OAuth
 * server (authorize consents at once; POST /oauth/token with the app's Basic credentials, answering
 * `api_domain` = this server; POST /oauth/revoke, RFC 7009) and, on that API domain, /api/v1/users/me,
 * /api/v2/personFields (+ options), /api/v2/persons (cursor pages of ≤ 500, updated_since, deal_id;
 * GET/PATCH one), /api/v1/webhooks. Every API answer carries `x-ratelimit-limit|remaining|reset`.
 * `deliver()` sends a v2 webhook to every matching subscription with its Basic credentials, as
 * Pipedrive does; `uninstall()` plays one user's uninstall (that user's tokens and the webhooks
 * created with them gone, then the DELETE to the app's callback URL).
 *
 * Scopes are the app's (Developer Hub), granted to every token: each API route answers 403 unless the
 * token holds one of the scopes Pipedrive's scopes page lists for its endpoint (`ROUTE_SCOPES`).
 * Sources: pipedrive.readme.io marketplace-oauth-authorization, marketplace-scopes-and-permissions-explanations,
 * app-uninstallation, webhooks-for-apps, guide-for-webhooks-v2, core-api-concepts-rate-limiting;
 * developers.pipedrive.com/docs/api/v1 (v2 Persons, PersonFields).
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PIPEDRIVE_SCOPES } from '../../src/crm/pipedrive/scopes.js'

export interface StandInPerson {
  id: number
  name: string
  first_name?: string | null
  last_name?: string | null
  job_title?: string | null
  emails: { value: string; primary?: boolean; label?: string }[]
  org_id?: number | null
  owner_id?: number
  add_time: string
  update_time: string
  custom_fields: Record<string, unknown>
  deal_ids?: number[]
  /** The company it belongs to (default: the stand-in's first company). */
  company_id?: number
}

export interface StandInField {
  field_code: string
  field_name: string
  field_type: string
  is_custom_field: boolean
  options: { id: number; label: string }[] | null
}

/**
 * The scopes that open each route Leadgrid calls, as https://pipedrive.readme.io/docs/marketplace-scopes-and-permissions-explanations
 * lists them (`base` is always granted).
 */
export const ROUTE_SCOPES: [RegExp, string[]][] = [
  [/^GET \/api\/v1\/users\/me$/, ['base']],
  [/^GET \/api\/v2\/personFields$/, ['contacts:read', 'contacts:full', 'contact-fields:full', 'admin']],
  [/^POST \/api\/v2\/personFields(\/[^/]+\/options)?$/, ['contact-fields:full', 'admin']],
  [/^GET \/api\/v2\/persons(\/\d+)?$/, ['contacts:read', 'contacts:full']],
  [/^PATCH \/api\/v2\/persons\/\d+$/, ['contacts:full']],
  [/^GET \/api\/v1\/webhooks$/, ['webhooks:read', 'webhooks:full', 'admin']],
  [/^(POST \/api\/v1\/webhooks|DELETE \/api\/v1\/webhooks\/\d+)$/, ['webhooks:full', 'admin']],
]

export interface StandInWebhook {
  id: number
  name: string
  subscription_url: string
  event_action: string
  event_object: string
  http_auth_user: string
  http_auth_password: string
  version: string
  user_id?: number
  /** The user whose token created it: Pipedrive removes it when that user uninstalls. */
  created_by: number
}

export interface PipedriveStandIn {
  baseUrl: string
  companyId: number
  userId: number
  clientId: string
  clientSecret: string
  persons: Map<number, StandInPerson>
  fields: StandInField[]
  webhooks: StandInWebhook[]
  calls: { route: string; body: unknown }[]
  /** Every token revocation Pipedrive received, with the token and its hint. */
  revocations: { token: string; token_type_hint?: string }[]
  /** The scopes the app has (every token is granted them). */
  scopes: string[]
  patches(): { id: number; body: Record<string, unknown> }[]
  /** Whether the user still has the app installed (holds a live refresh token). */
  installed(userId: number): boolean
  /**
   * One user uninstalls the app in Pipedrive: their tokens and the app webhooks created with them go,
   * then the app's callback URL gets the documented DELETE. Returns Leadgrid's answer status.
   */
  uninstall(userId: number, callbackUrl: string): Promise<number>
  /** The company and user the next consent is given as (another company of the same app). */
  installAs(companyId: number, userId: number): void
  /** Sends a webhook v2 delivery to every subscription matching the entity and action. */
  deliver(
    entity: string,
    action: 'create' | 'change' | 'delete',
    data: Record<string, unknown> | null,
    previous: Record<string, unknown> | null,
    opts?: { id?: string; auth?: { user: string; password: string } | null },
  ): Promise<{ status: number; body: unknown }[]>
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

export async function startPipedriveStandIn(opts: {
  clientId: string
  clientSecret: string
  persons?: StandInPerson[]
  companyId?: number
  userId?: number
  /** The app's scopes in Developer Hub (default: Leadgrid's, src/crm/pipedrive/scopes.ts). */
  scopes?: string[]
}): Promise<PipedriveStandIn> {
  const companyId = opts.companyId ?? 5380474
  const userId = opts.userId ?? 777
  const persons = new Map((opts.persons ?? []).map((p) => [p.id, p]))
  const fields: StandInField[] = [
    { field_code: 'name', field_name: 'Name', field_type: 'varchar', is_custom_field: false, options: null },
  ]
  const webhooks: StandInWebhook[] = []
  const calls: PipedriveStandIn['calls'] = []
  const revocations: PipedriveStandIn['revocations'] = []
  const scopes = ['base', ...(opts.scopes ?? PIPEDRIVE_SCOPES.map((s) => s.scope))]
  /** access and refresh tokens → the company and user they were granted for */
  const tokens = new Map<string, { companyId: number; userId: number; refresh: string }>()
  let installing = { companyId, userId }
  let nextId = 1000
  let baseUrl = ''
  const rate = { 'x-ratelimit-limit': '80', 'x-ratelimit-remaining': '79', 'x-ratelimit-reset': '2' }
  const basicOk = (h: string | undefined) =>
    h === `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`
  const codes = new Map<string, { companyId: number; userId: number }>()
  const issue = (
    who: { companyId: number; userId: number },
    refresh = `${who.companyId}:${who.userId}:${randomUUID()}`,
  ) => {
    const access = `v1u:${randomUUID()}`
    tokens.set(access, { ...who, refresh })
    tokens.set(refresh, { ...who, refresh })
    return {
      access_token: access,
      token_type: 'Bearer',
      refresh_token: refresh,
      scope: scopes.join(','),
      expires_in: 3599,
      api_domain: baseUrl,
    }
  }
  const view = (p: StandInPerson) => {
    const { deal_ids: _d, ...rest } = p
    return {
      ...rest,
      custom_fields: Object.fromEntries(
        Object.entries(p.custom_fields).map(([k, v]) => {
          const f = fields.find((x) => x.field_code === k)
          return [k, v === null ? null : { type: f?.field_type ?? 'varchar', value: v }]
        }),
      ),
    }
  }

  const revoke = (which: (t: { userId: number; refresh: string }) => boolean) => {
    for (const [token, grant] of tokens) if (which(grant)) tokens.delete(token)
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const text = await readBody(req)
    const isForm = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    const body: unknown = text
      ? isForm
        ? Object.fromEntries(new URLSearchParams(text))
        : JSON.parse(text)
      : undefined
    const route = `${req.method} ${url.pathname}`
    calls.push({ route, body })

    if (route === 'GET /oauth/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri')!)
      const code = `code-${randomUUID()}`
      codes.set(code, installing)
      back.searchParams.set('code', code)
      const state = url.searchParams.get('state')
      if (state) back.searchParams.set('state', state)
      res.writeHead(302, { location: back.toString() })
      return res.end()
    }
    if (route === 'POST /oauth/token') {
      if (!basicOk(req.headers.authorization)) return json(res, 401, { error: 'invalid_client' })
      const f = body as Record<string, string>
      const byCode = f.grant_type === 'authorization_code' ? codes.get(f.code ?? '') : undefined
      if (byCode) {
        codes.delete(f.code!) // a code is single-use
        return json(res, 200, issue(byCode))
      }
      const byRefresh = f.grant_type === 'refresh_token' ? tokens.get(f.refresh_token ?? '') : undefined
      // The refresh token does not rotate (marketplace-oauth-authorization, step 7).
      if (byRefresh) return json(res, 200, issue(byRefresh, byRefresh.refresh))
      return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid grant' })
    }
    if (route === 'POST /oauth/revoke') {
      // app-uninstallation, "Token revocation": Basic client credentials, form-encoded; a refresh
      // token takes every token of that grant with it; 200 for an unknown token too (RFC 7009 §2.2).
      if (!basicOk(req.headers.authorization)) return json(res, 401, { error: 'invalid_client' })
      if (!isForm) return json(res, 400, { error: 'invalid_request' })
      const f = body as Record<string, string>
      if (!f.token) return json(res, 400, { error: 'invalid_request' })
      revocations.push({
        token: f.token,
        ...(f.token_type_hint ? { token_type_hint: f.token_type_hint } : {}),
      })
      const grant = tokens.get(f.token)
      if (grant && grant.refresh === f.token) revoke((t) => t.refresh === f.token)
      else tokens.delete(f.token)
      res.writeHead(200)
      return res.end()
    }
    const who = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
    if (!who) return json(res, 401, { success: false, error: 'unauthorized access', errorCode: 401 })
    const needed = ROUTE_SCOPES.find(([pattern]) => pattern.test(route))?.[1]
    if (needed && !needed.some((scope) => scopes.includes(scope)))
      return json(res, 403, { success: false, error: 'Scope and URL mismatch', errorCode: 403 })
    const mine = (p: StandInPerson) => (p.company_id ?? companyId) === who.companyId

    if (route === 'GET /api/v1/users/me') {
      return json(
        res,
        200,
        {
          success: true,
          data: {
            id: who.userId,
            name: 'James Bond',
            is_admin: 1,
            company_id: who.companyId,
            company_name: 'Acme Sandbox',
            company_domain: 'acme-sandbox',
          },
        },
        rate,
      )
    }
    if (route === 'GET /api/v2/personFields')
      return json(res, 200, { success: true, data: fields, additional_data: { next_cursor: null } }, rate)
    if (route === 'POST /api/v2/personFields') {
      const b = body as { field_name: string; field_type: string; options?: { label: string }[] }
      const field: StandInField = {
        field_code: randomUUID().replace(/-/g, '').padEnd(40, 'a').slice(0, 40),
        field_name: b.field_name,
        field_type: b.field_type,
        is_custom_field: true,
        options: b.options ? b.options.map((o) => ({ id: nextId++, label: o.label })) : null,
      }
      fields.push(field)
      return json(res, 200, { success: true, data: field }, rate)
    }
    const optionsMatch = url.pathname.match(/^\/api\/v2\/personFields\/([^/]+)\/options$/)
    if (req.method === 'POST' && optionsMatch) {
      const f = fields.find((x) => x.field_code === optionsMatch[1])
      if (!f) return json(res, 404, { success: false, error: 'Field not found' }, rate)
      f.options = f.options ?? []
      for (const o of body as { label: string }[]) f.options.push({ id: nextId++, label: o.label })
      return json(res, 200, { success: true, data: f.options }, rate)
    }
    if (route === 'GET /api/v2/persons') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 500)
      const start = Number(url.searchParams.get('cursor') ?? 0)
      const since = url.searchParams.get('updated_since')
      const deal = url.searchParams.get('deal_id')
      const all = [...persons.values()]
        .filter(mine)
        .filter((p) => !since || Date.parse(p.update_time) >= Date.parse(since))
        .filter((p) => !deal || (p.deal_ids ?? []).includes(Number(deal)))
        .sort((a, b) => a.id - b.id)
      const page = all.slice(start, start + limit)
      const next = start + limit < all.length ? String(start + limit) : null
      return json(
        res,
        200,
        { success: true, data: page.map(view), additional_data: { next_cursor: next } },
        rate,
      )
    }
    const personMatch = url.pathname.match(/^\/api\/v2\/persons\/(\d+)$/)
    if (personMatch) {
      const found = persons.get(Number(personMatch[1]))
      const p = found && mine(found) ? found : undefined
      if (!p) return json(res, 404, { success: false, error: 'Person not found' }, rate)
      if (req.method === 'GET') return json(res, 200, { success: true, data: view(p) }, rate)
      if (req.method === 'PATCH') {
        const cf = (body as { custom_fields?: Record<string, unknown> }).custom_fields ?? {}
        for (const [k, v] of Object.entries(cf)) {
          if (!fields.some((f) => f.field_code === k))
            return json(res, 400, { success: false, error: `unknown field ${k}` }, rate)
          p.custom_fields[k] = v
        }
        p.update_time = new Date().toISOString()
        return json(res, 200, { success: true, data: view(p) }, rate)
      }
    }
    // Who created a webhook is the stand-in's own bookkeeping, not part of Pipedrive's answer.
    const hookView = ({ created_by: _c, ...hook }: StandInWebhook) => hook
    if (route === 'GET /api/v1/webhooks')
      return json(res, 200, { success: true, data: webhooks.map(hookView) }, rate)
    if (route === 'POST /api/v1/webhooks') {
      const b = body as Omit<StandInWebhook, 'id'>
      if (!b.subscription_url || !b.event_action || !b.event_object || !b.name)
        return json(res, 400, { success: false, error: 'missing field' }, rate)
      const hook = { ...b, id: nextId++, version: b.version ?? '2.0', created_by: who.userId }
      webhooks.push(hook)
      return json(res, 201, { success: true, data: hookView(hook) }, rate)
    }
    const hookMatch = url.pathname.match(/^\/api\/v1\/webhooks\/(\d+)$/)
    if (req.method === 'DELETE' && hookMatch) {
      const i = webhooks.findIndex((w) => w.id === Number(hookMatch[1]))
      if (i < 0) return json(res, 404, { success: false, error: 'Webhook not found' }, rate)
      webhooks.splice(i, 1)
      return json(res, 200, { success: true, data: { id: Number(hookMatch[1]) } }, rate)
    }
    return json(res, 404, { success: false, error: `no route ${route}` })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    baseUrl,
    companyId,
    userId,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    persons,
    fields,
    webhooks,
    calls,
    revocations,
    scopes,
    installed: (u) => [...tokens.entries()].some(([token, g]) => g.userId === u && g.refresh === token),
    async uninstall(u, callbackUrl) {
      const company = [...tokens.values()].find((g) => g.userId === u)?.companyId ?? companyId
      revoke((g) => g.userId === u)
      for (let i = webhooks.length - 1; i >= 0; i--) if (webhooks[i]!.created_by === u) webhooks.splice(i, 1)
      const res = await fetch(callbackUrl, {
        method: 'DELETE',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`,
        },
        body: JSON.stringify({
          client_id: opts.clientId,
          company_id: company,
          user_id: u,
          timestamp: new Date().toISOString(),
        }),
      })
      await res.arrayBuffer()
      return res.status
    },
    installAs(c, u) {
      installing = { companyId: c, userId: u }
    },
    patches: () =>
      calls
        .filter((c) => /^PATCH \/api\/v2\/persons\/\d+$/.test(c.route))
        .map((c) => ({ id: Number(c.route.split('/').pop()), body: c.body as Record<string, unknown> })),
    async deliver(entity, action, data, previous, o = {}) {
      const id = o.id ?? randomUUID()
      const entityId = String(data?.id ?? previous?.id ?? '')
      const out: { status: number; body: unknown }[] = []
      for (const hook of webhooks) {
        if (hook.event_object !== entity && hook.event_object !== '*') continue
        if (hook.event_action !== action && hook.event_action !== '*') continue
        const auth =
          o.auth === undefined ? { user: hook.http_auth_user, password: hook.http_auth_password } : o.auth
        const res = await fetch(hook.subscription_url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(auth
              ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` }
              : {}),
          },
          body: JSON.stringify({
            meta: {
              action,
              entity,
              company_id: String(companyId),
              user_id: String(userId),
              entity_id: entityId,
              id,
              correlation_id: randomUUID(),
              is_bulk_edit: false,
              timestamp: new Date().toISOString(),
              type: 'application',
              version: '2.0',
              webhook_id: String(hook.id),
              webhook_owner_id: String(userId),
              change_source: 'app',
              attempt: 1,
              host: 'acme-sandbox.pipedrive.com',
              permitted_user_ids: [String(userId)],
            },
            data,
            previous,
          }),
        })
        out.push({ status: res.status, body: await res.json().catch(() => null) })
      }
      return out
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
