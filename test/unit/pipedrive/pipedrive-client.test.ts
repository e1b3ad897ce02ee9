import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createPipedriveClient } from '../../../src/crm/pipedrive/client.js'
import { PipedriveApiError } from '../../../src/crm/pipedrive/errors.js'
import { createPipedriveRateLimits } from '../../../src/crm/pipedrive/rate-limits.js'
import { pipedriveFixture } from '../../helpers/pipedrive-fixtures.js'

const API = 'https://acme-sandbox.pipedrive.test'

function fakeTime(start = Date.UTC(2026, 10, 30, 12)) {
  let t = start
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

function makeClient(time = fakeTime(), opts: { plan?: { plan: 'lite'; seats: number } } = {}) {
  const limits = createPipedriveRateLimits({
    now: time.now,
    sleep: time.sleep,
    budgetOf: () => opts.plan,
  })
  return {
    limits,
    client: createPipedriveClient({
      companyId: '5380474',
      apiDomain: API,
      accessToken: () => 'tok',
      limits,
      sleep: time.sleep,
      random: () => 0.5,
      retry: { maxAttempts: 3, baseDelayMs: 100 },
    }),
  }
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  expect(nock.isDone()).toBe(true)
  nock.cleanAll()
})

describe('Pipedrive client over the official package', () => {
  it('identifies the company and the user from /api/v1/users/me', async () => {
    nock(API)
      .get('/api/v1/users/me')
      .matchHeader('authorization', 'Bearer tok')
      .reply(200, pipedriveFixture('users-me.json'))
    const { client } = makeClient()
    expect(await client.currentUser()).toEqual({
      userId: 777,
      companyId: 5380474,
      companyName: 'Acme Sandbox',
      companyDomain: 'acme-sandbox',
      isAdmin: true,
    })
  })

  it('writes custom fields with one PATCH carrying exactly the given values', async () => {
    let body: unknown
    nock(API)
      .patch('/api/v2/persons/8', (b) => {
        body = b
        return true
      })
      .reply(200, { success: true, data: { id: 8 } })
    const { client } = makeClient()
    expect(await client.updatePersonFields(8, { abc: 105, def: 13 })).toBe(true)
    expect(body).toEqual({ custom_fields: { abc: 105, def: 13 } })
  })

  it('a deleted person answers false rather than failing the batch', async () => {
    nock(API).patch('/api/v2/persons/9').reply(404, { success: false, error: 'Person not found' })
    const { client } = makeClient()
    expect(await client.updatePersonFields(9, { abc: 1 })).toBe(false)
  })

  it('pages persons with a cursor, 500 at a time, by update time when reconciling', async () => {
    nock(API)
      .get('/api/v2/persons')
      .query({
        limit: '500',
        sort_by: 'update_time',
        sort_direction: 'asc',
        updated_since: '2026-11-01T00:00:00Z',
      })
      .reply(200, { success: true, data: [{ id: 8 }], additional_data: { next_cursor: 'eyJpZCI6OH0' } })
    nock(API)
      .get('/api/v2/persons')
      .query({
        limit: '500',
        sort_by: 'update_time',
        sort_direction: 'asc',
        updated_since: '2026-11-01T00:00:00Z',
        cursor: 'eyJpZCI6OH0',
      })
      .reply(200, { success: true, data: [{ id: 9 }], additional_data: { next_cursor: null } })
    const { client } = makeClient()
    const first = await client.listPersons({ updatedSince: '2026-11-01T00:00:00Z' })
    expect(first).toEqual({ persons: [{ id: 8 }], nextCursor: 'eyJpZCI6OH0' })
    const second = await client.listPersons({
      updatedSince: '2026-11-01T00:00:00Z',
      cursor: first.nextCursor!,
    })
    expect(second).toEqual({ persons: [{ id: 9 }], nextCursor: null })
  })

  it('a burst 429 waits for x-ratelimit-reset, then the call goes through', async () => {
    nock(API)
      .get('/api/v2/persons/8')
      .reply(
        429,
        { success: false },
        { 'x-ratelimit-limit': '80', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' },
      )
    nock(API)
      .get('/api/v2/persons/8')
      .reply(200, { success: true, data: { id: 8, name: 'Claire' } })
    const time = fakeTime()
    const { client } = makeClient(time)
    expect(await client.getPerson(8)).toEqual({ id: 8, name: 'Claire' })
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2000)
  })

  it('a 429 with room left in the burst window means the daily budget: no more calls until midnight', async () => {
    nock(API)
      .patch('/api/v2/persons/8')
      .reply(
        429,
        { success: false },
        { 'x-ratelimit-limit': '80', 'x-ratelimit-remaining': '79', 'x-ratelimit-reset': '2' },
      )
    const time = fakeTime(Date.UTC(2026, 10, 30, 18))
    const { client } = makeClient(time)
    const err = await client.updatePersonFields(8, { a: 1 }).catch((e) => e)
    expect(err).toBeInstanceOf(PipedriveApiError)
    expect(err.dailyBudgetSpent).toBe(true)
    expect(err.retryAfterMs).toBe(6 * 3_600_000)
    // Nothing is sent now (no interceptor is left; nock would refuse the connection).
    const again = await client.getPerson(8).catch((e) => e)
    expect(again.dailyBudgetSpent).toBe(true)
  })

  it('stops at 95 % of a known daily budget before Pipedrive has to refuse', async () => {
    const time = fakeTime()
    const { client, limits } = makeClient(time, { plan: { plan: 'lite', seats: 1 } })
    // Lite × 1 seat = 30,000 tokens; 95 % = 28,500 = 2,850 updates at 10 tokens.
    for (let i = 0; i < 2850; i++) expect(await limits.forCompany('5380474').budget.take('update')).toBe(0)
    const err = await client.updatePersonFields(8, { a: 1 }).catch((e) => e)
    expect(err.dailyBudgetSpent).toBe(true)
  })

  it('retries a 5xx with backoff and reports a typed, retryable error when it persists', async () => {
    nock(API).get('/api/v2/persons/8').times(3).reply(503, 'unavailable')
    const { client } = makeClient()
    const err = await client.getPerson(8).catch((e) => e)
    expect(err).toBeInstanceOf(PipedriveApiError)
    expect(err.retryable).toBe(true)
    expect(err.status).toBe(503)
  })

  it('learns a larger plan from x-ratelimit-limit', async () => {
    nock(API)
      .get('/api/v2/persons/8')
      .reply(
        200,
        { success: true, data: { id: 8 } },
        { 'x-ratelimit-limit': '400', 'x-ratelimit-remaining': '399' },
      )
    const time = fakeTime()
    const { client, limits } = makeClient(time)
    await client.getPerson(8)
    // 300 starts at one instant fit in the announced 400-per-2-s window (the default 80 would wait).
    await Promise.all(Array.from({ length: 300 }, () => limits.forCompany('5380474').api.acquire()))
    expect(time.sleeps).toEqual([])
  })

  it('creates an app webhook in version 2.0 with its Basic credentials', async () => {
    let body: Record<string, unknown> = {}
    nock(API)
      .post('/api/v1/webhooks', (b) => {
        body = b
        return true
      })
      .reply(201, { success: true, data: { id: 4710827, event_action: 'change', event_object: 'person' } })
    const { client } = makeClient()
    const hook = await client.addWebhook({
      subscription_url: 'https://leadgrid.test/webhooks/pipedrive/c1',
      event_action: '*',
      event_object: 'person',
      name: 'Leadgrid person changes',
      http_auth_user: 'u',
      http_auth_password: 'p',
    })
    expect(hook.id).toBe(4710827)
    expect(body).toMatchObject({
      version: '2.0',
      http_auth_user: 'u',
      http_auth_password: 'p',
      event_object: 'person',
    })
  })
})
