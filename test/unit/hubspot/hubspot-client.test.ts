import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHubSpotClient } from '../../../src/crm/hubspot/client.js'
import { contactsApi } from '../../../src/crm/hubspot/client-contacts.js'
import { HubSpotApiError } from '../../../src/crm/hubspot/errors.js'
import { createHubSpotRateLimits } from '../../../src/crm/hubspot/rate-limits.js'
import { createSlidingWindowLimiter } from '../../../src/crm/rate-limiter.js'

const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}

const API = 'http://hubspot.test'

/** A fake clock whose sleep advances time: limiter waits are instant yet measurable. */
function fakeTime() {
  let t = 1_000_000
  const sleeps: number[] = []
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      t += ms
    },
    sleeps,
  }
}

function makeClient(time = fakeTime(), maxAttempts = 4) {
  const limits = createHubSpotRateLimits({ now: time.now, sleep: time.sleep })
  const client = createHubSpotClient({
    portalId: '62515',
    apiBase: API,
    accessToken: () => 'tok',
    limits,
    sleep: time.sleep,
    random: () => 0.5,
    retry: { maxAttempts, baseDelayMs: 100 },
  })
  return { ...contactsApi(client), uninstall: client.uninstall }
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  expect(nock.isDone()).toBe(true)
  nock.cleanAll()
})

describe('sliding-window limiter', () => {
  it('never starts more than max requests in any window', async () => {
    const time = fakeTime()
    const limiter = createSlidingWindowLimiter({ max: 5, intervalMs: 1000, now: time.now, sleep: time.sleep })
    const starts: number[] = []
    await Promise.all(Array.from({ length: 23 }, () => limiter.acquire().then(() => starts.push(time.now()))))
    expect(starts).toHaveLength(23)
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(5)
    // ...and is not needlessly slow: 23 requests at 5/s finish within 4 windows.
    expect(starts.at(-1)! - starts[0]!).toBeLessThan(4 * 1000 + 1)
  })

  it('holds every request during a pause', async () => {
    const time = fakeTime()
    const limiter = createSlidingWindowLimiter({
      max: 100,
      intervalMs: 1000,
      now: time.now,
      sleep: time.sleep,
    })
    const t0 = time.now()
    limiter.pauseFor(10_000)
    await limiter.acquire()
    expect(time.now() - t0).toBe(10_000)
  })

  it('shares one window per portal across clients (110 per 10 s by default)', async () => {
    const time = fakeTime()
    const limits = createHubSpotRateLimits({ now: time.now, sleep: time.sleep })
    expect(limits.forPortal('1')).toBe(limits.forPortal('1'))
    expect(limits.forPortal('1')).not.toBe(limits.forPortal('2'))
    const starts: number[] = []
    await Promise.all(
      Array.from({ length: 230 }, () =>
        limits
          .forPortal('1')
          .api.acquire()
          .then(() => starts.push(time.now())),
      ),
    )
    for (const s of starts)
      expect(starts.filter((x) => x >= s && x < s + 10_000).length).toBeLessThanOrEqual(110)
  })
})

describe('HubSpot client over @hubspot/api-client', () => {
  it('batch-updates contacts with the exact body, 100 inputs per call', async () => {
    const inputs = Array.from({ length: 250 }, (_, i) => ({
      id: String(1000 + i),
      properties: { leadgrid_score: String(i) },
    }))
    const bodies: unknown[] = []
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => {
        bodies.push(b)
        return true
      })
      .matchHeader('authorization', 'Bearer tok')
      .times(3)
      .reply(200, fixture('batch-update-response.json'))
    const res = await makeClient().batchUpdateContacts(inputs)
    expect(bodies.map((b) => (b as { inputs: unknown[] }).inputs.length)).toEqual([100, 100, 50])
    expect((bodies[2] as { inputs: unknown[] }).inputs[0]).toEqual({
      id: '1200',
      properties: { leadgrid_score: '200' },
    })
    expect(res.failed).toEqual([])
  })

  it('returns per-record failures of a 207 instead of dropping them', async () => {
    nock(API).post('/crm/v3/objects/contacts/batch/update').reply(207, fixture('batch-update-207.json'))
    const res = await makeClient().batchUpdateContacts([
      { id: '101', properties: { leadgrid_score: '105' } },
      { id: '999', properties: { leadgrid_score: '1' } },
    ])
    expect(res.updated).toEqual(['101'])
    expect(res.failed).toEqual([
      { ids: ['999'], status: 'error', category: 'OBJECT_NOT_FOUND', message: expect.any(String) as string },
    ])
  })

  it('waits as the 429 says, pauses the portal, then succeeds', async () => {
    const time = fakeTime()
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(429, fixture('rate-limit-429.json'), {
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        'X-HubSpot-RateLimit-Max': '110',
        'X-HubSpot-RateLimit-Remaining': '0',
      })
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(200, fixture('batch-update-response.json'))
    const t0 = time.now()
    const res = await makeClient(time).batchUpdateContacts([
      { id: '101', properties: { leadgrid_score: '105' } },
    ])
    expect(res.updated).toContain('101')
    expect(time.now() - t0).toBeGreaterThanOrEqual(10_000)
  })

  it('keeps sending as its window allows after a success that says `remaining: 0` (the window rolls)', async () => {
    // It used to pause the portal a whole interval on that header, idling it in every window once
    // the flush kept up with the budget; the sliding window already knows when the next slot frees.
    const time = fakeTime()
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .times(2)
      .reply(200, fixture('batch-update-response.json'), {
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        'X-HubSpot-RateLimit-Max': '110',
        'X-HubSpot-RateLimit-Remaining': '0',
      })
    const client = makeClient(time)
    const input = [{ id: '101', properties: { leadgrid_score: '105' } }]
    await client.batchUpdateContacts(input)
    await client.batchUpdateContacts(input)
    expect(time.sleeps).toEqual([])
  })

  it('honours Retry-After when HubSpot sends one', async () => {
    const time = fakeTime()
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(429, fixture('rate-limit-429.json'), { 'Retry-After': '3' })
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(200, fixture('batch-update-response.json'))
    const t0 = time.now()
    await makeClient(time).batchUpdateContacts([{ id: '101', properties: { leadgrid_score: '105' } }])
    expect(time.now() - t0).toBe(3000)
  })

  it('does not retry a daily-limit 429 and says when to come back', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(429, {
        ...fixture('rate-limit-429.json'),
        policyName: 'DAILY',
        message: 'You have reached your daily limit.',
      })
    const err = (await makeClient()
      .batchUpdateContacts([{ id: '101', properties: { leadgrid_score: '1' } }])
      .catch((e: unknown) => e)) as HubSpotApiError
    expect(err).toBeInstanceOf(HubSpotApiError)
    expect(err).toMatchObject({ status: 429, retryable: true, policyName: 'DAILY' })
    expect(err.retryAfterMs).toBeGreaterThan(0)
  })

  it('retries 5xx with growing backoff, then surfaces a retryable CrmError', async () => {
    const time = fakeTime()
    nock(API).post('/crm/v3/objects/contacts/batch/update').times(3).reply(502, 'Bad Gateway')
    const err = (await makeClient(time, 3)
      .batchUpdateContacts([{ id: '101', properties: { leadgrid_score: '1' } }])
      .catch((e: unknown) => e)) as HubSpotApiError
    expect(err).toMatchObject({ name: 'HubSpotApiError', provider: 'hubspot', status: 502, retryable: true })
    expect(time.sleeps).toEqual([100, 200])
  })

  it('recovers when a 5xx is followed by success', async () => {
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(503, { status: 'error', category: 'SERVICE_UNAVAILABLE' })
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(200, fixture('batch-update-response.json'))
    const res = await makeClient().batchUpdateContacts([{ id: '101', properties: { leadgrid_score: '105' } }])
    expect(res.updated).toContain('101')
  })

  it('surfaces a 400 at once, not retryable, with its category', async () => {
    nock(API).post('/crm/v3/objects/contacts/batch/update').reply(400, {
      status: 'error',
      message: 'Property values were not valid',
      category: 'VALIDATION_ERROR',
      correlationId: 'x',
    })
    const err = (await makeClient()
      .batchUpdateContacts([{ id: '101', properties: { leadgrid_band: 'tepid' } }])
      .catch((e: unknown) => e)) as HubSpotApiError
    expect(err).toMatchObject({ status: 400, retryable: false, category: 'VALIDATION_ERROR' })
  })

  it('searches contacts modified since a time, oldest first, within the search limits', async () => {
    let sent: Record<string, unknown> | undefined
    nock(API)
      .post('/crm/v3/objects/contacts/search', (b) => {
        sent = b
        return true
      })
      .reply(200, fixture('search-contacts-response.json'))
    const since = new Date('2026-03-31T11:45:00Z')
    const page = await makeClient().searchContactsModifiedSince({
      since,
      properties: ['email', 'hs_analytics_num_page_views'],
    })
    expect(sent).toEqual({
      filterGroups: [
        { filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(since.getTime()) }] },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email', 'hs_analytics_num_page_views', 'lastmodifieddate'],
      limit: 200,
    })
    expect(page.contacts.map((c) => c.id)).toEqual(['101', '102'])
    expect(page.contacts[0]?.properties['hs_analytics_num_page_views']).toBe('12')
    expect(page.after).toBe('2')
  })

  it('reads a contact, and answers null for one HubSpot no longer has', async () => {
    nock(API)
      .get('/crm/v3/objects/contacts/101')
      .query(true)
      .reply(200, {
        id: '101',
        properties: { email: 'a@b.co' },
        createdAt: '2026-01-10T09:00:00.000Z',
        updatedAt: '2026-01-10T09:00:00.000Z',
        archived: false,
      })
      .get('/crm/v3/objects/contacts/999')
      .query(true)
      .reply(404, { status: 'error', category: 'OBJECT_NOT_FOUND', message: 'resource not found' })
    const c = makeClient()
    expect((await c.getContact('101', ['email']))?.properties['email']).toBe('a@b.co')
    expect(await c.getContact('999', ['email'])).toBeNull()
  })

  it('pages through all contacts', async () => {
    nock(API)
      .get('/crm/v3/objects/contacts')
      .query((q) => q['after'] === undefined && q['limit'] === '100')
      .reply(200, { results: [{ id: '1', properties: {} }], paging: { next: { after: '1' } } })
      .get('/crm/v3/objects/contacts')
      .query((q) => q['after'] === '1')
      .reply(200, { results: [{ id: '2', properties: {} }] })
    const c = makeClient()
    const p1 = await c.listContactsPage({ properties: ['email'] })
    const p2 = await c.listContactsPage({ properties: ['email'], after: p1.after })
    expect([...p1.contacts, ...p2.contacts].map((x) => x.id)).toEqual(['1', '2'])
    expect(p2.after).toBeUndefined()
  })

  it('uninstalls itself through the SDK with the bearer token', async () => {
    nock(API).delete('/appinstalls/v3/external-install').matchHeader('authorization', 'Bearer tok').reply(204)
    await makeClient().uninstall()
  })
})
