/**
 * The Connections tab's actions (issue 8 §5): retrying parked write-backs (admin, CSRF), disconnecting
 * a connection (admin, CSRF) and "connect another CRM", which attaches a new HubSpot portal to the
 * signed-in admin's workspace.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { PipedriveServices } from '../../src/crm/pipedrive/index.js'
import { createLoginLink } from '../../src/sessions/login-links.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const PORTAL = '62515' // the hub_id of the introspection fixture
const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}
let t: TestApp

beforeAll(async () => {
  nock.disableNetConnect()
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
  nock.enableNetConnect()
})
afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})

async function signIn(workspaceId: string, role: 'admin' | 'viewer' = 'admin') {
  const link = new URL(await createLoginLink(t.deps, { workspaceId, role, actor: `${role} tester` }))
  const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
  const cookie = res.cookies.find((c) => c.name === 'leadgrid_session')!
  const headers = { cookie: `leadgrid_session=${encodeURIComponent(cookie.value)}` }
  const session = await t.app.inject({ method: 'GET', url: '/app/api/session', headers })
  // The session holds the CSRF secret from here on: use the cookie as the session call set it.
  const again = session.cookies.find((c) => c.name === 'leadgrid_session') ?? cookie
  return {
    cookie: `leadgrid_session=${encodeURIComponent(again.value)}`,
    'x-csrf-token': session.json().csrfToken as string,
  }
}

async function connection(workspaceId: string, portalId: string) {
  return t.deps.db
    .insertInto('connections')
    .values({ workspace_id: workspaceId, provider: 'hubspot', account_id: portalId })
    .returning('id')
    .executeTakeFirstOrThrow()
}

describe('POST /app/api/connections/:id/retry-parked', () => {
  it('moves only this connection’s parked write-backs back to pending, queues a flush and audits it', async () => {
    const ws = t.workspace.workspaceId
    const { id } = await connection(ws, '1001')
    const other = await connection(ws, '1002')
    const row = (connectionId: string, status: 'pending' | 'parked') => ({
      workspace_id: ws,
      connection_id: connectionId,
      contact_id: randomUUID(),
      crm_id: '1',
      properties: JSON.stringify({ leadgrid_score: 10 }),
      status,
      attempts: status === 'parked' ? 5 : 1,
      last_error: status === 'parked' ? 'PROPERTY_DOESNT_EXIST' : null,
    })
    await t.deps.db
      .insertInto('outbox')
      .values([row(id, 'parked'), row(id, 'parked'), row(id, 'pending'), row(other.id, 'parked')])
      .execute()
    const admin = await signIn(ws)
    const url = `/app/api/connections/${id}/retry-parked`

    // Viewers and requests without the CSRF token change nothing.
    const viewer = await signIn(ws, 'viewer')
    expect((await t.app.inject({ method: 'POST', url, headers: viewer, payload: {} })).statusCode).toBe(403)
    const { 'x-csrf-token': _, ...noCsrf } = admin
    expect((await t.app.inject({ method: 'POST', url, headers: noCsrf, payload: {} })).statusCode).toBe(403)

    const res = await t.app.inject({ method: 'POST', url, headers: admin, payload: {} })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ retried: 2 })
    const rows = await t.deps.db
      .selectFrom('outbox')
      .select(['connection_id', 'status', 'attempts'])
      .execute()
    expect(rows.filter((r) => r.connection_id === id).map((r) => r.status)).toEqual([
      'pending',
      'pending',
      'pending',
    ])
    expect(rows.filter((r) => r.connection_id === id && r.attempts === 0)).toHaveLength(2)
    expect(rows.find((r) => r.connection_id === other.id)?.status).toBe('parked')
    expect((await t.deps.queue.depth())['crm-flush']).toBeGreaterThanOrEqual(1)
    const audit = await t.app.inject({ method: 'GET', url: '/app/api/audit', headers: admin })
    expect(audit.json().entries[0]).toMatchObject({
      actor: 'admin tester',
      action: 'connection.parked_retried',
      details: { connectionId: id, rows: 2 },
    })
    // The connections panel shows the backlog as it now is.
    const panel = await t.app.inject({ method: 'GET', url: '/app/api/connections', headers: admin })
    expect(panel.json().connections.find((c: { id: string }) => c.id === id)).toMatchObject({
      parkedWrites: 0,
      pendingWrites: 3,
    })
  })

  it('answers 404 for another workspace’s connection and touches nothing there', async () => {
    const stranger = await t.createWorkspace('Stranger')
    const { id } = await connection(stranger.workspaceId, '1003')
    await t.deps.db
      .insertInto('outbox')
      .values({
        workspace_id: stranger.workspaceId,
        connection_id: id,
        contact_id: randomUUID(),
        crm_id: '1',
        properties: JSON.stringify({}),
        status: 'parked',
      })
      .execute()
    const admin = await signIn(t.workspace.workspaceId)
    const res = await t.app.inject({
      method: 'POST',
      url: `/app/api/connections/${id}/retry-parked`,
      headers: admin,
      payload: {},
    })
    expect(res.statusCode).toBe(404)
    const left = await t.deps.db
      .selectFrom('outbox')
      .select('status')
      .where('connection_id', '=', id)
      .executeTakeFirstOrThrow()
    expect(left.status).toBe('parked')
  })
})

describe('connect another CRM (HubSpot install attached to this workspace)', () => {
  async function installLink(headers: Record<string, string>) {
    return t.app.inject({
      method: 'POST',
      url: '/app/api/connections/hubspot/install-link',
      headers,
      payload: {},
    })
  }

  async function startAttach(workspaceId: string) {
    const res = await installLink(await signIn(workspaceId))
    expect(res.statusCode).toBe(200)
    const attach = res.cookies.find((c) => c.name === 'leadgrid_hubspot_attach')!
    expect(attach).toMatchObject({ httpOnly: true, path: '/oauth/hubspot/install', sameSite: 'Lax' })
    return { url: res.json().url as string, cookies: { [attach.name]: attach.value } }
  }

  function hubspotAcceptsTheCode() {
    nock(API)
      .post('/oauth/v3/token')
      .reply(200, fixture('oauth-token-response.json'))
      .post('/oauth/v3/token/introspect')
      .reply(200, fixture('oauth-introspect-response.json'))
  }

  async function install(url: string, cookies: Record<string, string>) {
    const started = await t.app.inject({ method: 'GET', url, cookies })
    expect(started.statusCode).toBe(302)
    const state = new URL(started.headers.location as string).searchParams.get('state')!
    const stateCookie = started.cookies.find((c) => c.name === 'leadgrid_hubspot_oauth_state')!
    hubspotAcceptsTheCode()
    return t.app.inject({
      method: 'GET',
      url: `/oauth/hubspot/callback?code=the-code&state=${encodeURIComponent(state)}`,
      cookies: { [stateCookie.name]: stateCookie.value },
    })
  }

  it('attaches the new portal to the admin’s workspace instead of creating one', async () => {
    const ws = await t.createWorkspace('Attach here')
    const workspacesBefore = await t.deps.db.selectFrom('workspaces').select('id').execute()
    const { url, cookies } = await startAttach(ws.workspaceId)
    expect(url).toMatch(/^\/oauth\/hubspot\/install\?attach=/)
    const done = await install(url, cookies)
    expect(done.statusCode).toBe(302)
    expect(done.headers.location).toMatch(/\/app\/\?installed=hubspot&portalId=62515#connections$/)
    const conn = await t.deps.db
      .selectFrom('connections')
      .select(['workspace_id', 'status'])
      .where('account_id', '=', PORTAL)
      .executeTakeFirstOrThrow()
    expect(conn).toEqual({ workspace_id: ws.workspaceId, status: 'active' })
    expect(await t.deps.db.selectFrom('workspaces').select('id').execute()).toHaveLength(
      workspacesBefore.length,
    )
  })

  it('refuses to move a portal already connected to another workspace (409)', async () => {
    const other = await t.createWorkspace('Not the owner')
    const { url, cookies } = await startAttach(other.workspaceId)
    const res = await install(url, cookies)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('portal_in_other_workspace')
  })

  it('needs the browser that asked for the link, once, and an admin to ask', async () => {
    const { url, cookies } = await startAttach(t.workspace.workspaceId)
    const noCookie = await t.app.inject({ method: 'GET', url })
    expect(noCookie.statusCode).toBe(400)
    expect(noCookie.json().error.code).toBe('invalid_attach')
    expect((await t.app.inject({ method: 'GET', url, cookies })).statusCode).toBe(302)
    expect((await t.app.inject({ method: 'GET', url, cookies })).statusCode).toBe(400)
    const forged = `/oauth/hubspot/install?attach=${encodeURIComponent('eyJ3b3Jrc3BhY2VJZCI6IngifQ.bad')}`
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: forged,
          cookies: { leadgrid_hubspot_attach: 'eyJ3b3Jrc3BhY2VJZCI6IngifQ.bad' },
        })
      ).statusCode,
    ).toBe(400)

    const viewer = await installLink(await signIn(t.workspace.workspaceId, 'viewer'))
    expect(viewer.statusCode).toBe(403)
  })
})

describe('POST /app/api/connections/pipedrive/install-link', () => {
  it("gives an admin a Pipedrive install link that attaches to the admin's workspace; refuses viewers", async () => {
    const pd = await startTestApp({
      env: {
        PIPEDRIVE_CLIENT_ID: 'pd-client',
        PIPEDRIVE_CLIENT_SECRET: 'pd-secret-0123456789',
        PIPEDRIVE_OAUTH_BASE: 'https://oauth.pipedrive.test',
      },
    })
    try {
      const link = new URL(
        await createLoginLink(pd.deps, { workspaceId: pd.workspace.workspaceId, role: 'admin' }),
      )
      const res = await pd.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
      const cookie = res.cookies.find((c) => c.name === 'leadgrid_session')!
      const first = { cookie: `leadgrid_session=${encodeURIComponent(cookie.value)}` }
      const session = await pd.app.inject({ method: 'GET', url: '/app/api/session', headers: first })
      const again = session.cookies.find((c) => c.name === 'leadgrid_session') ?? cookie
      const headers = {
        cookie: `leadgrid_session=${encodeURIComponent(again.value)}`,
        'x-csrf-token': session.json().csrfToken as string,
      }
      const made = await pd.app.inject({
        method: 'POST',
        url: '/app/api/connections/pipedrive/install-link',
        headers,
      })
      expect(made.statusCode).toBe(200)
      const url = made.json().url as string
      expect(url).toMatch(/^\/oauth\/pipedrive\/install\?attach=/)
      // The link names this workspace (read back as the install route reads it) …
      const attach = new URL(url, 'https://leadgrid.test').searchParams.get('attach')!
      expect(
        (pd.deps.crm.partsOf('pipedrive').services as PipedriveServices).install.readAttachToken(attach),
      ).toBe(pd.workspace.workspaceId)
      // … and starts Pipedrive's consent.
      const start = await pd.app.inject({ method: 'GET', url })
      expect(start.statusCode).toBe(302)
      expect(start.headers.location).toMatch(/^https:\/\/oauth\.pipedrive\.test\/oauth\/authorize\?/)
    } finally {
      await pd.close()
    }
  })

  it('answers 503 naming the variables when Pipedrive is not configured, and 403 to a viewer', async () => {
    const admin = await signIn(t.workspace.workspaceId)
    const res = await t.app.inject({
      method: 'POST',
      url: '/app/api/connections/pipedrive/install-link',
      headers: admin,
    })
    expect(res.statusCode).toBe(503)
    expect(res.json().error.message).toMatch(/PIPEDRIVE_CLIENT_ID/)
    const viewer = await signIn(t.workspace.workspaceId, 'viewer')
    const refused = await t.app.inject({
      method: 'POST',
      url: '/app/api/connections/pipedrive/install-link',
      headers: viewer,
    })
    expect(refused.statusCode).toBe(403)
  })
})

describe('POST /app/api/connections/:id/disconnect', () => {
  const status = async (id: string) =>
    (
      await t.deps.db
        .selectFrom('connections')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).status

  it('refuses a viewer (403), another workspace’s connection (404) and a request without CSRF token; nothing is disconnected', async () => {
    const ws = t.workspace.workspaceId
    const { id } = await connection(ws, '1004')
    const viewer = await signIn(ws, 'viewer')
    const asViewer = await t.app.inject({
      method: 'POST',
      url: `/app/api/connections/${id}/disconnect`,
      headers: viewer,
      payload: {},
    })
    expect(asViewer.statusCode).toBe(403)
    const admin = await signIn(ws)
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: `/app/api/connections/${id}/disconnect`,
      headers: { cookie: admin.cookie },
      payload: {},
    })
    expect(noCsrf.statusCode).toBe(403)
    const stranger = await t.createWorkspace('Stranger 2')
    const other = await connection(stranger.workspaceId, '1005')
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: `/app/api/connections/${other.id}/disconnect`,
      headers: admin,
      payload: {},
    })
    expect(elsewhere.statusCode).toBe(404)
    expect([await status(id), await status(other.id)]).toEqual(['active', 'active'])
  })
})
