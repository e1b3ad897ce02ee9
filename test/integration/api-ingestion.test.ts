import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const NOW = '2026-03-31T12:00:00.000Z'
const clock = fixedClock(NOW)
let t: TestApp
let auth: { authorization: string }

const ceo = { email: 'claire.ceo@acme-software.com' }
const ceoContact = {
  contact: ceo,
  createdAt: '2026-01-10T09:00:00Z',
  properties: { jobtitle: 'CEO', company_size: 200, industry: 'Computer Software', company: 'Acme Software' },
}
const ceoEvents = [
  {
    contact: ceo,
    type: 'asset.downloaded',
    occurredAt: '2026-03-27T10:00:00Z',
    attributes: { assetId: 'wp-1', assetName: 'Grid guide', assetType: 'whitepaper' },
  },
  {
    contact: ceo,
    type: 'asset.downloaded',
    occurredAt: '2026-03-28T10:00:00Z',
    attributes: { assetId: 'wp-2', assetName: 'MQL playbook', assetType: 'whitepaper' },
  },
  {
    contact: ceo,
    type: 'page.viewed',
    occurredAt: '2026-03-29T08:00:00Z',
    attributes: { url: 'https://acme.example/pricing' },
  },
  {
    contact: ceo,
    type: 'page.viewed',
    occurredAt: '2026-03-30T16:30:00Z',
    attributes: { url: 'https://acme.example/pricing?plan=pro' },
  },
]

async function countRows(table: 'events' | 'contacts') {
  const row = await t.deps.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', t.workspace.workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

beforeAll(async () => {
  t = await startTestApp({ clock })
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
})
afterAll(async () => {
  await t?.close()
})

describe('ingestion API → rescoring → score', () => {
  it('scores the SPEC worked example (CEO, two whitepapers, pricing twice) 105, hot, A1, MQL', async () => {
    const c = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [ceoContact] },
    })
    expect(c.statusCode).toBe(200)
    const e = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: { events: ceoEvents },
    })
    expect(e.statusCode).toBe(202)
    expect(e.json()).toEqual({ accepted: 4, duplicates: 0 })
    await t.rescoreNow()

    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/contacts/${encodeURIComponent(ceo.email)}/score`,
      headers: auth,
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.score).toMatchObject({
      score: 105,
      fit: 15,
      engagement: 90,
      band: 'hot',
      grade: 'A1',
      mql: true,
      mqlSince: NOW,
    })
    expect(body.score.reasons).toContain('+50 Whitepapers (2)')
    expect(body.score.reasons).toContain('+40 Pricing page (2 days)')
    expect(body.history).toHaveLength(1)
  })

  it('replaying the same batch stores nothing and changes nothing', async () => {
    const before = await countRows('events')
    const e = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: { events: ceoEvents },
    })
    expect(e.statusCode).toBe(202)
    expect(e.json()).toEqual({ accepted: 0, duplicates: 4 })
    expect(await countRows('events')).toBe(before)
    await t.rescoreNow()
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/contacts/${ceo.email}/score`,
      headers: auth,
    })
    expect(res.json().score.score).toBe(105)
    expect(res.json().history).toHaveLength(1)
  })

  it('finds a contact by CRM id as well as by email', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [{ contact: { email: ceo.email, hubspotId: '9001' } }] },
    })
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/contacts/hubspot:9001/score',
      headers: auth,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().identities).toEqual(expect.arrayContaining([{ kind: 'hubspot', value: '9001' }]))
  })
})

describe('identity merging', () => {
  it('merges an anonymous visitor who identifies in the same batch into the known contact', async () => {
    // Regression: the anonymous contact was resolved, merged away by the next item, and its
    // events were then inserted against the deleted contact (a 500).
    const known = { contact: { email: 'known@merge-corp.com' }, createdAt: '2026-01-01T00:00:00Z' }
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [known] },
    })
    const events = [
      {
        contact: { anonymousId: 'visitor-77' },
        type: 'page.viewed',
        occurredAt: '2026-03-30T10:00:00Z',
        attributes: { url: '/pricing' },
      },
      {
        contact: { anonymousId: 'visitor-77', email: 'known@merge-corp.com' },
        type: 'form.submitted',
        occurredAt: '2026-03-30T10:05:00Z',
        attributes: { formId: 'demo', formName: 'Book a demo' },
      },
    ]
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: { events },
    })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0 })
    await t.rescoreNow()
    const score = await t.app.inject({
      method: 'GET',
      url: '/api/v1/contacts/known@merge-corp.com/score',
      headers: auth,
    })
    expect(score.json().score.reasons).toContain('+20 Pricing page (1 day)')
  })
})

describe('bad input: a 4xx naming the problem, nothing stored', () => {
  const cases: { name: string; body: string; status: number; code: string; mention: RegExp }[] = [
    {
      name: 'malformed JSON',
      body: '{"events": [',
      status: 400,
      code: 'invalid_json',
      mention: /not valid JSON/,
    },
    {
      name: 'wrong types',
      body: JSON.stringify({
        events: [
          { contact: { email: 'a@b.co' }, type: 'page.viewed', occurredAt: 42, attributes: { url: '/x' } },
        ],
      }),
      status: 400,
      code: 'invalid_items',
      mention: /events\[0\]\.occurredAt/,
    },
    {
      name: 'an unknown event type',
      body: JSON.stringify({
        events: [{ contact: { email: 'a@b.co' }, type: 'page.liked', occurredAt: NOW }],
      }),
      status: 400,
      code: 'invalid_items',
      mention: /unknown event type "page.liked"/,
    },
    {
      name: 'a missing identity',
      body: JSON.stringify({
        events: [{ contact: {}, type: 'page.viewed', occurredAt: NOW, attributes: { url: '/x' } }],
      }),
      status: 400,
      code: 'invalid_items',
      mention: /at least one of email/,
    },
    {
      name: 'one bad item among good ones',
      body: JSON.stringify({
        events: [
          { contact: { email: 'ok@b.co' }, type: 'page.viewed', occurredAt: NOW, attributes: { url: '/x' } },
          {
            contact: { email: 'not-an-email' },
            type: 'page.viewed',
            occurredAt: NOW,
            attributes: { url: '/x' },
          },
        ],
      }),
      status: 400,
      code: 'invalid_items',
      mention: /events\[1\]\.contact\.email/,
    },
  ]
  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const before = await countRows('events')
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: c.body,
      })
      expect(res.statusCode).toBe(c.status)
      expect(res.json().error.code).toBe(c.code)
      expect(res.json().error.message).toMatch(c.mention)
      expect(res.json().requestId).toBeTruthy()
      expect(await countRows('events')).toBe(before)
    })
  }

  it('refuses an instant outside 1970–9999 with 400 (Postgres cannot take year 0)', async () => {
    const payload = {
      events: [
        {
          contact: { email: 'y0@b.co' },
          type: 'custom',
          occurredAt: '0000-01-01T00:00:00Z',
          attributes: { name: 'n' },
        },
      ],
    }
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: auth, payload })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/occurredAt: must be between 1970 and 9999/)
  })

  it('stores text with a NUL or half a surrogate pair cleaned, never a 500', async () => {
    const body =
      '{"events":[{"contact":{"externalId":"ext\\u0000-1"},"type":"custom","occurredAt":"2026-03-30T10:00:00Z","attributes":{"name":"odd \\ud800 text\\u0000"}}]}'
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: body,
    })
    expect(res.statusCode).toBe(202)
    const stored = await t.app.inject({
      method: 'GET',
      url: '/api/v1/contacts/external:ext-1/score',
      headers: auth,
    })
    expect(stored.statusCode).toBe(200)
  })

  it('answers 404, not 500, for odd ids in the URL', async () => {
    for (const url of [
      '/api/v1/grids/------------------------------------',
      '/api/v1/grids/0123456789abcdef0123456789abcdef0123/publish',
      '/api/v1/contacts/%25/score',
      '/api/v1/contacts/a%00b/score',
    ]) {
      const res = await t.app.inject({ method: url.endsWith('publish') ? 'POST' : 'GET', url, headers: auth })
      expect([400, 404], url).toContain(res.statusCode)
    }
  })

  it('refuses a 12 MB body with 413', async () => {
    const big = JSON.stringify({
      events: [
        {
          contact: { email: 'a@b.co' },
          type: 'custom',
          occurredAt: NOW,
          attributes: { name: 'x'.repeat(12 * 1024 * 1024) },
        },
      ],
    })
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: big,
    })
    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('body_too_large')
  })

  it('refuses a missing or bad API key with 401 and stores nothing', async () => {
    const before = await countRows('events')
    const payload = {
      events: [{ contact: { email: 'x@y.co' }, type: 'custom', occurredAt: NOW, attributes: { name: 'n' } }],
    }
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/events', payload })
    expect(none.statusCode).toBe(401)
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { authorization: 'Bearer lg_sk_nope' },
      payload,
    })
    expect(bad.statusCode).toBe(401)
    expect(bad.json().error.code).toBe('invalid_api_key')
    expect(await countRows('events')).toBe(before)
  })

  it('refuses more than 1,000 items', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({
      contact: { email: `u${i}@b.co` },
      type: 'custom',
      occurredAt: NOW,
      attributes: { name: 'n' },
    }))
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: { events },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/at most 1000 items/)
  })
})

describe('tenant isolation', () => {
  it('another workspace cannot read this contact', async () => {
    const other = await t.createWorkspace('Other company')
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/contacts/${ceo.email}/score`,
      headers: { authorization: `Bearer ${other.apiKey}` },
    })
    expect(res.statusCode).toBe(404)
  })

  it("a key naming one workspace but holding another's secret is refused", async () => {
    const other = await t.createWorkspace('Third company')
    const forged = t.workspace.apiKey.replace(
      /^lg_sk_[0-9a-f]{32}/,
      `lg_sk_${other.workspaceId.replaceAll('-', '')}`,
    )
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/grids',
      headers: { authorization: `Bearer ${forged}` },
    })
    expect(res.statusCode).toBe(401)
  })
})
