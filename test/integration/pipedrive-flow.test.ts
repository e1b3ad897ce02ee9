/**
 * The Pipedrive app end to end on the real database, Pipedrive played by nock against the official
 * `pipedrive` client (and our token call): install (attached to a workspace, and from the Marketplace
 * without state) → provisioning + webhooks + backfill → score → one PATCH per person; a v2 webhook →
 * rescore → one PATCH with only the changed fields; redelivery, Basic-auth refusals, own-write echo,
 * merge, deal outcomes, the panel JWT, concurrent token refresh, the daily budget, uninstall.
 */
import { SignJWT } from 'jose'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import { fieldMapOf } from '../../src/crm/pipedrive/provisioning.js'
import { PIPEDRIVE_STATE_COOKIE } from '../../src/crm/pipedrive/routes-oauth.js'
import { pipedriveFixture } from '../helpers/pipedrive-fixtures.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const OAUTH = 'https://oauth.pipedrive.test'
const API = 'https://acme-sandbox.pipedrive.com' // the fixture token's api_domain
const CLIENT_ID = 'pd-client-id'
const CLIENT_SECRET = 'pd-client-secret-0123456789'
const COMPANY = '5380474'
const ENV = {
  PIPEDRIVE_CLIENT_ID: CLIENT_ID,
  PIPEDRIVE_CLIENT_SECRET: CLIENT_SECRET,
  PIPEDRIVE_OAUTH_BASE: OAUTH,
}
const appBasic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`

const clock = fixedClock('2026-11-30T12:00:00.000Z')
let t: TestApp
let workspaceId = ''
let connectionId = ''
let hookAuth = { user: '', password: '' }

const person = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: 'Claire Martin',
  first_name: 'Claire',
  last_name: 'Martin',
  job_title: 'Sales Assistant',
  emails: [{ label: 'work', value: 'claire@acme-software.com', primary: true }],
  org_id: 1,
  owner_id: 777,
  add_time: '2026-10-01T09:00:00Z',
  update_time: '2026-11-20T10:00:00Z',
  custom_fields: {},
  ...over,
})
const claireM = () =>
  person(9, {
    name: 'Claire M.',
    first_name: 'Claire',
    last_name: 'M.',
    job_title: null,
    emails: [{ value: 'claire.m@gmail.com', primary: true }],
  })

interface PersonChange {
  meta: Record<string, unknown>
  data: Record<string, unknown>
  previous: Record<string, unknown> | null
}
const personChange = () => pipedriveFixture<PersonChange>('webhook-person-change.json')

/**
 * A job title that flips person `id` between decision maker and not (every title it had before is a
 * decision maker's, except 'Intern'), so its fit and score change.
 */
async function otherTitle(id: string): Promise<string> {
  const row = await t.deps.db
    .selectFrom('contacts')
    .innerJoin('contact_identities', (j) =>
      j
        .onRef('contact_identities.contact_id', '=', 'contacts.id')
        .on('contact_identities.kind', '=', 'pipedrive')
        .on('contact_identities.value', '=', id),
    )
    .select('contacts.properties')
    .executeTakeFirstOrThrow()
  return row.properties.jobtitle === 'Intern' ? 'CEO' : 'Intern'
}

const jobs = () => crmJobHandlers(t.deps)
const payload = () => ({ workspaceId, connectionId })
/** Leadgrid's webhooks as Pipedrive lists them (`object.action` each). */
const ourHooks = (kinds: string[]) =>
  kinds.map((k, i) => {
    const [event_object, event_action] = k.split('.')
    return {
      id: 50 + i,
      event_object,
      event_action,
      version: '2.0',
      subscription_url: `https://leadgrid.test/webhooks/pipedrive/${connectionId}`,
    }
  })

const connection = () =>
  t.deps.db.selectFrom('connections').selectAll().where('id', '=', connectionId).executeTakeFirstOrThrow()
const count = async (table: 'inbound_deliveries' | 'outbox' | 'scores' | 'contacts') =>
  Number(
    (
      await t.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow()
    ).n,
  )

/** `auth` null: no Authorization header; absent: the connection's own credentials. */
function webhook(body: unknown, auth: string | null = basic(hookAuth.user, hookAuth.password)) {
  return t.app.inject({
    method: 'POST',
    url: `/webhooks/pipedrive/${connectionId}`,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    payload: JSON.stringify(body),
  })
}
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`

/** Answers a person-field creation the way Pipedrive does: a 40-char code, options with ids. */
let nextOption = 100
function fieldCreated(_uri: string, body: Record<string, unknown>) {
  const name = String(body.field_name)
  const code = Buffer.from(name).toString('hex').padEnd(40, '0').slice(0, 40)
  const options = Array.isArray(body.options)
    ? (body.options as { label: string }[]).map((o) => ({ id: nextOption++, label: o.label }))
    : null
  return [
    200,
    {
      success: true,
      data: {
        field_name: name,
        field_code: code,
        field_type: body.field_type,
        is_custom_field: true,
        options,
      },
    },
  ]
}

beforeAll(async () => {
  nock.disableNetConnect()
  nock.enableNetConnect(/127\.0\.0\.1|localhost/)
  t = await startTestApp({ clock, env: ENV })
  workspaceId = t.workspace.workspaceId
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

describe('Pipedrive install', () => {
  it('an install link from a workspace attaches Pipedrive to it; the state is bound to the browser and single-use', async () => {
    const link = await t.app.inject({
      method: 'GET',
      url: '/api/v1/pipedrive/install-link',
      headers: { authorization: `Bearer ${t.workspace.apiKey}` },
    })
    expect(link.statusCode).toBe(200)
    const installUrl = new URL(link.json().url)
    const install = await t.app.inject({ method: 'GET', url: installUrl.pathname + installUrl.search })
    expect(install.statusCode).toBe(302)
    const authorize = new URL(install.headers.location as string)
    expect(authorize.origin + authorize.pathname).toBe(`${OAUTH}/oauth/authorize`)
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://leadgrid.test/oauth/pipedrive/callback')
    const state = authorize.searchParams.get('state')!
    const cookie = install.cookies.find((c) => c.name === PIPEDRIVE_STATE_COOKIE)!
    expect(cookie.value).toBe(state)

    // Another browser (no cookie), or a forged state: refused before any token call.
    const noCookie = await t.app.inject({
      method: 'GET',
      url: `/oauth/pipedrive/callback?code=c&state=${state}`,
    })
    expect(noCookie.statusCode).toBe(400)
    expect(noCookie.json().error.code).toBe('install_not_started')
    const forged = await t.app.inject({
      method: 'GET',
      url: `/oauth/pipedrive/callback?code=c&state=${state}x`,
      cookies: { [PIPEDRIVE_STATE_COOKIE]: `${state}x` },
    })
    expect(forged.statusCode).toBe(400)
    expect(forged.json().error.code).toBe('invalid_state')

    const token = nock(OAUTH)
      .post('/oauth/token', (b) => b.grant_type === 'authorization_code' && b.code === 'good-code')
      .matchHeader('authorization', appBasic)
      .reply(200, pipedriveFixture('token-response.json'))
    nock(API).get('/api/v1/users/me').reply(200, pipedriveFixture('users-me.json'))
    const callback = await t.app.inject({
      method: 'GET',
      url: `/oauth/pipedrive/callback?code=good-code&state=${encodeURIComponent(state)}`,
      cookies: { [PIPEDRIVE_STATE_COOKIE]: state },
    })
    expect(callback.statusCode).toBe(302)
    expect(callback.headers.location).toContain('installed=pipedrive')
    expect(token.isDone()).toBe(true)
    const row = await t.deps.db
      .selectFrom('connections')
      .selectAll()
      .where('provider', '=', 'pipedrive')
      .where('account_id', '=', COMPANY)
      .executeTakeFirstOrThrow()
    expect(row.workspace_id).toBe(workspaceId)
    expect(row.api_base).toBe(API)
    expect(row.access_token_enc).not.toContain('v1u:')
    expect(t.deps.secretBox.decrypt(row.access_token_enc!)).toBe(
      pipedriveFixture('token-response.json').access_token,
    )
    connectionId = row.id

    const replay = await t.app.inject({
      method: 'GET',
      url: `/oauth/pipedrive/callback?code=good-code&state=${encodeURIComponent(state)}`,
      cookies: { [PIPEDRIVE_STATE_COOKIE]: state },
    })
    expect(replay.statusCode).toBe(400)
    expect(replay.json().error.code).toBe('state_used')
  })

  it('a Marketplace install arrives without state and still completes, into its own new workspace', async () => {
    nock(OAUTH)
      .post('/oauth/token')
      .matchHeader('authorization', appBasic)
      .reply(200, { ...pipedriveFixture('token-response.json'), api_domain: 'https://other.pipedrive.com' })
    nock('https://other.pipedrive.com')
      .get('/api/v1/users/me')
      .reply(200, {
        success: true,
        data: { id: 5, company_id: 424242, company_name: 'Other', is_admin: true },
      })
    const res = await t.app.inject({ method: 'GET', url: '/oauth/pipedrive/callback?code=market-code' })
    expect(res.statusCode).toBe(302)
    const row = await t.deps.db
      .selectFrom('connections')
      .select(['workspace_id', 'status'])
      .where('provider', '=', 'pipedrive')
      .where('account_id', '=', '424242')
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('active')
    expect(row.workspace_id).not.toBe(workspaceId)
  })

  it('a user who declines gets a clear 400, not an error page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/oauth/pipedrive/callback?error=user_denied' })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toContain('cancelled')
  })

  it('provisions the person fields once, registers three v2 webhooks with Basic credentials, backfills', async () => {
    nock(API).get('/api/v2/personFields').query(true).reply(200, pipedriveFixture('person-fields.json'))
    const created: string[] = []
    nock(API)
      .post('/api/v2/personFields')
      .times(7)
      .reply((uri, body) => {
        created.push(String((body as Record<string, unknown>).field_name))
        return fieldCreated(uri, body as Record<string, unknown>) as [number, unknown]
      })
    nock(API).get('/api/v1/webhooks').reply(200, { success: true, data: [] })
    const hooks: Record<string, unknown>[] = []
    nock(API)
      .post('/api/v1/webhooks')
      .times(3)
      .reply((_uri, body) => {
        hooks.push(body as Record<string, unknown>)
        return [201, { success: true, data: { id: hooks.length, ...(body as object) } }]
      })
    nock(API)
      .get('/api/v2/persons')
      .query((q) => q.limit === '500' && q.cursor === undefined)
      .reply(200, { success: true, data: [person(8), claireM()], additional_data: { next_cursor: null } })

    await jobs()['crm-install'](payload())
    // The two fields that exist with the right type are reused; "Fit score" exists as text: a new one.
    expect(created.sort()).toEqual(
      [
        'Engagement score',
        'Fit score',
        'Lead grade',
        'MQL date',
        'MQL status',
        'Score reasons',
        'Scored at',
      ].sort(),
    )
    expect(hooks.map((h) => `${h.event_object}.${h.event_action}`)).toEqual([
      'person.*',
      'activity.*',
      'deal.change',
    ])
    for (const h of hooks) {
      expect(h.version).toBe('2.0')
      expect(h.subscription_url).toBe(`https://leadgrid.test/webhooks/pipedrive/${connectionId}`)
      expect(h.user_id).toBe(777)
    }
    hookAuth = { user: String(hooks[0]!.http_auth_user), password: String(hooks[0]!.http_auth_password) }
    expect(hookAuth.password.length).toBeGreaterThanOrEqual(24)
    const row = await connection()
    const fields = fieldMapOf(row)
    expect(fields.score?.code).toBe('a4e5f7c1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7')
    expect(fields.band?.options).toEqual({ cold: 11, warm: 12, hot: 13 })
    expect(row.backfill).toMatchObject({ status: 'done', processed: 2 })

    // Health never shows the sealed webhook credentials.
    const health = await t.deps.crm.connections.health(workspaceId)
    const mine = health.find((h) => h.id === connectionId)!
    expect(mine.settings).not.toHaveProperty('webhookAuthEnc')
    expect(JSON.stringify(mine)).not.toContain(hookAuth.password)

    // A second install run provisions nothing again.
    await jobs()['crm-install'](payload())
  })

  it('scores reach Pipedrive: one PATCH per person with the connection’s field codes', async () => {
    expect(await t.rescoreNow(workspaceId)).toBe(2)
    const fields = fieldMapOf(await connection())
    const bodies = new Map<string, Record<string, unknown>>()
    nock(API)
      .patch(/\/api\/v2\/persons\/(8|9)$/)
      .times(2)
      .reply((uri, body) => {
        bodies.set(uri.split('/').pop()!, body as Record<string, unknown>)
        return [200, { success: true, data: { id: Number(uri.split('/').pop()) } }]
      })
    await jobs()['crm-flush'](payload())
    expect([...bodies.keys()].sort()).toEqual(['8', '9'])
    const score = await t.deps.db
      .selectFrom('scores')
      .innerJoin('contact_identities', (j) =>
        j
          .onRef('contact_identities.contact_id', '=', 'scores.contact_id')
          .on('contact_identities.value', '=', '8'),
      )
      .selectAll('scores')
      .executeTakeFirstOrThrow()
    const body8 = bodies.get('8')!.custom_fields as Record<string, unknown>
    expect(Object.keys(bodies.get('8')!)).toEqual(['custom_fields'])
    expect(body8[fields.score!.code]).toBe(score.total)
    expect(body8[fields.band!.code]).toBe(fields.band!.options![score.band])
    expect(Object.keys(body8).sort()).toEqual(
      Object.values(fields)
        .map((f) => f!.code)
        .sort(),
    )
    expect(await count('outbox')).toBe(0)
  })
})

describe('Pipedrive webhooks', () => {
  const change = () => personChange()

  it('refuses wrong or missing credentials with 401 and stores nothing', async () => {
    const before = await count('inbound_deliveries')
    expect((await webhook(change(), null)).statusCode).toBe(401)
    expect((await webhook(change(), basic(hookAuth.user, 'wrong'))).statusCode).toBe(401)
    expect((await webhook(change(), basic('someone', hookAuth.password))).statusCode).toBe(401)
    expect((await webhook(change(), appBasic)).statusCode).toBe(401)
    expect(await count('inbound_deliveries')).toBe(before)
  })

  it('unknown connections are acknowledged and dropped', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/pipedrive/00000000-0000-4000-8000-000000000000',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(change()),
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().dropped).toBe(true)
  })

  it('a person change rescores and sends one PATCH with only the changed fields; redelivery changes nothing', async () => {
    const res = await webhook(change())
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ stored: 1, duplicates: 0 })
    // The person as Pipedrive holds it now: promoted to CEO.
    nock(API)
      .get('/api/v2/persons/8')
      .reply(200, { success: true, data: person(8, { job_title: 'CEO' }) })
    await jobs()['crm-process-deliveries'](payload())
    await t.rescoreNow(workspaceId)
    const outbox = await t.deps.db.selectFrom('outbox').selectAll().execute()
    expect(outbox).toHaveLength(1)
    const fields = fieldMapOf(await connection())
    let sent: Record<string, unknown> | undefined
    nock(API)
      .patch('/api/v2/persons/8')
      .reply((_uri, body) => {
        sent = body as Record<string, unknown>
        return [200, { success: true, data: { id: 8 } }]
      })
    await jobs()['crm-flush'](payload())
    expect(sent).toEqual({ custom_fields: outbox[0]!.properties })
    const keys = Object.keys(sent!.custom_fields as object)
    expect(keys).toContain(fields.fit!.code) // seniority changed the fit
    expect(keys).not.toContain(fields.engagement!.code) // engagement did not change

    // The same delivery again (Pipedrive retries): stored once, nothing processed, nothing sent.
    const again = await webhook({ ...change(), meta: { ...change().meta, attempt: 2 } })
    expect(again.json()).toEqual({ stored: 0, duplicates: 1 })
    await jobs()['crm-process-deliveries'](payload())
    expect(await t.rescoreNow(workspaceId)).toBe(0)
    await jobs()['crm-flush'](payload())
  })

  it('the echo of Leadgrid’s own field write is ignored (no read, no rescore)', async () => {
    const fields = fieldMapOf(await connection())
    const echo = change()
    echo.meta.id = 'echo-1'
    echo.meta.change_source = 'api'
    echo.previous = { custom_fields: { [fields.score!.code]: { type: 'double', value: 1 } } }
    expect((await webhook(echo)).statusCode).toBe(200)
    await jobs()['crm-process-deliveries'](payload()) // no nock: a read would fail the test
    expect(await t.rescoreNow(workspaceId)).toBe(0)
  })

  it('follows a merge: the merged-away person and the survivor become one contact', async () => {
    const ids = async () =>
      t.deps.db
        .selectFrom('contact_identities')
        .select(['value', 'contact_id'])
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', 'pipedrive')
        .where('value', 'in', ['8', '9'])
        .execute()
    const before = await ids()
    expect(new Set(before.map((r) => r.contact_id)).size).toBe(2)
    const merged = pipedriveFixture('webhook-person-merged-delete.json')
    expect((await webhook(merged)).statusCode).toBe(200)
    nock(API)
      .get('/api/v2/persons/8')
      .reply(200, { success: true, data: person(8, { job_title: 'CEO' }) })
    await jobs()['crm-process-deliveries'](payload())
    // One contact now: the survivor's id names it, the merged-away id (gone in Pipedrive) no longer
    // competes for its write-back, and both emails lead to it.
    const after = await ids()
    expect(after.map((r) => r.value)).toEqual(['8'])
    const emails = await t.deps.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'email')
      .where('value', 'in', ['claire@acme-software.com', 'claire.m@gmail.com'])
      .execute()
    expect(emails.map((e) => e.contact_id)).toEqual([after[0]!.contact_id, after[0]!.contact_id])
  })

  it('a meeting marked done becomes meeting events for its person, once however often it is delivered', async () => {
    const meeting = pipedriveFixture('webhook-activity-meeting.json')
    expect((await webhook(meeting)).statusCode).toBe(200)
    await jobs()['crm-process-deliveries'](payload())
    const events = async () =>
      (
        await t.deps.db
          .selectFrom('events')
          .select('type')
          .where('workspace_id', '=', workspaceId)
          .where('type', 'in', ['meeting.booked', 'meeting.held'])
          .orderBy('type')
          .execute()
      ).map((e) => e.type)
    expect(await events()).toEqual(['meeting.booked', 'meeting.held'])
    // The same activity changed again (another field): the same facts, stored once.
    const again = pipedriveFixture<PersonChange>('webhook-activity-meeting.json')
    again.meta.id = 'activity-edit-2'
    expect((await webhook(again)).json()).toEqual({ stored: 1, duplicates: 0 })
    await jobs()['crm-process-deliveries'](payload())
    expect(await events()).toEqual(['meeting.booked', 'meeting.held'])
  })

  it('a deal won is an outcome for its person and its participants', async () => {
    const row = await connection()
    nock(API)
      .get('/api/v2/persons')
      .query((q) => q.deal_id === '31')
      .reply(200, { success: true, data: [person(8), person(12)], additional_data: { next_cursor: null } })
    const effects = await t.deps.crm.connections
      .sessionFor(row)
      .interpretDeliveries([pipedriveFixture('webhook-deal-won.json')])
    expect(effects.outcomes.map((o) => [o.crmId, o.kind, o.occurredAt])).toEqual([
      ['8', 'won', '2026-11-25T09:59:58.000Z'],
      ['12', 'won', '2026-11-25T09:59:58.000Z'],
    ])
  })
})

describe('Pipedrive reconciliation', () => {
  it('the periodic pass reads persons updated since the last one (a missed webhook changes nothing in the end)', async () => {
    const since = (await connection()).reconcile_cursor!
    nock(API)
      .get('/api/v2/persons')
      .query(
        (q) =>
          q.updated_since === since.toISOString().replace(/\.\d{3}Z$/, 'Z') && q.sort_by === 'update_time',
      )
      .reply(200, {
        success: true,
        data: [person(8, { job_title: 'Founder', update_time: '2026-11-30T11:00:00Z' })],
        additional_data: { next_cursor: null },
      })
    // The pass also checks Leadgrid's webhooks are still there: they all are, nothing is created.
    nock(API)
      .get('/api/v1/webhooks')
      .reply(200, { success: true, data: ourHooks(['person.*', 'activity.*', 'deal.change']) })
    await jobs()['crm-reconcile']()
    const contact = await t.deps.db
      .selectFrom('contacts')
      .innerJoin('contact_identities', 'contact_identities.contact_id', 'contacts.id')
      .select('contacts.properties')
      .where('contact_identities.kind', '=', 'pipedrive')
      .where('contact_identities.value', '=', '8')
      .executeTakeFirstOrThrow()
    expect(contact.properties.jobtitle).toBe('Founder')
    expect((await connection()).last_error).toBeNull()
  })

  it('re-creates a webhook deleted in Pipedrive, with the credentials the deliveries are checked against', async () => {
    nock(API)
      .get('/api/v2/persons')
      .query(true)
      .reply(200, { success: true, data: [], additional_data: { next_cursor: null } })
    // Someone deleted the activity webhook in Pipedrive's settings; another app's webhook is not ours.
    nock(API)
      .get('/api/v1/webhooks')
      .reply(200, {
        success: true,
        data: [
          ...ourHooks(['person.*', 'deal.change']),
          {
            id: 90,
            event_object: 'activity',
            event_action: '*',
            subscription_url: 'https://other.example/h',
          },
        ],
      })
    const added: Record<string, unknown>[] = []
    nock(API)
      .post('/api/v1/webhooks')
      .reply((_uri, body) => {
        added.push(body as Record<string, unknown>)
        return [201, { success: true, data: { id: 99, ...(body as object) } }]
      })
    await jobs()['crm-reconcile']()
    expect(added).toHaveLength(1)
    expect(added[0]).toMatchObject({
      event_object: 'activity',
      event_action: '*',
      version: '2.0',
      subscription_url: `https://leadgrid.test/webhooks/pipedrive/${connectionId}`,
      http_auth_user: hookAuth.user,
      http_auth_password: hookAuth.password,
      user_id: 777,
    })
  })
})

describe('Pipedrive panel', () => {
  const sign = (claims: Record<string, unknown>, secret = CLIENT_SECRET) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 300)
      .sign(new TextEncoder().encode(secret))

  it('answers the right company with the person’s score from the database', async () => {
    const token = await sign({ companyId: Number(COMPANY), userId: 777 })
    const res = await t.app.inject({
      method: 'GET',
      url: `/pipedrive/panel?resource=person&view=details&selectedIds=8&companyId=${COMPANY}&token=${token}`,
    })
    expect(res.statusCode).toBe(200)
    const item = res.json().data
    expect(item.id).toBe(8)
    expect(typeof item.score).toBe('number')
    expect(Object.keys(item).length).toBeLessThanOrEqual(20)
  })

  it('refuses a forged token, and a token of a company Leadgrid is not installed in', async () => {
    const forged = await sign({ companyId: Number(COMPANY), userId: 777 }, 'not-the-secret')
    const bad = await t.app.inject({ method: 'GET', url: `/pipedrive/panel?selectedIds=8&token=${forged}` })
    expect(bad.statusCode).toBe(401)
    expect(bad.json().error.title).toBeTruthy()
    // A real token for another company, with our company in the query: refused (query is not trusted).
    const other = await sign({ companyId: 1111, userId: 1 })
    const mismatch = await t.app.inject({
      method: 'GET',
      url: `/pipedrive/panel?selectedIds=8&companyId=${COMPANY}&token=${other}`,
    })
    expect(mismatch.statusCode).toBe(401)
    const notInstalled = await t.app.inject({
      method: 'GET',
      url: `/pipedrive/panel?selectedIds=8&token=${other}`,
    })
    expect(notInstalled.statusCode).toBe(403)
    expect(notInstalled.json().error.title).toContain('not installed')
  })
})

describe('Signing in to the settings page from Pipedrive', () => {
  const sign = (claims: Record<string, unknown>, secret = CLIENT_SECRET) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 300)
      .sign(new TextEncoder().encode(secret))

  const signIn = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url })
    const cookie = res.cookies.find((c) => c.name === 'leadgrid_session')
    if (res.statusCode !== 303 || !cookie) return { status: res.statusCode, session: null }
    const session = await t.app.inject({
      method: 'GET',
      url: '/app/api/session',
      headers: { cookie: `leadgrid_session=${encodeURIComponent(cookie.value)}` },
    })
    return { status: res.statusCode, session: session.json() as { workspace: { id: string }; role: string } }
  }

  it("the panel's settings link signs its user in to the company's workspace; the installer is an admin", async () => {
    const token = await sign({ companyId: Number(COMPANY), userId: 777 })
    const panel = await t.app.inject({
      method: 'GET',
      url: `/pipedrive/panel?selectedIds=8&companyId=${COMPANY}&token=${token}`,
    })
    const settingsUrl = new URL(panel.json().settings.url)
    expect(settingsUrl.pathname).toBe('/app/pipedrive')
    const admin = await signIn(`${settingsUrl.pathname}${settingsUrl.search}`)
    expect(admin.status).toBe(303)
    expect(admin.session).toMatchObject({
      workspace: { id: (await connection()).workspace_id },
      role: 'admin',
    })
  })

  it("another user of the company reads; a forged token or another company's opens nothing", async () => {
    const colleague = await signIn(
      `/app/pipedrive?token=${await sign({ companyId: Number(COMPANY), userId: 4242 })}`,
    )
    expect(colleague.session?.role).toBe('viewer')
    const forged = await signIn(
      `/app/pipedrive?token=${await sign({ companyId: Number(COMPANY), userId: 777 }, 'nope')}`,
    )
    expect(forged).toEqual({ status: 401, session: null })
    const elsewhere = await signIn(`/app/pipedrive?token=${await sign({ companyId: 1111, userId: 1 })}`)
    expect(elsewhere).toEqual({ status: 401, session: null })
  })
})

describe('Pipedrive tokens and budgets', () => {
  it('two refreshes at once make one token call', async () => {
    const row = await connection()
    await t.deps.db
      .updateTable('connections')
      .set({ token_expires_at: new Date(clock.now().getTime() - 1000) })
      .where('id', '=', row.id)
      .execute()
    const refresh = nock(OAUTH)
      .post('/oauth/token', (b) => b.grant_type === 'refresh_token')
      .matchHeader('authorization', appBasic)
      .once()
      .reply(200, { ...pipedriveFixture('token-response.json'), access_token: 'fresh-token' })
    const [a, b] = await Promise.all([
      t.deps.crm.connections.accessToken(workspaceId, connectionId),
      t.deps.crm.connections.accessToken(workspaceId, connectionId),
    ])
    expect([a, b]).toEqual(['fresh-token', 'fresh-token'])
    expect(refresh.isDone()).toBe(true)
  })

  it('a spent daily budget parks the outbox until it resets, without counting failures', async () => {
    // A new score to write: the person's title changed again.
    const fields = fieldMapOf(await connection())
    await t.deps.ingestion.ingest(
      workspaceId,
      { contacts: [{ contact: { pipedriveId: '8' }, properties: { jobtitle: await otherTitle('8') } }] },
      'test',
    )
    await t.rescoreNow(workspaceId)
    expect(await count('outbox')).toBe(1)
    // A 429 while the burst window has room: the company's daily budget.
    nock(API).patch('/api/v2/persons/8').reply(
      429,
      { success: false, error: 'Rate limit exceeded' },
      {
        'x-ratelimit-limit': '80',
        'x-ratelimit-remaining': '70',
        'x-ratelimit-reset': '2',
      },
    )
    await jobs()['crm-flush'](payload())
    const rows = await t.deps.db.selectFrom('outbox').selectAll().execute()
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['pending', 0]])
    const health = (await t.deps.crm.connections.health(workspaceId)).find((h) => h.id === connectionId)!
    expect(health.lastError?.message).toContain('daily budget')
    // Until midnight nothing is sent (no nock here: a request would fail the test).
    await jobs()['crm-flush'](payload())
    expect(await count('outbox')).toBe(1)
    expect(fields.score).toBeDefined()
  })
})

describe('Pipedrive uninstall', () => {
  it('refuses wrong Basic credentials and changes nothing', async () => {
    for (const authorization of [
      undefined,
      basic(CLIENT_ID, 'wrong'),
      basic(hookAuth.user, hookAuth.password),
    ]) {
      const res = await t.app.inject({
        method: 'DELETE',
        url: '/oauth/pipedrive/callback',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        payload: JSON.stringify({
          client_id: CLIENT_ID,
          company_id: Number(COMPANY),
          user_id: 777,
          timestamp: 1,
        }),
      })
      expect(res.statusCode).toBe(401)
    }
    expect((await connection()).status).toBe('active')
  })

  it('with the app’s credentials: writes stop, tokens are deleted, scores stay; later webhooks are dropped', async () => {
    const scores = await count('scores')
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/oauth/pipedrive/callback',
      headers: { 'content-type': 'application/json', authorization: appBasic },
      payload: JSON.stringify({
        client_id: CLIENT_ID,
        company_id: Number(COMPANY),
        user_id: 777,
        timestamp: 1,
      }),
    })
    expect(res.statusCode).toBe(200)
    const row = await connection()
    expect(row.status).toBe('uninstalled')
    expect(row.access_token_enc).toBeNull()
    expect(row.refresh_token_enc).toBeNull()
    expect(await count('scores')).toBe(scores)
    await jobs()['crm-flush'](payload()) // no nock: nothing is sent
    const late = await webhook({ ...personChange(), meta: { ...personChange().meta, id: 'late' } })
    expect(late.statusCode).toBe(200)
    expect(late.json().dropped).toBe(true)
  })

  it('answers 503 naming the settings when Pipedrive is not configured', async () => {
    const bare = await startTestApp({ clock })
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/oauth/pipedrive/install' })
      expect(res.statusCode).toBe(503)
      expect(res.json().error.message).toContain('PIPEDRIVE_CLIENT_ID')
      expect(res.json().error.message).toContain('PIPEDRIVE_CLIENT_SECRET')
      const panel = await bare.app.inject({ method: 'GET', url: '/pipedrive/panel?token=x' })
      expect(panel.statusCode).toBe(503)
    } finally {
      await bare.close()
    }
  })
})

describe('Pipedrive authorizations per user (migrations/007)', () => {
  const installAs = async (userId: number, accessToken: string) => {
    nock(OAUTH)
      .post('/oauth/token')
      .reply(200, {
        ...pipedriveFixture('token-response.json'),
        access_token: accessToken,
        refresh_token: `r-${userId}`,
      })
    nock(API)
      .get('/api/v1/users/me')
      .reply(200, { success: true, data: { id: userId, company_id: Number(COMPANY), is_admin: true } })
    const res = await t.app.inject({ method: 'GET', url: `/oauth/pipedrive/callback?code=code-${userId}` })
    expect(res.statusCode).toBe(302)
  }
  const expire = () =>
    t.deps.db
      .updateTable('connections')
      .set({ token_expires_at: new Date(clock.now().getTime() - 1000) })
      .where('id', '=', connectionId)
      .execute()
  const revokedRefresh = (refreshToken: string) =>
    nock(OAUTH)
      .post('/oauth/token', (b) => b.grant_type === 'refresh_token' && b.refresh_token === refreshToken)
      .reply(400, { error: 'invalid_grant', error_description: 'Invalid grant: refresh token is invalid' })

  it('a revoked user’s authorization is dropped and another user’s takes over; with none left the connection is uninstalled', async () => {
    // Two users of the company authorize the app (the company keeps one connection).
    await installAs(777, 'token-of-777')
    await installAs(888, 'token-of-888')
    const row = await connection()
    expect([row.status, row.authorized_by]).toEqual(['active', '888'])
    const users = async () =>
      (
        await t.deps.db
          .selectFrom('crm_authorizations')
          .select('user_id')
          .where('connection_id', '=', connectionId)
          .orderBy('user_id')
          .execute()
      ).map((r) => r.user_id)
    expect(await users()).toEqual(['777', '888'])

    // 888 revokes: their authorization goes, 777's (still valid) is used, the connection stays active.
    await expire()
    revokedRefresh('r-888')
    expect(await t.deps.crm.connections.accessToken(workspaceId, connectionId)).toBe('token-of-777')
    expect(await users()).toEqual(['777'])
    expect((await connection()).authorized_by).toBe('777')
    expect((await connection()).status).toBe('active')

    // 777's refresh token dies too: nobody is left, the connection is uninstalled.
    await t.deps.db
      .updateTable('crm_authorizations')
      .set({ token_expires_at: new Date(clock.now().getTime() - 1000) })
      .execute()
    await expire()
    revokedRefresh('r-777')
    await expect(t.deps.crm.connections.accessToken(workspaceId, connectionId)).rejects.toThrow()
    expect(await users()).toEqual([])
    expect((await connection()).status).toBe('uninstalled')
  })
})

describe('Pipedrive in the connections API', () => {
  it('GET /api/v1/connections lists the Pipedrive connection without its sealed secrets; DELETE disconnects it', async () => {
    nock(OAUTH).post('/oauth/token').reply(200, pipedriveFixture('token-response.json'))
    nock(API).get('/api/v1/users/me').reply(200, pipedriveFixture('users-me.json'))
    expect(
      (await t.app.inject({ method: 'GET', url: '/oauth/pipedrive/callback?code=again' })).statusCode,
    ).toBe(302)
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/connections', headers: auth })
    expect(list.statusCode).toBe(200)
    const mine = list.json().connections.find((c: { id: string }) => c.id === connectionId)
    expect(mine).toMatchObject({ provider: 'pipedrive', accountId: COMPANY, state: 'active' })
    expect(mine.backfill).toMatchObject({ status: 'done' })
    expect(mine.settings.pipedriveFields).toBeDefined()
    expect(list.body).not.toContain('webhookAuthEnc')

    // Disconnecting from Leadgrid removes Leadgrid's webhooks — here the company's daily budget is
    // spent (an earlier test), so the webhooks stay and the connection is still disconnected — and
    // revokes the refresh token, which marks the app uninstalled on Pipedrive's side.
    const { refresh_token } = pipedriveFixture<{ refresh_token: string }>('token-response.json')
    nock(OAUTH, { reqheaders: { authorization: appBasic } })
      .post('/oauth/revoke', { token: refresh_token, token_type_hint: 'refresh_token' })
      .reply(200)
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/connections/${connectionId}`,
      headers: auth,
    })
    expect(res.statusCode).toBe(204)
    const row = await connection()
    expect([row.status, row.access_token_enc, row.refresh_token_enc]).toEqual(['uninstalled', null, null])
  })
})
