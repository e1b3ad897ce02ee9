/**
 * The HubSpot app end to end on the real database, HubSpot played by nock against the real
 * @hubspot/api-client: install → provisioning + backfill → score → write-back; a signed webhook
 * batch → rescore → one batch update with exactly the changed properties; redelivery, bad signatures,
 * echoes, privacy deletion, the card, token refresh and disconnect.
 */
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import { newApiKey } from '../../src/crypto/api-keys.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const SECRET = TEST_ENV.HUBSPOT_CLIENT_SECRET
const PORTAL = 62515
const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}

/** The install's state cookie, as the browser would send it back to the callback. */
const stateCookie = (install: { cookies: { name: string; value: string }[] }) =>
  Object.fromEntries(install.cookies.map((c) => [c.name, c.value]))

const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp
let workspaceId = ''
let connectionId = ''
let apiKey = ''

function signed(path: string, body: string, opts: { secret?: string; ageMs?: number } = {}) {
  const timestamp = String(clock.now().getTime() - (opts.ageMs ?? 1000))
  const uri = `${TEST_ENV.PUBLIC_URL}${path}`
  const signature = createHmac('sha256', opts.secret ?? SECRET)
    .update(`POST${uri}${body}${timestamp}`)
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}

/** A card request's URL as HubSpot's hubspot.fetch proxy calls it: the portal it signs in the query. */
const cardPath = (portalId: number | string = PORTAL) => `/hubspot/card?userId=7&portalId=${portalId}&appId=1`

function postWebhook(events: unknown[], opts: { secret?: string; ageMs?: number; tamper?: boolean } = {}) {
  const body = JSON.stringify(events)
  const headers = signed('/webhooks/hubspot', body, opts)
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/hubspot',
    headers,
    payload: opts.tamper ? body.replace('"objectId":101', '"objectId":102') : body,
  })
}

const ceo = (over: Record<string, string> = {}) => ({
  id: '101',
  properties: {
    hs_object_id: '101',
    email: 'ceo@acme-software.com',
    firstname: 'Ada',
    lastname: 'Lovelace',
    jobtitle: 'CEO',
    numemployees: '100-500',
    industry: 'COMPUTER_SOFTWARE',
    country: 'France',
    lifecyclestage: 'lead',
    createdate: '2026-01-10T09:00:00.000Z',
    lastmodifieddate: '2026-03-31T11:30:00.000Z',
    hs_analytics_num_page_views: '12',
    hs_analytics_last_url: 'https://acme.example/pricing',
    hs_analytics_last_timestamp: '2026-03-31T11:00:00.000Z',
    num_conversion_events: '1',
    recent_conversion_event_name: 'White paper: Lead scoring 101',
    recent_conversion_date: '2026-03-29T08:00:00.000Z',
    ...over,
  },
  createdAt: '2026-01-10T09:00:00.000Z',
  updatedAt: '2026-03-31T11:30:00.000Z',
  archived: false,
})

const jobs = () => crmJobHandlers(t.deps)
const job = {
  get payload() {
    return { workspaceId, connectionId }
  },
}
const count = async (table: 'inbound_deliveries' | 'outbox' | 'events' | 'contacts') =>
  Number(
    (
      await t.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

beforeAll(async () => {
  nock.disableNetConnect()
  nock.enableNetConnect(/127\.0\.0\.1|localhost/)
  t = await startTestApp({ clock })
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

describe('HubSpot app', () => {
  it('installs: redirect with signed state, v3 code exchange, portal from introspection, tokens encrypted', async () => {
    const install = await t.app.inject({ method: 'GET', url: '/oauth/hubspot/install' })
    expect(install.statusCode).toBe(302)
    const authorize = new URL(install.headers.location as string)
    expect(authorize.origin + authorize.pathname).toBe(TEST_ENV.HUBSPOT_AUTHORIZE_URL)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${TEST_ENV.PUBLIC_URL}/oauth/hubspot/callback`)
    const state = authorize.searchParams.get('state')!
    const cookies = stateCookie(install)

    const bad = await t.app.inject({
      method: 'GET',
      url: `/oauth/hubspot/callback?code=abc&state=${state}x`,
      cookies,
    })
    expect(bad.statusCode).toBe(400)

    // A used or expired code (a reload of the callback page): 400 telling what to do, not a 500.
    nock(API)
      .post('/oauth/v3/token')
      .reply(400, { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' })
    const reused = await t.app.inject({
      method: 'GET',
      url: `/oauth/hubspot/callback?code=used-code&state=${encodeURIComponent(state)}`,
      cookies,
    })
    expect(reused.statusCode).toBe(400)
    expect(reused.json().error.code).toBe('install_failed')

    // The state is single-use: the next attempt starts the install again.
    const restart = await t.app.inject({ method: 'GET', url: '/oauth/hubspot/install' })
    const state2 = new URL(restart.headers.location as string).searchParams.get('state')!
    nock(API)
      .post('/oauth/v3/token', (b) => new URLSearchParams(b as string).get('code') === 'the-code')
      .reply(200, fixture('oauth-token-response.json'))
      .post('/oauth/v3/token/introspect')
      .reply(200, fixture('oauth-introspect-response.json'))
    const cb = await t.app.inject({
      method: 'GET',
      url: `/oauth/hubspot/callback?code=the-code&state=${encodeURIComponent(state2)}`,
      cookies: stateCookie(restart),
    })
    expect(cb.statusCode).toBe(302)
    expect(cb.headers.location).toBe(`${TEST_ENV.PUBLIC_URL}/app/?installed=hubspot&portalId=62515`)

    const conn = await t.deps.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', String(PORTAL))
      .executeTakeFirstOrThrow()
    workspaceId = conn.workspace_id
    connectionId = conn.id
    expect(conn.status).toBe('active')
    expect(conn.access_token_enc).not.toContain('CKDZ')
    expect(t.deps.secretBox.decrypt(conn.refresh_token_enc!)).toBe('6f18f26a-3e95-4d95-a6e5-3d5c6e5c9e5a')
    expect(conn.token_expires_at?.toISOString()).toBe('2026-03-31T12:30:00.000Z')
    const key = newApiKey(workspaceId)
    await t.deps.db
      .insertInto('api_keys')
      .values({ workspace_id: workspaceId, name: 'test', key_hash: key.hash, key_prefix: key.prefix })
      .execute()
    apiKey = key.key
  })

  it('provisions each property once and backfills the contacts', async () => {
    const props: string[] = []
    nock(API)
      .get('/crm/v3/properties/contacts/groups')
      .reply(200, fixture('property-groups-response.json'))
      .post('/crm/v3/properties/contacts/groups')
      .reply(201, { name: 'leadgrid', label: 'Lead scoring (Leadgrid)', displayOrder: -1, archived: false })
      .get('/crm/v3/properties/contacts')
      .query(true)
      .reply(200, fixture('properties-response.json'))
      .post('/crm/v3/properties/contacts', (b) => {
        props.push((b as { name: string }).name)
        return true
      })
      .times(9)
      .reply(201, {})
      .get('/crm/v3/objects/contacts')
      .query((q) => q['limit'] === '100' && q['after'] === undefined)
      .reply(200, { results: [ceo()], paging: { next: { after: '101' } } })
      .get('/crm/v3/objects/contacts')
      .query((q) => q['after'] === '101')
      .reply(200, { results: [] })
    await jobs()['crm-install'](job.payload)
    expect(new Set(props).size).toBe(9)
    const conn = await t.deps.crm.connections.byId(workspaceId, connectionId)
    expect(conn.provisioning).toMatchObject({ status: 'done', groupCreated: true })
    expect(conn.backfill).toMatchObject({ status: 'done', processed: 1 })
    // Running the install again calls nothing (nock would refuse any call).
    await jobs()['crm-install'](job.payload)
  })

  let firstWrite: Record<string, string> = {}
  it('scores the backfilled contact and writes the SPEC §6 properties in one batch update', async () => {
    await t.rescoreNow(workspaceId)
    let body: { inputs: { id: string; properties: Record<string, string> }[] } | undefined
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => {
        body = b as typeof body
        return true
      })
      .matchHeader('authorization', /^Bearer CKDZ/)
      .reply(200, fixture('batch-update-response.json'))
    await jobs()['crm-flush'](job.payload)
    expect(body?.inputs).toHaveLength(1)
    firstWrite = body!.inputs[0]!.properties
    expect(body!.inputs[0]!.id).toBe('101')
    expect(firstWrite).toMatchObject({
      leadgrid_score: '60',
      leadgrid_fit: '15',
      leadgrid_engagement: '45',
      leadgrid_band: 'warm',
      leadgrid_grade: 'A2',
      leadgrid_mql_status: 'not_mql',
      leadgrid_mql_date: '',
      leadgrid_scored_at: '1774958400000',
    })
    expect(await count('outbox')).toBe(0)
  })

  const conversion = (attemptNumber = 0) => [
    {
      eventId: 9001,
      subscriptionId: 4120,
      portalId: PORTAL,
      appId: 54321,
      occurredAt: Date.parse('2026-03-31T12:04:00.000Z'),
      subscriptionType: 'contact.propertyChange',
      attemptNumber,
      objectId: 101,
      propertyName: 'num_conversion_events',
      propertyValue: '2',
      changeSource: 'FORM',
    },
    {
      eventId: 9002,
      subscriptionId: 4121,
      portalId: PORTAL,
      appId: 54321,
      occurredAt: Date.parse('2026-03-31T12:04:01.000Z'),
      subscriptionType: 'contact.propertyChange',
      attemptNumber,
      objectId: 101,
      propertyName: 'leadgrid_score',
      propertyValue: '60',
      changeSource: 'INTEGRATION',
      sourceId: '54321',
    },
  ]

  it('refuses bad, tampered and stale signatures with 401 and stores nothing', async () => {
    clock.set('2026-03-31T12:05:00.000Z')
    const before = await count('inbound_deliveries')
    expect((await postWebhook(conversion(), { secret: 'not-the-secret' })).statusCode).toBe(401)
    expect((await postWebhook(conversion(), { tamper: true })).statusCode).toBe(401)
    expect((await postWebhook(conversion(), { ageMs: 5 * 60 * 1000 + 1 })).statusCode).toBe(401)
    const unsigned = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(conversion()),
    })
    expect(unsigned.statusCode).toBe(401)
    expect(await count('inbound_deliveries')).toBe(before)
  })

  it('a signed webhook batch rescores the contact and one batch update carries exactly the changed properties', async () => {
    const res = await postWebhook(conversion())
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ stored: 2, duplicates: 0 })

    // The engagement change is read back as HubSpot holds it now; the echo (leadgrid_score) is ignored.
    let readBody: unknown
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read', (b) => {
        readBody = b
        return true
      })
      .query({ archived: 'false' })
      .reply(200, {
        status: 'COMPLETE',
        results: [
          ceo({
            num_conversion_events: '2',
            recent_conversion_event_name: 'Livre blanc : ABM',
            recent_conversion_date: '2026-03-31T12:04:00.000Z',
            lastmodifieddate: '2026-03-31T12:04:00.000Z',
          }),
        ],
        startedAt: '2026-03-31T12:05:00.000Z',
        completedAt: '2026-03-31T12:05:00.100Z',
      })
    await jobs()['crm-process-deliveries'](job.payload)
    expect((readBody as { inputs: unknown }).inputs).toEqual([{ id: '101' }])
    await t.rescoreNow(workspaceId)

    const score = await t.deps.db
      .selectFrom('scores')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow()
    let body: unknown
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => {
        body = b
        return true
      })
      .reply(200, fixture('batch-update-response.json'))
    await jobs()['crm-flush'](job.payload)
    expect(body).toEqual({
      inputs: [
        {
          id: '101',
          properties: {
            leadgrid_score: '85',
            leadgrid_engagement: '70',
            leadgrid_band: 'hot',
            leadgrid_grade: 'A1',
            leadgrid_mql_status: 'mql',
            leadgrid_mql_date: '1774958700000',
            leadgrid_reasons: score.reasons,
            leadgrid_scored_at: '1774958700000',
          },
        },
      ],
    })
    expect(score.reasons).not.toBe(firstWrite['leadgrid_reasons'])
  })

  it('a redelivered batch changes nothing', async () => {
    const events = await count('events')
    const res = await postWebhook(conversion(3))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ stored: 0, duplicates: 2 })
    await jobs()['crm-process-deliveries'](job.payload)
    expect(await t.rescoreNow(workspaceId)).toBe(0)
    await jobs()['crm-flush'](job.payload)
    expect(await count('events')).toBe(events)
    expect(await count('outbox')).toBe(0)
  })

  it('a batch with a NUL or half a surrogate pair in one value is stored whole, not refused', async () => {
    // Regression: Postgres refused the jsonb and the whole batch got a 500 (HubSpot retries, then drops).
    const batch = [
      {
        eventId: 9101,
        subscriptionId: 4130,
        portalId: PORTAL,
        appId: 54321,
        occurredAt: Date.parse('2026-03-31T12:06:00.000Z'),
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: 101,
        propertyName: 'jobtitle',
        propertyValue: 'CEO\u0000 \ud800',
        changeSource: 'CRM_UI',
      },
    ]
    const res = await postWebhook(batch)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ stored: 1 })
    await t.deps.db
      .deleteFrom('inbound_deliveries')
      .where('workspace_id', '=', workspaceId)
      .where('processed_at', 'is', null)
      .execute()
  })

  it('the card answers for the installed portal from the database, and refuses another portal', async () => {
    const body = JSON.stringify({ objectId: 101 })
    const res = await t.app.inject({
      method: 'POST',
      url: cardPath(),
      headers: signed(cardPath(), body),
      payload: body,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      scored: true,
      score: 85,
      band: 'hot',
      grade: 'A1',
      mql: true,
      mqlSince: '2026-03-31T12:05:00.000Z',
    })
    expect(res.json().topReasons.length).toBeGreaterThan(0)
    expect(res.json().recentChanges.length).toBe(2)

    // HubSpot signed another portal (not installed): refused.
    const refused = await t.app.inject({
      method: 'POST',
      url: cardPath(99999),
      headers: signed(cardPath(99999), body),
      payload: body,
    })
    expect(refused.statusCode).toBe(403)
    // Signed for this portal, but the body names another: refused, nothing read.
    const other = JSON.stringify({ portalId: 99999, objectId: 101 })
    const mismatch = await t.app.inject({
      method: 'POST',
      url: cardPath(),
      headers: signed(cardPath(), other),
      payload: other,
    })
    expect(mismatch.statusCode).toBe(403)
    expect(mismatch.json().error.code).toBe('portal_mismatch')
    // Signed, but without the portal HubSpot adds: refused, whatever the body says.
    const bare = JSON.stringify({ portalId: PORTAL, objectId: 101 })
    const noPortal = await t.app.inject({
      method: 'POST',
      url: '/hubspot/card',
      headers: signed('/hubspot/card', bare),
      payload: bare,
    })
    expect(noPortal.statusCode).toBe(401)
    expect(noPortal.body).not.toContain('score')
    const unsigned = await t.app.inject({
      method: 'POST',
      url: cardPath(),
      headers: { 'content-type': 'application/json' },
      payload: body,
    })
    expect(unsigned.statusCode).toBe(401)
  })

  it('serves connection health to the workspace API key', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/connections',
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect(res.statusCode).toBe(200)
    const [c] = res.json().connections
    expect(c).toMatchObject({
      provider: 'hubspot',
      accountId: '62515',
      state: 'active',
      tokenExpiresAt: '2026-03-31T12:30:00.000Z',
      provisioning: { status: 'done' },
      backfill: { status: 'done', processed: 1 },
      backlog: { writeBackPending: 0, writeBackParked: 0, webhookDeliveriesPending: 0 },
    })
    expect(JSON.stringify(res.json())).not.toMatch(/CKDZ|6f18f26a/)
  })

  it('refreshes an expiring token once even when two workers ask at the same time', async () => {
    clock.set('2026-03-31T12:27:00.000Z')
    nock(API)
      .post('/oauth/v3/token', (b) => new URLSearchParams(b as string).get('grant_type') === 'refresh_token')
      .delay(200)
      .reply(200, { ...fixture('oauth-token-response.json'), access_token: 'refreshed-token' })
    const hs = t.deps.crm
    const tokens = await Promise.all([
      hs.connections.accessToken(workspaceId, connectionId),
      hs.connections.accessToken(workspaceId, connectionId),
    ])
    expect(tokens).toEqual(['refreshed-token', 'refreshed-token'])
    const conn = await hs.connections.byId(workspaceId, connectionId)
    expect(conn.token_expires_at?.toISOString()).toBe('2026-03-31T12:57:00.000Z')
  })

  it('a privacy deletion erases the contact and its events', async () => {
    const res = await postWebhook(
      JSON.parse(
        readFileSync(new URL('../fixtures/hubspot/webhook-privacy-deletion.json', import.meta.url), 'utf8'),
      ),
    )
    expect(res.statusCode).toBe(200)
    await jobs()['crm-process-deliveries'](job.payload)
    const identity = await t.deps.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'hubspot')
      .where('value', '=', '101')
      .executeTakeFirst()
    expect(identity).toBeUndefined()
    const left = await t.deps.db
      .selectFrom('events')
      .select('dedupe_key')
      .where('workspace_id', '=', workspaceId)
      .execute()
    expect(left).toEqual([])
    const body = JSON.stringify({ portalId: PORTAL, objectId: 101 })
    const card = await t.app.inject({
      method: 'POST',
      url: cardPath(),
      headers: signed(cardPath(), body),
      payload: body,
    })
    expect(card.json()).toMatchObject({ scored: false })
  })

  it('disconnecting calls HubSpot uninstall and pauses the connection', async () => {
    nock(API)
      .delete('/appinstalls/v3/external-install')
      .matchHeader('authorization', 'Bearer refreshed-token')
      .reply(204)
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/connections/${connectionId}`,
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect(res.statusCode).toBe(204)
    const conn = await t.deps.crm.connections.byId(workspaceId, connectionId)
    expect(conn.status).toBe('uninstalled')
    // Webhooks for an uninstalled portal are acknowledged and dropped.
    const after = await postWebhook(conversion(5))
    expect(after.json()).toMatchObject({ stored: 0, ignored: 2 })
  })
})
