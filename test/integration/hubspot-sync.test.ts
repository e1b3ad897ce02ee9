/**
 * HubSpot sync paths on the real database: parked write-backs stay visible, 429 defers the flush,
 * a revoked refresh token marks the connection uninstalled and pauses write-back, merges make one
 * contact, reconciliation turns changed counters into events once, the workflow action records an event.
 */
import { createHmac } from 'node:crypto'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import type { HubSpotServices } from '../../src/crm/hubspot/index.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp

async function connect(portalId: string, opts: { expiresAt?: Date } = {}) {
  const ws = await t.createWorkspace(`portal ${portalId}`)
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: ws.workspaceId,
      provider: 'hubspot',
      account_id: portalId,
      access_token_enc: t.deps.secretBox.encrypt(`token-${portalId}`),
      refresh_token_enc: t.deps.secretBox.encrypt(`refresh-${portalId}`),
      token_expires_at: opts.expiresAt ?? new Date('2026-03-31T13:00:00.000Z'),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done', processed: 0 }),
      reconcile_cursor: new Date('2026-03-31T11:30:00.000Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { workspaceId: ws.workspaceId, connectionId: row.id, portalId }
}

const contact = (id: string, props: Record<string, string>) => ({
  id,
  properties: { hs_object_id: id, createdate: '2026-03-01T00:00:00.000Z', ...props },
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-31T11:40:00.000Z',
  archived: false,
})

async function ingest(
  c: { workspaceId: string; connectionId: string; portalId: string },
  contacts: ReturnType<typeof contact>[],
) {
  const { ingestCrmRecords } = await import('../../src/crm/sync-service.js')
  const { hubspotRecords } = await import('../../src/crm/hubspot/records.js')
  await ingestCrmRecords(
    t.deps,
    { workspace_id: c.workspaceId, id: c.connectionId, provider: 'hubspot' },
    hubspotRecords(c.portalId, contacts, undefined, t.deps.clock.now()),
    'hubspot',
  )
  await t.rescoreNow(c.workspaceId)
}

const outbox = (workspaceId: string) =>
  t.deps.db
    .selectFrom('outbox')
    .select(['crm_id', 'status', 'attempts', 'last_error'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('crm_id')
    .execute()

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

describe('HubSpot write-back failures', () => {
  it('parks a record HubSpot no longer has, writes the others, and shows the parked row in health', async () => {
    const c = await connect('70001')
    await ingest(c, [
      contact('1', { email: 'a@acme-software.com' }),
      contact('999', { email: 'gone@acme-software.com' }),
    ])
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(207, {
        status: 'COMPLETE',
        results: [
          {
            id: '1',
            properties: {},
            createdAt: '2026-03-01T00:00:00.000Z',
            updatedAt: '2026-03-31T12:00:00.000Z',
            archived: false,
          },
        ],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'not found',
            context: { ids: ['999'] },
            links: {},
            errors: [],
          },
        ],
        startedAt: '2026-03-31T12:00:00.000Z',
        completedAt: '2026-03-31T12:00:01.000Z',
      })
    const written = await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)
    expect(written).toBe(1)
    expect(await outbox(c.workspaceId)).toEqual([
      { crm_id: '999', status: 'parked', attempts: 1, last_error: 'OBJECT_NOT_FOUND: not found' },
    ])
    const [health] = await t.deps.crm.connections.health(c.workspaceId)
    expect(health?.backlog).toMatchObject({ writeBackParked: 1, writeBackPending: 0 })
  })

  it('on a 400 for the batch, writes the valid records one by one and parks only the invalid one', async () => {
    const c = await connect('70002')
    await ingest(c, [
      contact('1', { email: 'a@acme-software.com' }),
      contact('2', { email: 'b@acme-software.com' }),
    ])
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => (b as { inputs: unknown[] }).inputs.length === 2)
      .reply(400, {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Property values were not valid',
      })
      .post(
        '/crm/v3/objects/contacts/batch/update',
        (b) => (b as { inputs: { id: string }[] }).inputs[0]?.id === '1',
      )
      .reply(200, { status: 'COMPLETE', results: [{ id: '1', properties: {} }] })
      .post(
        '/crm/v3/objects/contacts/batch/update',
        (b) => (b as { inputs: { id: string }[] }).inputs[0]?.id === '2',
      )
      .reply(400, {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Property values were not valid',
      })
    await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)
    expect(await outbox(c.workspaceId)).toEqual([
      { crm_id: '2', status: 'parked', attempts: 1, last_error: expect.stringContaining('400') as string },
    ])
  })

  it('one flush run drains a backlog larger than a page, 100 contacts per call, and stops when it is empty', async () => {
    // It used to write one page (1,000 rows) per run and queue itself again: a queue round-trip
    // every ten calls, which left HubSpot's budget partly unused.
    const c = await connect('70010')
    const many = Array.from({ length: 1_001 }, (_, i) =>
      contact(String(20_000 + i), { email: `lead${i}@acme-software.com` }),
    )
    await ingest(c, many)
    expect(await outbox(c.workspaceId)).toHaveLength(1_001)
    const sizes: number[] = []
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update')
      .times(11)
      .reply(200, (_uri, body) => {
        const inputs = (body as { inputs: { id: string }[] }).inputs
        sizes.push(inputs.length)
        return {
          status: 'COMPLETE',
          results: inputs.map((i) => ({ id: i.id, properties: {}, archived: false })),
          startedAt: '2026-03-31T12:00:00.000Z',
          completedAt: '2026-03-31T12:00:01.000Z',
        }
      })
    expect(await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)).toBe(1_001)
    expect(sizes).toEqual([...Array(10).fill(100), 1])
    expect(await outbox(c.workspaceId)).toEqual([])
  })

  it('a daily-limit 429 keeps the rows pending and defers the flush', async () => {
    const c = await connect('70003')
    await ingest(c, [contact('1', { email: 'a@acme-software.com' })])
    nock(API).post('/crm/v3/objects/contacts/batch/update').reply(429, {
      status: 'error',
      message: 'You have reached your daily limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'DAILY',
    })
    expect(await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)).toBe(0)
    expect(await outbox(c.workspaceId)).toMatchObject([{ crm_id: '1', status: 'pending', attempts: 1 }])
  })

  it('a revoked refresh token marks the connection uninstalled and pauses its write-back', async () => {
    const c = await connect('70004', { expiresAt: new Date('2026-03-31T12:01:00.000Z') })
    await ingest(c, [contact('1', { email: 'a@acme-software.com' })])
    nock(API)
      .post('/oauth/v3/token')
      .reply(400, { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' })
    expect(await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)).toBe(0)
    const conn = await t.deps.crm.connections.byId(c.workspaceId, c.connectionId)
    expect(conn.status).toBe('uninstalled')
    expect(conn.last_error).toContain('BAD_REFRESH_TOKEN')
    // Nothing dropped: the row waits, visible, for a reinstall.
    expect(await outbox(c.workspaceId)).toMatchObject([{ crm_id: '1', status: 'pending' }])
    expect(await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)).toBe(0)
  })
})

describe('HubSpot contact sync', () => {
  it('moves lifecyclestage forward to MQL when the option is on, never backward', async () => {
    const c = await connect('70008')
    await t.deps.crm.connections.updateSettings(
      c.workspaceId,
      c.connectionId,
      { lifecycleOnMql: true },
      'user',
    )
    const profile = { jobtitle: 'CEO', numemployees: '100-500', industry: 'COMPUTER_SOFTWARE' }
    await ingest(c, [
      contact('1', { email: 'lead@acme-software.com', lifecyclestage: 'lead', ...profile }),
      contact('2', { email: 'customer@acme-software.com', lifecyclestage: 'customer', ...profile }),
    ])
    // Three distinct whitepapers (+75) on a fit of 15: both contacts become MQL.
    await t.deps.ingestion.ingestEvents(
      c.workspaceId,
      ['1', '2'].flatMap((hubspotId) =>
        ['A', 'B', 'C'].map((w) => ({
          contact: { hubspotId },
          type: 'form.submitted' as const,
          occurredAt: '2026-03-30T10:00:00.000Z',
          attributes: { formName: `White paper ${w}` },
        })),
      ),
      'test',
    )
    await t.rescoreNow(c.workspaceId)
    let body: { inputs: { id: string; properties: Record<string, string> }[] } | undefined
    nock(API)
      .post('/crm/v3/objects/contacts/batch/update', (b) => {
        body = b as typeof body
        return true
      })
      .reply(200, { status: 'COMPLETE', results: [] })
    await t.deps.crm.flush.flush(c.workspaceId, c.connectionId)
    const byId = Object.fromEntries((body?.inputs ?? []).map((i) => [i.id, i.properties]))
    expect(byId['1']).toMatchObject({ leadgrid_mql_status: 'mql', lifecyclestage: 'marketingqualifiedlead' })
    expect(byId['2']).toMatchObject({ leadgrid_mql_status: 'mql' })
    expect(byId['2']).not.toHaveProperty('lifecyclestage')
  })
  it('a merge webhook leaves one contact holding both histories', async () => {
    const c = await connect('70005')
    await ingest(c, [
      contact('5001', {
        email: 'first@acme-software.com',
        hs_analytics_num_page_views: '1',
        hs_analytics_last_url: 'https://acme.example/pricing',
        hs_analytics_last_timestamp: '2026-03-30T10:00:00.000Z',
      }),
      contact('5002', {
        email: 'second@acme-software.com',
        num_conversion_events: '1',
        recent_conversion_event_name: 'White paper A',
        recent_conversion_date: '2026-03-30T11:00:00.000Z',
      }),
    ])
    const batch = [
      {
        eventId: 1,
        subscriptionId: 1,
        portalId: 70005,
        appId: 12345,
        occurredAt: Date.parse('2026-03-31T11:59:00.000Z'),
        subscriptionType: 'contact.merge',
        attemptNumber: 0,
        objectId: 5001,
        primaryObjectId: 5001,
        mergedObjectIds: [5002],
        newObjectId: 5001,
        numberOfPropertiesMoved: 2,
        changeSource: 'CRM_UI',
      },
    ]
    const body = JSON.stringify(batch)
    const ts = String(clock.now().getTime())
    const sig = createHmac('sha256', TEST_ENV.HUBSPOT_CLIENT_SECRET)
      .update(`POST${TEST_ENV.PUBLIC_URL}/webhooks/hubspot${body}${ts}`)
      .digest('base64')
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': sig,
        'x-hubspot-request-timestamp': ts,
      },
      payload: body,
    })
    expect(res.statusCode).toBe(200)
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [contact('5001', { email: 'first@acme-software.com' })] })
    await crmJobHandlers(t.deps)['crm-process-deliveries']({
      workspaceId: c.workspaceId,
      connectionId: c.connectionId,
    })
    const contacts = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(contacts).toHaveLength(1)
    const events = await t.deps.db
      .selectFrom('events')
      .select(['type', 'contact_id'])
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(events.map((e) => e.type).sort()).toEqual(['form.submitted', 'page.viewed'])
    expect(new Set(events.map((e) => e.contact_id))).toEqual(new Set([contacts[0]!.id]))
  })

  it('reconciliation reads contacts modified since the last pass and counts each new engagement once', async () => {
    const c = await connect('70006')
    const seen = contact('1', {
      email: 'a@acme-software.com',
      hs_analytics_num_page_views: '3',
      hs_analytics_last_url: 'https://acme.example/pricing',
      hs_analytics_last_timestamp: '2026-03-31T11:45:00.000Z',
      lastmodifieddate: '2026-03-31T11:45:00.000Z',
    })
    let filter: unknown
    nock(API)
      .post('/crm/v3/objects/contacts/search', (b) => {
        filter = (b as { filterGroups: unknown }).filterGroups
        return true
      })
      .twice()
      .reply(200, { total: 1, results: [seen] })
    const sync = t.deps.crm.sync
    expect(await sync.reconcile(c.workspaceId, c.connectionId)).toBe(1)
    expect(filter).toEqual([
      {
        filters: [
          {
            propertyName: 'lastmodifieddate',
            operator: 'GTE',
            value: String(Date.parse('2026-03-31T11:30:00.000Z')),
          },
        ],
      },
    ])
    // The next pass sees the same state again (overlap for index lag): nothing is counted twice.
    expect(await sync.reconcile(c.workspaceId, c.connectionId)).toBe(1)
    const events = await t.deps.db
      .selectFrom('events')
      .select(['type', 'dedupe_key'])
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(events).toEqual([{ type: 'page.viewed', dedupe_key: 'id:hubspot:70006:1:page.viewed:3' }])
    const conn = await t.deps.crm.connections.byId(c.workspaceId, c.connectionId)
    expect(conn.reconcile_cursor?.toISOString()).toBe('2026-03-31T11:45:00.000Z')
  })

  it('two install callbacks racing for one new portal make one workspace and one connection', async () => {
    const token = {
      token_type: 'bearer',
      refresh_token: 'r-80001',
      access_token: 'a-80001',
      expires_in: 1800,
    }
    const info = {
      active: true,
      hub_id: 80001,
      app_id: 54321,
      scopes: ['oauth', 'crm.objects.contacts.read'],
    }
    // Both callbacks learn the portal at the same moment, so both look for it before either stores it.
    let arrived = 0
    let release = () => {}
    const bothThere = new Promise<void>((resolve) => {
      release = resolve
    })
    nock(API)
      .post('/oauth/v3/token')
      .times(2)
      .reply(200, token)
      .post('/oauth/v3/token/introspect')
      .times(2)
      .reply(async () => {
        if (++arrived === 2) release()
        await bothThere
        return [200, info]
      })
    const connections = (t.deps.crm.partsOf('hubspot').services as HubSpotServices).install
    const [a, b] = await Promise.all([
      connections.completeInstall('code-1'),
      connections.completeInstall('code-2'),
    ])
    expect(a.connectionId).toBe(b.connectionId)
    expect(a.workspaceId).toBe(b.workspaceId)
    expect([a.reinstalled, b.reinstalled].sort()).toEqual([false, true])
    const workspaces = await t.deps.db
      .selectFrom('workspaces')
      .select('id')
      .where('name', '=', 'HubSpot account 80001')
      .execute()
    expect(workspaces).toHaveLength(1)
  })

  it('the workflow action records the engagement once per execution', async () => {
    const c = await connect('70007')
    await ingest(c, [contact('42', { email: 'webinar@acme-software.com' })])
    const payload = JSON.stringify({
      callbackId: 'ap-102-4815162342',
      origin: { portalId: 70007, actionDefinitionId: 77 },
      object: { objectId: 42, objectType: 'CONTACT' },
      inputFields: { eventType: 'webinar.attended', name: 'Scoring masterclass', reference: 'web-2026-03' },
    })
    const send = () => {
      const ts = String(clock.now().getTime())
      const sig = createHmac('sha256', TEST_ENV.HUBSPOT_CLIENT_SECRET)
        .update(`POST${TEST_ENV.PUBLIC_URL}/hubspot/workflow-action${payload}${ts}`)
        .digest('base64')
      return t.app.inject({
        method: 'POST',
        url: '/hubspot/workflow-action',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature-v3': sig,
          'x-hubspot-request-timestamp': ts,
        },
        payload,
      })
    }
    expect((await send()).statusCode).toBe(200)
    expect((await send()).statusCode).toBe(200)
    const events = await t.deps.db
      .selectFrom('events')
      .select(['type', 'attributes'])
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(events).toEqual([
      { type: 'webinar.attended', attributes: { eventId: 'web-2026-03', eventName: 'Scoring masterclass' } },
    ])
    // v2 signature, as HubSpot documents for custom workflow actions.
    const v2 = createHmac('sha256', 'x').digest('hex') // wrong on purpose
    const refused = await t.app.inject({
      method: 'POST',
      url: '/hubspot/workflow-action',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature': v2,
        'x-hubspot-signature-version': 'v2',
      },
      payload,
    })
    expect(refused.statusCode).toBe(401)

    // Fields the API would refuse are refused here too: 400, nothing stored.
    for (const objectId of ['', 'x'.repeat(10_000), 1.5]) {
      const bad = JSON.stringify({
        ...JSON.parse(payload),
        callbackId: `cb-${String(objectId).length}`,
        object: { objectId },
      })
      const ts = String(clock.now().getTime())
      const sig = createHmac('sha256', TEST_ENV.HUBSPOT_CLIENT_SECRET)
        .update(`POST${TEST_ENV.PUBLIC_URL}/hubspot/workflow-action${bad}${ts}`)
        .digest('base64')
      const res = await t.app.inject({
        method: 'POST',
        url: '/hubspot/workflow-action',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature-v3': sig,
          'x-hubspot-request-timestamp': ts,
        },
        payload: bad,
      })
      expect(res.statusCode, String(objectId).slice(0, 10)).toBe(400)
    }
    const after = await t.deps.db
      .selectFrom('events')
      .select('type')
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(after).toHaveLength(1)
  })
})
