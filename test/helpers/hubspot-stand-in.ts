/**
 * A local stand-in for HubSpot over real HTTP: the OAuth authorize page (consents at once), the v3
 * token and introspection endpoints, contact properties and groups, contacts (list, batch read, batch
 * update, search), contact→company associations (v4 batch read), companies (batch read), deal
 * pipelines, deals (batch read) and deal→contact associations (v4 batch read), and the uninstall API — the calls Leadgrid makes, with HubSpot's documented shapes.
 * Point HUBSPOT_API_BASE and HUBSPOT_AUTHORIZE_URL at it.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StandInContact {
  id: string
  properties: Record<string, string>
}

export interface StandInCompany {
  id: string
  properties: Record<string, string>
}

export interface StandInDeal {
  id: string
  properties: Record<string, string>
  contactIds: string[]
}

/**
 * One deal pipeline with HubSpot's default stage ids; closed stages carry isClosed and probability
 * as strings, as the pipelines API documents.
 */
const PIPELINE = {
  id: 'default',
  label: 'Sales Pipeline',
  displayOrder: 0,
  stages: [
    {
      id: 'appointmentscheduled',
      label: 'Appointment scheduled',
      metadata: { isClosed: 'false', probability: '0.2' },
    },
    { id: 'closedwon', label: 'Closed won', metadata: { isClosed: 'true', probability: '1.0' } },
    { id: 'closedlost', label: 'Closed lost', metadata: { isClosed: 'true', probability: '0.0' } },
  ],
}

export interface HubSpotStandIn {
  baseUrl: string
  authorizeUrl: string
  portalId: number
  appId: number
  contacts: Map<string, StandInContact>
  companies: Map<string, StandInCompany>
  /** contact id → its primary company id */
  primaryCompany: Map<string, string>
  /** Deals (properties as HubSpot returns them: dealstage, closedate…) and their contacts' ids. */
  deals: Map<string, StandInDeal>
  groups: { name: string; label: string }[]
  properties: { name: string; type: string; fieldType: string; groupName: string; options?: unknown[] }[]
  /**
   * The Install button of a Marketplace listing (HubSpot's install flow without partner sign-in):
   * consents at once and answers the URL HubSpot sends the user to — `installUrl` with a fresh
   * `code` (issued for that URL) and `returnUrl`. `scopes`: what the app's configuration asks for.
   */
  listingInstall(installUrl: string, opts?: { returnUrl?: string; scopes?: string[] }): string
  /** Every call, in order: `METHOD /path` and the parsed body. */
  calls: { route: string; body: unknown }[]
  batchUpdates(): { inputs: { id: string; properties: Record<string, string> }[] }[]
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function json(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json;charset=utf-8' })
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

export async function startHubSpotStandIn(
  opts: {
    portalId?: number
    appId?: number
    contacts?: StandInContact[]
    companies?: StandInCompany[]
    primaryCompany?: Record<string, string>
  } = {},
) {
  const portalId = opts.portalId ?? 62515
  const appId = opts.appId ?? 12345
  const contacts = new Map((opts.contacts ?? []).map((c) => [c.id, c]))
  const companies = new Map((opts.companies ?? []).map((c) => [c.id, c]))
  const primaryCompany = new Map(Object.entries(opts.primaryCompany ?? {}))
  const deals = new Map<string, StandInDeal>()
  // The scopes the last consent granted (what the install URL asked for), as introspection reports.
  let granted: string[] = ['oauth']
  const groups = [{ name: 'contactinformation', label: 'Contact information' }]
  const properties: HubSpotStandIn['properties'] = [
    { name: 'email', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  ]
  const calls: HubSpotStandIn['calls'] = []
  const tokens = new Set<string>()
  // Authorization codes: single use, and only for the redirect URI they were issued to, as OAuth says.
  const codes = new Map<string, string>()
  const newCode = (redirectUri: string) => {
    const code = `code-${randomUUID()}`
    codes.set(code, redirectUri)
    return code
  }
  const now = () => new Date().toISOString()
  const view = (c: StandInContact, props?: string[]) => ({
    id: c.id,
    properties: props ? Object.fromEntries(props.map((p) => [p, c.properties[p] ?? null])) : c.properties,
    createdAt: c.properties['createdate'] ?? now(),
    updatedAt: c.properties['lastmodifieddate'] ?? now(),
    archived: false,
  })
  const issue = () => {
    const access = `stand-in-${randomUUID()}`
    tokens.add(access)
    return {
      token_type: 'bearer',
      access_token: access,
      refresh_token: `refresh-${randomUUID()}`,
      expires_in: 1800,
    }
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
    const authorised = () => tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))

    if (route === 'GET /oauth/authorize') {
      granted = (url.searchParams.get('scope') ?? 'oauth').split(' ').filter(Boolean)
      const back = new URL(url.searchParams.get('redirect_uri')!)
      back.searchParams.set('code', newCode(url.searchParams.get('redirect_uri')!))
      back.searchParams.set('state', url.searchParams.get('state') ?? '')
      res.writeHead(302, { location: back.toString() })
      return res.end()
    }
    if (route === 'POST /oauth/v3/token') {
      const f = body as Record<string, string>
      if (f['grant_type'] === 'authorization_code') {
        const issuedTo = codes.get(f['code'] ?? '')
        codes.delete(f['code'] ?? '')
        if (issuedTo !== undefined && issuedTo === f['redirect_uri']) return json(res, 200, issue())
        return json(res, 400, { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' })
      }
      if (f['grant_type'] === 'refresh_token' && f['refresh_token']?.startsWith('refresh-'))
        return json(res, 200, issue())
      return json(res, 400, { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' })
    }
    if (route === 'POST /oauth/v3/token/introspect') {
      const f = body as Record<string, string>
      return json(res, 200, {
        active: tokens.has(f['token'] ?? ''),
        hub_id: portalId,
        app_id: appId,
        scopes: granted,
      })
    }
    if (!authorised())
      return json(res, 401, { status: 'error', category: 'INVALID_AUTHENTICATION', message: 'bad token' })

    if (route === 'GET /crm/v3/properties/contacts/groups') return json(res, 200, { results: groups })
    if (route === 'POST /crm/v3/properties/contacts/groups') {
      const g = body as { name: string; label: string }
      if (groups.some((x) => x.name === g.name))
        return json(res, 409, { status: 'error', category: 'OBJECT_ALREADY_EXISTS' })
      groups.push(g)
      return json(res, 201, g)
    }
    if (route === 'GET /crm/v3/properties/contacts') return json(res, 200, { results: properties })
    if (route === 'POST /crm/v3/properties/contacts') {
      const p = body as HubSpotStandIn['properties'][number]
      if (properties.some((x) => x.name === p.name))
        return json(res, 409, { status: 'error', category: 'OBJECT_ALREADY_EXISTS' })
      properties.push(p)
      return json(res, 201, p)
    }
    if (route === 'GET /crm/v3/objects/contacts') {
      const all = [...contacts.values()].sort((a, b) => Number(a.id) - Number(b.id))
      const after = Number(url.searchParams.get('after') ?? 0)
      const limit = Number(url.searchParams.get('limit') ?? 10)
      const asked = url.searchParams.getAll('properties').flatMap((x) => x.split(','))
      const props = asked.length > 0 ? asked : undefined
      const page = all.slice(after, after + limit)
      const next = after + limit < all.length ? { paging: { next: { after: String(after + limit) } } } : {}
      return json(res, 200, { results: page.map((c) => view(c, props)), ...next })
    }
    if (route === 'POST /crm/v3/objects/contacts/batch/read') {
      const b = body as { inputs: { id: string }[]; properties: string[] }
      const found = b.inputs.map((i) => contacts.get(i.id)).filter((c): c is StandInContact => !!c)
      return json(res, 200, {
        status: 'COMPLETE',
        results: found.map((c) => view(c, b.properties)),
        startedAt: now(),
        completedAt: now(),
      })
    }
    if (route === 'POST /crm/v3/objects/contacts/batch/update') {
      const b = body as { inputs: { id: string; properties: Record<string, string> }[] }
      const results = []
      for (const i of b.inputs) {
        const c = contacts.get(i.id)
        if (!c) continue
        Object.assign(c.properties, i.properties)
        results.push(view(c))
      }
      return json(res, 200, { status: 'COMPLETE', results, startedAt: now(), completedAt: now() })
    }
    if (route === 'POST /crm/v3/objects/contacts/search') {
      const b = body as { filterGroups: { filters: { value: string }[] }[]; properties: string[] }
      const since = Number(b.filterGroups[0]?.filters[0]?.value ?? 0)
      const hits = [...contacts.values()].filter(
        (c) => Date.parse(c.properties['lastmodifieddate'] ?? '') >= since,
      )
      return json(res, 200, { total: hits.length, results: hits.map((c) => view(c, b.properties)) })
    }
    if (route === 'POST /crm/v4/associations/contacts/companies/batch/read') {
      // https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations
      const b = body as { inputs: { id: string }[] }
      const results = b.inputs
        .filter((i) => primaryCompany.has(i.id))
        .map((i) => ({
          from: { id: i.id },
          to: [
            {
              toObjectId: Number(primaryCompany.get(i.id)),
              associationTypes: [
                { category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' },
                { category: 'HUBSPOT_DEFINED', typeId: 279, label: null },
              ],
            },
          ],
        }))
      return json(res, 200, { status: 'COMPLETE', results, startedAt: now(), completedAt: now() })
    }
    if (route === 'POST /crm/v3/objects/companies/batch/read') {
      const b = body as { inputs: { id: string }[]; properties: string[] }
      const found = b.inputs.map((i) => companies.get(i.id)).filter((c): c is StandInCompany => !!c)
      return json(res, 200, {
        status: 'COMPLETE',
        results: found.map((c) => ({
          id: c.id,
          properties: Object.fromEntries(b.properties.map((p) => [p, c.properties[p] ?? null])),
          createdAt: now(),
          updatedAt: now(),
          archived: false,
        })),
        startedAt: now(),
        completedAt: now(),
      })
    }
    if (route === 'GET /crm/v3/pipelines/deals') return json(res, 200, { results: [PIPELINE] })
    if (route === 'POST /crm/v3/objects/deals/batch/read') {
      const b = body as { inputs: { id: string }[]; properties: string[] }
      const found = b.inputs.map((i) => deals.get(i.id)).filter((d): d is StandInDeal => !!d)
      return json(res, 200, {
        status: 'COMPLETE',
        results: found.map((d) => ({
          id: d.id,
          properties: Object.fromEntries(b.properties.map((p) => [p, d.properties[p] ?? null])),
          archived: false,
        })),
        startedAt: now(),
        completedAt: now(),
      })
    }
    if (route === 'POST /crm/v4/associations/deals/contacts/batch/read') {
      const b = body as { inputs: { id: string }[] }
      const results = b.inputs
        .filter((i) => deals.has(i.id))
        .map((i) => ({
          from: { id: i.id },
          to: deals.get(i.id)!.contactIds.map((c) => ({
            toObjectId: Number(c),
            associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }],
          })),
        }))
      return json(res, 200, { status: 'COMPLETE', results, startedAt: now(), completedAt: now() })
    }
    if (route === 'DELETE /appinstalls/v3/external-install') return json(res, 204)
    return json(res, 404, {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: `no stand-in for ${route}`,
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  const standIn: HubSpotStandIn = {
    baseUrl,
    authorizeUrl: `${baseUrl}/oauth/authorize`,
    portalId,
    appId,
    contacts,
    companies,
    primaryCompany,
    deals,
    groups,
    properties,
    calls,
    listingInstall: (installUrl, opts = {}) => {
      const returnUrl = opts.returnUrl ?? `https://app.hubspot.com/marketplace/${portalId}/installed`
      if (opts.scopes) granted = opts.scopes
      const url = new URL(installUrl)
      url.searchParams.set('code', newCode(installUrl))
      url.searchParams.set('returnUrl', returnUrl)
      return url.toString()
    },
    batchUpdates: () =>
      calls
        .filter((c) => c.route === 'POST /crm/v3/objects/contacts/batch/update')
        .map((c) => c.body as never),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  return standIn
}
