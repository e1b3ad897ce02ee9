/**
 * Issue 10 item 1 on the real database, HubSpot played by nock against the real @hubspot/api-client:
 * a signed webhook batch records the outcomes it means — a lifecycle stage reached, a deal closed won
 * (stages classified from the pipelines API) for each of its contacts — and hearing the same facts
 * again records nothing; the backfill records the stages HubSpot dates on each contact.
 */
import { createHmac } from 'node:crypto'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const clock = fixedClock('2026-04-02T12:00:00.000Z')
let t: TestApp

// No companies scope: the company reads are another test's business.
const SCOPES = ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.deals.read']

async function connect(portalId: string, opts: { backfillDone?: boolean; scopes?: string[] } = {}) {
  const ws = await t.createWorkspace(`portal ${portalId}`)
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: ws.workspaceId,
      provider: 'hubspot',
      account_id: portalId,
      access_token_enc: t.deps.secretBox.encrypt(`token-${portalId}`),
      refresh_token_enc: t.deps.secretBox.encrypt(`refresh-${portalId}`),
      token_expires_at: new Date('2026-04-02T13:00:00.000Z'),
      scopes: opts.scopes ?? SCOPES,
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify(opts.backfillDone === false ? {} : { status: 'done', processed: 0 }),
      reconcile_cursor: new Date('2026-04-02T11:30:00.000Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { workspaceId: ws.workspaceId, connectionId: row.id, portalId: Number(portalId) }
}

function signedWebhook(events: unknown[]) {
  const body = JSON.stringify(events)
  const ts = String(clock.now().getTime())
  const sig = createHmac('sha256', TEST_ENV.HUBSPOT_CLIENT_SECRET)
    .update(`POST${TEST_ENV.PUBLIC_URL}/webhooks/hubspot${body}${ts}`)
    .digest('base64')
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/hubspot',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': sig,
      'x-hubspot-request-timestamp': ts,
    },
    payload: body,
  })
}

const contact = (id: string, props: Record<string, string> = {}) => ({
  id,
  properties: {
    hs_object_id: id,
    email: `p${id}@acme.example`,
    createdate: '2026-03-01T00:00:00.000Z',
    lastmodifieddate: '2026-04-01T10:00:00.000Z',
    ...props,
  },
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-04-01T10:00:00.000Z',
  archived: false,
})

/** A batch naming contact 201 reaching SQL and deal 301 moved to closed won (ids vary per resend). */
const batch = (portalId: number, firstEventId: number) => [
  {
    eventId: firstEventId,
    subscriptionId: 25,
    portalId,
    appId: 54321,
    occurredAt: Date.parse('2026-04-01T09:00:00.000Z'),
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 201,
    propertyName: 'lifecyclestage',
    propertyValue: 'salesqualifiedlead',
    changeSource: 'CRM_UI',
  },
  {
    eventId: firstEventId + 1,
    subscriptionId: 27,
    portalId,
    appId: 54321,
    occurredAt: Date.parse('2026-04-01T11:00:00.000Z'),
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: 301,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    changeSource: 'CRM_UI',
  },
]

/** HubSpot's answers for the batch: pipelines, the deal, its contacts, then the contacts themselves. */
function hubspotAnswersForTheBatch() {
  const calls: string[] = []
  nock(API)
    .get('/crm/v3/pipelines/deals')
    .reply(200, () => {
      calls.push('pipelines')
      return {
        results: [
          {
            id: 'default',
            label: 'Sales Pipeline',
            stages: [
              {
                id: 'appointmentscheduled',
                label: 'Appointment',
                metadata: { isClosed: 'false', probability: '0.2' },
              },
              { id: 'closedwon', label: 'Closed Won', metadata: { isClosed: 'true', probability: '1.0' } },
              { id: 'closedlost', label: 'Closed Lost', metadata: { isClosed: 'true', probability: '0.0' } },
            ],
          },
        ],
      }
    })
    .post('/crm/v3/objects/deals/batch/read', (b) => {
      calls.push(`deals ${(b as { inputs: { id: string }[] }).inputs.map((i) => i.id).join(',')}`)
      return true
    })
    .reply(200, {
      status: 'COMPLETE',
      results: [
        {
          id: '301',
          properties: {
            dealstage: 'closedwon',
            pipeline: 'default',
            closedate: '2026-04-01T10:30:00.000Z',
            hs_lastmodifieddate: '2026-04-01T11:00:00.000Z',
          },
        },
      ],
    })
    .post('/crm/v4/associations/deals/contacts/batch/read')
    .reply(200, {
      status: 'COMPLETE',
      results: [
        {
          from: { id: '301' },
          to: [
            { toObjectId: 201, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }] },
            { toObjectId: 202, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }] },
          ],
        },
      ],
    })
    .post('/crm/v3/objects/contacts/batch/read', (b) => {
      calls.push(
        `contacts ${(b as { inputs: { id: string }[] }).inputs
          .map((i) => i.id)
          .sort()
          .join(',')}`,
      )
      return true
    })
    .query({ archived: 'false' })
    .reply(200, {
      status: 'COMPLETE',
      results: [
        contact('201', { lifecyclestage: 'salesqualifiedlead' }),
        contact('202', { lifecyclestage: 'customer' }),
      ],
      startedAt: '2026-04-02T12:00:00.000Z',
      completedAt: '2026-04-02T12:00:00.100Z',
    })
  return calls
}

/** The workspace's outcomes as `hubspotId kind occurredAt`, sorted. */
async function outcomes(workspaceId: string): Promise<string[]> {
  const rows = await t.deps.db
    .withTables<{ outcomes: { workspace_id: string; contact_id: string; kind: string; occurred_at: Date } }>()
    .selectFrom('outcomes as o')
    .innerJoin('contact_identities as i', (j) =>
      j.onRef('i.workspace_id', '=', 'o.workspace_id').onRef('i.contact_id', '=', 'o.contact_id'),
    )
    .select(['i.value', 'o.kind', 'o.occurred_at'])
    .where('o.workspace_id', '=', workspaceId)
    .where('i.kind', '=', 'hubspot')
    .execute()
  return rows.map((r) => `${r.value} ${r.kind} ${new Date(r.occurred_at).toISOString()}`).sort()
}

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

describe('HubSpot outcomes', () => {
  it('a signed batch records SQL for the contact and won for each contact of the closed-won deal, once', async () => {
    const c = await connect('81001')
    const process = () => crmJobHandlers(t.deps)['crm-process-deliveries'](c)

    expect((await signedWebhook(batch(c.portalId, 5001))).json()).toMatchObject({ stored: 2 })
    const calls = hubspotAnswersForTheBatch()
    await process()
    expect(calls).toEqual(['pipelines', 'deals 301', 'contacts 201,202'])
    const expected = [
      '201 sql 2026-04-01T09:00:00.000Z',
      '201 won 2026-04-01T10:30:00.000Z',
      '202 won 2026-04-01T10:30:00.000Z',
    ]
    expect(await outcomes(c.workspaceId)).toEqual(expected)

    // HubSpot's retry of the same batch: stored once, nothing to process.
    expect((await signedWebhook(batch(c.portalId, 5001))).json()).toMatchObject({ stored: 0, duplicates: 2 })
    await process()

    // The same facts delivered again under new event ids (a re-sent change, a second subscription):
    // read again, and still one outcome per fact.
    expect((await signedWebhook(batch(c.portalId, 6001))).json()).toMatchObject({ stored: 2 })
    hubspotAnswersForTheBatch()
    await process()
    expect(await outcomes(c.workspaceId)).toEqual(expected)
  })

  it('a deal closed lost records lost; an open stage records nothing', async () => {
    const c = await connect('81002')
    const deal = (eventId: number, objectId: number, stage: string) => ({
      ...batch(c.portalId, eventId)[1]!,
      objectId,
      propertyValue: stage,
    })
    await signedWebhook([deal(7001, 401, 'closedlost'), deal(7002, 402, 'appointmentscheduled')])
    nock(API)
      .get('/crm/v3/pipelines/deals')
      .reply(200, {
        results: [
          {
            id: 'default',
            stages: [
              { id: 'appointmentscheduled', metadata: { isClosed: 'false', probability: '0.2' } },
              { id: 'closedlost', metadata: { isClosed: 'true', probability: '0.0' } },
            ],
          },
        ],
      })
      .post('/crm/v3/objects/deals/batch/read')
      .reply(200, {
        status: 'COMPLETE',
        results: [
          { id: '401', properties: { dealstage: 'closedlost', closedate: '2026-04-01T08:00:00.000Z' } },
          { id: '402', properties: { dealstage: 'appointmentscheduled', closedate: null } },
        ],
      })
      // Only the closed deal's contacts are asked for.
      .post('/crm/v4/associations/deals/contacts/batch/read', { inputs: [{ id: '401' }] })
      .reply(200, { status: 'COMPLETE', results: [{ from: { id: '401' }, to: [{ toObjectId: 211 }] }] })
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [contact('211')] })
    await crmJobHandlers(t.deps)['crm-process-deliveries'](c)
    expect(await outcomes(c.workspaceId)).toEqual(['211 lost 2026-04-01T08:00:00.000Z'])
  })

  it('an install without the deals scope skips deal events (no deal calls) and still records the stage', async () => {
    const c = await connect('81003', { scopes: ['oauth', 'crm.objects.contacts.read'] })
    await signedWebhook(batch(c.portalId, 8001))
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [contact('201', { lifecyclestage: 'salesqualifiedlead' })] })
    await crmJobHandlers(t.deps)['crm-process-deliveries'](c)
    expect(await outcomes(c.workspaceId)).toEqual(['201 sql 2026-04-01T09:00:00.000Z'])
  })

  it('deals HubSpot refuses to read (403) do not hold back the contacts of the same deliveries', async () => {
    const c = await connect('81006')
    await signedWebhook(batch(c.portalId, 9501))
    nock(API)
      .get('/crm/v3/pipelines/deals')
      .reply(403, {
        status: 'error',
        category: 'MISSING_SCOPES',
        message: 'This app lacks the required scopes',
      })
      .post('/crm/v3/objects/contacts/batch/read')
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [contact('201', { lifecyclestage: 'salesqualifiedlead' })] })
    await crmJobHandlers(t.deps)['crm-process-deliveries'](c)
    expect(await outcomes(c.workspaceId)).toEqual(['201 sql 2026-04-01T09:00:00.000Z'])
  })

  it('a person erased in the same batch gets no outcome (it would bring the contact back)', async () => {
    const c = await connect('81005')
    const [stage] = batch(c.portalId, 9001)
    await signedWebhook([
      { ...stage!, objectId: 231, propertyValue: 'customer' },
      {
        ...stage!,
        eventId: 9002,
        subscriptionType: 'contact.privacyDeletion',
        objectId: 231,
        propertyName: undefined,
        propertyValue: undefined,
      },
    ])
    await crmJobHandlers(t.deps)['crm-process-deliveries'](c)
    expect(await outcomes(c.workspaceId)).toEqual([])
    const known = await t.deps.db
      .selectFrom('contact_identities')
      .select('value')
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    expect(known).toEqual([])
  })

  it('the backfill records the dated stages and a disqualification, and keeps them out of the profile', async () => {
    const c = await connect('81004', { backfillDone: false })
    nock(API)
      .get('/crm/v3/objects/contacts')
      .query((q) => String(q['properties']).includes('hs_lifecyclestage_customer_date'))
      .reply(200, {
        results: [
          contact('221', {
            lifecyclestage: 'customer',
            hs_lifecyclestage_salesqualifiedlead_date: '2026-02-01T00:00:00.000Z',
            hs_lifecyclestage_customer_date: '1772323200000',
          }),
          contact('222', { hs_lead_status: 'UNQUALIFIED', lastmodifieddate: '2026-03-15T00:00:00.000Z' }),
        ],
      })
    await crmJobHandlers(t.deps)['crm-install'](c)
    expect(await outcomes(c.workspaceId)).toEqual([
      '221 sql 2026-02-01T00:00:00.000Z',
      '221 won 2026-03-01T00:00:00.000Z',
      '222 disqualified 2026-03-15T00:00:00.000Z',
    ])
    const profiles = await t.deps.db
      .selectFrom('contacts')
      .select('properties')
      .where('workspace_id', '=', c.workspaceId)
      .execute()
    for (const p of profiles) {
      expect(
        Object.keys(p.properties as object).filter((k) => /lead_status|lifecyclestage_.*_date/.test(k)),
      ).toEqual([])
    }
  })

  it('a reconciliation pass records the stage a contact reached since, once however often it is read', async () => {
    const c = await connect('81007')
    const found = {
      total: 1,
      results: [
        contact('241', {
          lifecyclestage: 'opportunity',
          hs_lifecyclestage_opportunity_date: '2026-04-02T11:45:00.000Z',
        }),
      ],
    }
    nock(API).post('/crm/v3/objects/contacts/search').times(2).reply(200, found)
    await t.deps.crm.sync.reconcile(c.workspaceId, c.connectionId)
    await t.deps.crm.sync.reconcile(c.workspaceId, c.connectionId)
    expect(await outcomes(c.workspaceId)).toEqual(['241 opportunity 2026-04-02T11:45:00.000Z'])
  })
})
