/**
 * Website tracking end to end on a real database: the snippet is served, /t/collect stores what a
 * browser sends (text/plain, as sendBeacon and a string fetch body send it), refuses bad keys and
 * bodies without storing anything, deduplicates retries, and a form fill with an email turns the
 * visitor's earlier anonymous page views into the identified contact's score.
 */
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const NOW = '2026-03-31T12:00:00.000Z'
const clock = fixedClock(NOW)
let t: TestApp
let auth: { authorization: string }
let key: string

let seq = 0
const visitor = () => `v${String(++seq).padStart(8, '0')}${'0'.repeat(16)}`
const eventId = () => `e${String(++seq).padStart(12, '0')}`
const pageView = (url: string) => ({
  id: eventId(),
  type: 'page.viewed',
  attributes: { url, title: 'Pricing' },
})

function collect(body: unknown, headers: Record<string, string> = {}, remoteAddress?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/t/collect',
    ...(remoteAddress ? { remoteAddress } : {}),
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      origin: 'https://www.customer.example',
      ...headers,
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function countEvents(workspaceId = t.workspace.workspaceId) {
  const row = await t.deps.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function contactOfVisitor(visitorId: string) {
  const row = await t.deps.db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('workspace_id', '=', t.workspace.workspaceId)
    .where('kind', '=', 'anonymous')
    .where('value', '=', visitorId)
    .executeTakeFirst()
  return row?.contact_id
}

async function score(email: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/contacts/${encodeURIComponent(email)}/score`,
    headers: auth,
  })
  expect(res.statusCode).toBe(200)
  return res.json()
}

beforeAll(async () => {
  t = await startTestApp({ clock })
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
  key = t.workspace.publicKey
})
afterAll(async () => {
  await t?.close()
})

describe('GET /t.js', () => {
  it('serves the snippet as JavaScript, cacheable, with an ETag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/t.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8')
    expect(res.headers['cache-control']).toMatch(/public, max-age=\d+/)
    expect(res.headers['etag']).toMatch(/^W\/".+"$/)
    expect(res.body).toContain('currentScript')
    expect(res.body).toContain('t/collect')

    const again = await t.app.inject({
      method: 'GET',
      url: '/t.js',
      headers: { 'if-none-match': String(res.headers['etag']) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')

    const gz = await t.app.inject({ method: 'GET', url: '/t.js', headers: { 'accept-encoding': 'gzip' } })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.headers['vary']).toMatch(/accept-encoding/i)
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(res.body)
  })
})

describe('POST /t/collect', () => {
  it('answers a CORS preflight for any origin, without credentials', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/t/collect',
      headers: {
        origin: 'https://www.customer.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(res.statusCode).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-methods']).toContain('POST')
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0)
  })

  it('stores a page view sent as text/plain and answers 202 with CORS headers', async () => {
    const visitorId = visitor()
    const before = await countEvents()
    const res = await collect({ key, visitorId, events: [pageView('https://www.customer.example/blog')] })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, unlinked: 0 })
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(await countEvents()).toBe(before + 1)

    const contactId = await contactOfVisitor(visitorId)
    const stored = await t.deps.db
      .selectFrom('events')
      .selectAll()
      .where('workspace_id', '=', t.workspace.workspaceId)
      .where('contact_id', '=', contactId!)
      .execute()
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({
      type: 'page.viewed',
      source: 'tracking',
      attributes: { url: 'https://www.customer.example/blog' },
    })
    expect(stored[0]?.dedupe_key).toMatch(new RegExp(`^id:t:${visitorId}:e\\d+$`))
    expect(new Date(stored[0]!.occurred_at).toISOString()).toBe(NOW) // no time given: the receipt time
  })

  it('accepts application/json as well', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/t/collect',
      payload: { key, visitorId: visitor(), events: [pageView('https://www.customer.example/')] },
    })
    expect(res.statusCode).toBe(202)
  })

  it('stores a redelivered batch once', async () => {
    const body = {
      key,
      visitorId: visitor(),
      events: [pageView('https://www.customer.example/a'), pageView('https://www.customer.example/b')],
    }
    expect((await collect(body)).json()).toMatchObject({ accepted: 2, duplicates: 0 })
    const before = await countEvents()
    const again = await collect({ ...body, sentAt: '2026-03-31T12:00:07Z' })
    expect(again.statusCode).toBe(202)
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 2 })
    expect(await countEvents()).toBe(before)
    const metrics = await t.deps.metrics.registry.getSingleMetricAsString('leadgrid_events_duplicate_total')
    expect(metrics).toMatch(/source="tracking"} 2/)
  })

  it('refuses a bad key with 401 and stores nothing', async () => {
    const other = await t.createWorkspace('Other company')
    // Well-formed, same length, never equal to a real key (a regex on the key's tail left it
    // unchanged whenever the random part ended in "_", about one run in 64).
    const body = other.publicKey.slice('lg_pk_'.length)
    const forged = `lg_pk_${(body.startsWith('A') ? 'B' : 'A').repeat(body.length)}`
    const before = await countEvents()
    for (const bad of ['lg_pk_nope', forged, t.workspace.apiKey]) {
      const visitorId = visitor()
      const res = await collect({
        key: bad,
        visitorId,
        events: [pageView('https://www.customer.example/pricing')],
      })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ error: { code: 'invalid_key' }, requestId: expect.any(String) })
      expect(res.headers['access-control-allow-origin']).toBe('*') // the page can read why
      expect(await contactOfVisitor(visitorId)).toBeUndefined()
    }
    expect(await countEvents()).toBe(before)
    expect(await countEvents(other.workspaceId)).toBe(0)
  })

  it('refuses a bad body with 400 naming the problem, and stores nothing', async () => {
    const before = await countEvents()
    const cases: [unknown, RegExp][] = [
      ['{"key": ', /not valid JSON/],
      [
        { key, visitorId: visitor(), events: [{ ...pageView('/x'), type: 'email.opened' }] },
        /events\[0\]\.type: "email.opened" is not an event a web page may send/,
      ],
      [
        {
          key,
          visitorId: visitor(),
          events: [pageView('/x'), { id: eventId(), type: 'page.viewed', attributes: {} }],
        },
        /events\[1\]: attributes\.url/,
      ],
      [{ key, visitorId: 'short', events: [pageView('/x')] }, /visitorId: expected 8 to 64/],
      [
        { key, visitorId: visitor(), events: [{ ...pageView('/x'), occurredAt: '2026-03-29T12:00:00Z' }] },
        /events\[0\]\.occurredAt: is more than 24 hours old/,
      ],
      [
        { key, visitorId: visitor(), events: [{ ...pageView('/x'), occurredAt: '2026-03-31T13:00:00Z' }] },
        /events\[0\]\.occurredAt: is 60 minutes after/,
      ],
      [
        { key, visitorId: visitor(), events: [{ ...pageView('/x'), email: 'not-an-email' }] },
        /events\[0\]\.email: not a valid email/,
      ],
    ]
    for (const [body, message] of cases) {
      const res = await collect(body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.message).toMatch(message)
    }
    expect(await countEvents()).toBe(before)
  })

  it('refuses a body over 64 KB with 413', async () => {
    const res = await collect({
      key,
      visitorId: visitor(),
      events: [pageView(`https://x.example/${'a'.repeat(70_000)}`)],
    })
    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('body_too_large')
  })

  it('corrects the browser clock with sentAt', async () => {
    const visitorId = visitor()
    // The browser's clock is a day and an hour behind; the view happened 30 s before sending.
    const res = await collect({
      key,
      visitorId,
      sentAt: '2026-03-30T11:00:00Z',
      events: [{ ...pageView('https://www.customer.example/x'), occurredAt: '2026-03-30T10:59:30Z' }],
    })
    expect(res.statusCode).toBe(202)
    const row = await t.deps.db
      .selectFrom('events')
      .select('occurred_at')
      .where('workspace_id', '=', t.workspace.workspaceId)
      .where('contact_id', '=', (await contactOfVisitor(visitorId))!)
      .executeTakeFirstOrThrow()
    expect(new Date(row.occurred_at).toISOString()).toBe('2026-03-31T11:59:30.000Z')
  })
})

describe('identifying the visitor', () => {
  it('a form fill with an email merges the earlier anonymous page views into the contact, and they score', async () => {
    const visitorId = visitor()
    const email = 'ada@acme-software.example'
    expect(
      (await collect({ key, visitorId, events: [pageView('https://www.customer.example/pricing')] }))
        .statusCode,
    ).toBe(202)
    const anonymous = await contactOfVisitor(visitorId)

    const form = {
      id: eventId(),
      type: 'form.submitted',
      attributes: { formId: 'demo', formName: 'Book a demo' },
      email,
    }
    const res = await collect({ key, visitorId, events: [form] })
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, unlinked: 0 })
    await t.rescoreNow()

    const body = await score(email)
    expect(body.contactId).toBe(anonymous) // one person: the visitor became the contact
    expect(body.score).toMatchObject({ score: 20, engagement: 20 })
    expect(body.score.reasons).toContain('Pricing page')
  })

  it('merges into a contact the CRM already knew, even when the page view and the form come in one request', async () => {
    const email = 'bob@known-company.example'
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [{ contact: { email }, createdAt: '2026-01-01T00:00:00Z' }] },
    })
    const visitorId = visitor()
    const res = await collect({
      key,
      visitorId,
      events: [
        pageView('https://www.customer.example/product'),
        {
          id: eventId(),
          type: 'form.submitted',
          attributes: { formName: 'Contact us' },
          email: 'Bob@Known-Company.example',
        },
      ],
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ accepted: 2 })
    await t.rescoreNow()
    const body = await score(email)
    expect(await contactOfVisitor(visitorId)).toBe(body.contactId)
    expect(body.score).toMatchObject({ engagement: 20 })
  })

  it('identify(email) alone links the visitor', async () => {
    const visitorId = visitor()
    const email = 'carol@acme-software.example'
    await collect({ key, visitorId, events: [pageView('https://www.customer.example/tarifs')] })
    const res = await collect({ key, visitorId, events: [], identify: { email } })
    expect(res.statusCode).toBe(202)
    await t.rescoreNow()
    expect((await score(email)).score).toMatchObject({ engagement: 20 })
  })

  it('a browser already identified as one person never merges another person into them', async () => {
    const visitorId = visitor()
    const first = 'dan@acme-software.example'
    const second = 'erin@acme-software.example'
    await collect({
      key,
      visitorId,
      events: [{ id: eventId(), type: 'form.submitted', attributes: { formName: 'Demo' }, email: first }],
    })
    const res = await collect({
      key,
      visitorId,
      events: [{ id: eventId(), type: 'form.submitted', attributes: { formName: 'Demo' }, email: second }],
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, unlinked: 1 })
    const [a, b] = [await score(first), await score(second)]
    expect(a.contactId).not.toBe(b.contactId)
    expect(await contactOfVisitor(visitorId)).toBe(a.contactId)
  })

  it('two racing requests naming two known people for one fresh visitor never merge them', async () => {
    // Regression: the "already linked?" check ran outside the transaction, so both requests
    // linked the visitor and the second merged the two people into one contact.
    const people = ['fay@victim.example', 'gus@victim.example']
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: people.map((email, i) => ({ contact: { email, hubspotId: `77${i}` } })) },
    })
    const visitorId = visitor()
    const answers = await Promise.all(
      people.map((email) => collect({ key, visitorId, identify: { email }, events: [] })),
    )
    expect(answers.map((r) => r.statusCode)).toEqual([202, 202])
    const ids = await t.deps.db
      .selectFrom('contact_identities')
      .select(['value', 'contact_id'])
      .where('workspace_id', '=', t.workspace.workspaceId)
      .where('value', 'in', people)
      .execute()
    expect(new Set(ids.map((r) => r.contact_id)).size).toBe(2)
  })
})

describe('rate limit', () => {
  it('answers 429 in the standard error shape past 120 requests a minute per key and IP', async () => {
    const ip = '203.0.113.7'
    // Cheap requests (400, nothing to store) count like any other.
    for (let i = 0; i < 120; i++)
      expect((await collect({ key, visitorId: 'x' }, {}, ip)).statusCode).toBe(400)
    const limited = await collect({ key, visitorId: visitor(), events: [pageView('/x')] }, {}, ip)
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({
      error: { code: 'rate_limited', message: expect.stringMatching(/retry in/) },
      requestId: expect.any(String),
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['access-control-allow-origin']).toBe('*')

    // Another address, or another key from the same address, is not held back.
    expect(
      (await collect({ key, visitorId: visitor(), events: [pageView('/x')] }, {}, '203.0.113.8')).statusCode,
    ).toBe(202)
    expect(
      (await collect({ key: 'lg_pk_other', visitorId: visitor(), events: [pageView('/x')] }, {}, ip))
        .statusCode,
    ).toBe(401)
    // The rest of the app has no such limit.
    expect(
      (await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip })).headers[
        'x-ratelimit-limit'
      ],
    ).toBeUndefined()
  })
})
