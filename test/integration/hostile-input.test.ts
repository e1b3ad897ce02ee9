/**
 * Bodies an attacker or a careless client sends (issue 6, items 1, 2 and 14): deeply nested JSON
 * on every route, a signed HubSpot batch carrying a deep unknown field, requests without a content
 * type, events dated in the future, action routes posted with an empty JSON body.
 * Each answer is a 4xx naming the problem (or the documented 2xx), never a 500.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import type { HubSpotServices } from '../../src/crm/hubspot/index.js'
import { MAX_JSON_DEPTH } from '../../src/http/json-body.js'
import { starterGrid } from '../../src/scoring/starter-grid.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const NOW = '2026-03-31T12:00:00.000Z'
const clock = fixedClock(NOW)
const PORTAL = '62599'
let t: TestApp
let auth: { authorization: string }
let publicKey = ''
let connection = { workspaceId: '', connectionId: '' }

/** The reproduction: 5,000 nested arrays around a string holding a NUL. */
const deepNul = `${'['.repeat(5000)}"\\u0000"${']'.repeat(5000)}`
const deepSurrogate = `${'['.repeat(5000)}"\\ud800"${']'.repeat(5000)}`
const deepObject = `${'{"a":'.repeat(5000)}"\\u0000"${'}'.repeat(5000)}`

function signed(path: string, body: string) {
  const timestamp = String(clock.now().getTime() - 1000)
  const signature = createHmac('sha256', TEST_ENV.HUBSPOT_CLIENT_SECRET)
    .update(`POST${TEST_ENV.PUBLIC_URL}${path}${body}${timestamp}`)
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}

const count = async (table: 'inbound_deliveries' | 'events' | 'contacts') =>
  Number(
    (
      await t.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

beforeAll(async () => {
  t = await startTestApp({ clock })
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
  publicKey = t.workspace.publicKey
  const ws = await t.createWorkspace(`portal ${PORTAL}`)
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: ws.workspaceId,
      provider: 'hubspot',
      account_id: PORTAL,
      access_token_enc: t.deps.secretBox.encrypt('token'),
      refresh_token_enc: t.deps.secretBox.encrypt('refresh'),
      token_expires_at: new Date('2026-03-31T13:00:00.000Z'),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done', processed: 0 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  connection = { workspaceId: ws.workspaceId, connectionId: row.id }
})
afterAll(async () => {
  await t?.close()
})

describe('deeply nested JSON is a 400 on every route, before any key or signature check', () => {
  const routes = [
    { url: '/t/collect', type: 'text/plain', headers: {} },
    { url: '/t/collect', type: 'application/json', headers: {} },
    { url: '/hubspot/card', type: 'application/json', headers: {} },
    { url: '/hubspot/workflow-action', type: 'application/json', headers: {} },
    { url: '/api/v1/events', type: 'application/json', headers: { key: true } },
    { url: '/api/v1/contacts', type: 'application/json', headers: { key: true } },
    { url: '/api/v1/grids', type: 'application/json', headers: { key: true } },
  ]
  for (const r of routes)
    for (const [name, body] of [
      ['arrays around a NUL', deepNul],
      ['arrays around a lone surrogate', deepSurrogate],
      ['objects around a NUL', deepObject],
    ] as const) {
      it(`${r.url} (${r.type}): ${name}`, async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: r.url,
          headers: { 'content-type': r.type, ...(r.headers.key ? auth : {}) },
          payload: body,
        })
        expect(res.statusCode).toBe(400)
        expect(res.json().error.code).toBe('json_too_deep')
        expect(res.json().error.message).toMatch(`at most ${MAX_JSON_DEPTH} levels`)
      })
    }

  it('/webhooks/hubspot unsigned: refused (401 or 400), never a 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: { 'content-type': 'application/json' },
      payload: deepNul,
    })
    expect([400, 401]).toContain(res.statusCode)
  })

  it('a body nested exactly to the limit is still read', async () => {
    const body = `{"events":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json', ...auth },
      payload: body,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('invalid_items')
  })

  it('brackets inside strings do not count as nesting', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json', ...auth },
      payload: {
        events: [
          {
            contact: { email: 'brackets@acme.example' },
            type: 'custom',
            occurredAt: NOW,
            attributes: { name: `${'[{'.repeat(100)}\\"\u0000` },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(202)
  })
})

describe('a signed HubSpot batch with a deep unknown field', () => {
  it('stores the known events, drops the deep field, answers 200', async () => {
    const event = (eventId: number) => ({
      eventId,
      subscriptionId: 4001,
      portalId: Number(PORTAL),
      appId: Number(TEST_ENV.HUBSPOT_APP_ID),
      occurredAt: clock.now().getTime() - 5000,
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: 901,
      propertyName: 'jobtitle',
      propertyValue: `CEO ${eventId}`,
      changeSource: 'CRM_UI',
    })
    const deepField = `${'['.repeat(5000)}"\\u0000 \\ud800"${']'.repeat(5000)}`
    const plain = JSON.stringify([event(1), event(2)])
    // A field HubSpot might add tomorrow, nested 5,000 levels deep, in the second event.
    const body = `${plain.slice(0, -2)},"hsFutureField":${deepField}}]`
    expect(() => JSON.parse(body)).not.toThrow()
    const before = await count('inbound_deliveries')
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signed('/webhooks/hubspot', body),
      payload: body,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ stored: 2, duplicates: 0 })
    expect((await count('inbound_deliveries')) - before).toBe(2)
    const rows = await t.deps.db
      .selectFrom('inbound_deliveries')
      .select('payload')
      .where('connection_id', '=', connection.connectionId)
      .execute()
    const payloads = rows.map((r) => r.payload as Record<string, unknown>)
    expect(payloads.map((p) => p['propertyValue']).sort()).toEqual(['CEO 1', 'CEO 2'])
    expect(payloads.every((p) => !('hsFutureField' in p))).toBe(true)
  })

  it('the webhook service stores a delivery whose extra field is too deep to serialise', async () => {
    let deep: unknown = 'x'
    for (let i = 0; i < 20_000; i++) deep = [deep]
    const e = {
      eventId: 77,
      subscriptionId: 4001,
      portalId: Number(PORTAL),
      appId: 12345,
      occurredAt: clock.now().getTime() - 1000,
      subscriptionType: 'contact.creation',
      attemptNumber: 0,
      objectId: 902,
      extra: deep,
    }
    const result = await (t.deps.crm.partsOf('hubspot').services as HubSpotServices).webhooks.receive([e])
    expect(result).toMatchObject({ stored: 1 })
  })
})

describe('odd URLs', () => {
  it('a path whose percent-escape does not decode: 400 in the usual error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/grids/%ED%A0%80', headers: auth })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: { code: 'bad_url' }, requestId: expect.any(String) })
  })
})

describe('content types and empty bodies', () => {
  it('a body without a content type gets a 415 naming application/json', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...auth },
      payload: Buffer.from('{"events":[]}'),
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error.code).toBe('unsupported_media_type')
    expect(res.json().error.message).toMatch(/content-type: application\/json/)
  })

  it('a wrong content type gets a 415 naming what was sent and what is expected', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'contacts=1',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error.message).toMatch(/application\/x-www-form-urlencoded/)
    expect(res.json().error.message).toMatch(/application\/json/)
  })

  it('/t/collect names both content types it takes', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/t/collect',
      headers: { 'content-type': 'image/png' },
      payload: 'x',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error.message).toMatch(/text\/plain/)
  })

  it('publish and simulate accept content-type: application/json with an empty body', async () => {
    const draft = await t.app.inject({
      method: 'POST',
      url: '/api/v1/grids',
      headers: auth,
      payload: { definition: starterGrid, note: 'empty-body actions' },
    })
    expect(draft.statusCode, draft.body).toBe(201)
    const gridId = draft.json().id as string
    for (const action of ['simulate', 'publish']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/grids/${gridId}/${action}`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '',
      })
      expect(res.statusCode, `${action}: ${res.body}`).toBeLessThan(300)
    }
  })

  it('a DELETE with content-type: application/json and no body is read as no body', async () => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/connections/00000000-0000-0000-0000-000000000000',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '',
    })
    expect(res.statusCode).toBe(404)
  })

  it('an empty body is still refused where a body is needed', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/empty/)
  })
})

describe('events dated in the future are refused', () => {
  const future = '2099-01-01T00:00:00Z'

  it('API events: 400 naming the item and the rule, nothing stored', async () => {
    const before = await count('events')
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: {
        events: [
          {
            contact: { email: 'f@acme.example' },
            type: 'page.viewed',
            occurredAt: NOW,
            attributes: { url: '/a' },
          },
          {
            contact: { email: 'f@acme.example' },
            type: 'page.viewed',
            occurredAt: future,
            attributes: { url: '/b' },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/events\[1\]\.occurredAt/)
    expect(res.json().error.message).toMatch(/future/)
    expect(res.json().error.message).toMatch(/5 minutes/)
    expect(await count('events')).toBe(before)
  })

  it('API events within the clock skew are accepted', async () => {
    const soon = new Date(clock.now().getTime() + 60_000).toISOString()
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: {
        events: [
          {
            contact: { email: 'g@acme.example' },
            type: 'page.viewed',
            occurredAt: soon,
            attributes: { url: '/a' },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(202)
  })

  it('contacts first seen in the future: 400 naming the item', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [{ contact: { email: 'h@acme.example' }, createdAt: future }] },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/contacts\[0\]\.createdAt/)
    expect(res.json().error.message).toMatch(/future/)
  })

  it('tracking: an event claiming 2099 is refused', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/t/collect',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({
        key: publicKey,
        visitorId: 'visitor-future-1',
        events: [
          {
            id: 'ev-future-1',
            type: 'page.viewed',
            occurredAt: future,
            attributes: { url: 'https://a.example/' },
          },
        ],
      }),
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/events\[0\]\.occurredAt/)
  })
})
