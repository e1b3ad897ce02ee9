/**
 * Issue 6, items 9 and 10 on the real database, HubSpot played by nock against the real
 * @hubspot/api-client: the contact's employee range (`numemployees`) and its primary company
 * (associations batch read + companies batch read, one call each per page) reach the score; a company
 * edit delivered by webhook rescores the company's contacts.
 */
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import { HUBSPOT_REQUIRED_SCOPES } from '../../src/crm/hubspot/oauth.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp

const fixture = (name: string) => {
  const body = JSON.parse(readFileSync(new URL(`../fixtures/hubspot/${name}`, import.meta.url), 'utf8'))
  if (Array.isArray(body)) return body
  const { _source, ...rest } = body
  return rest
}

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
      token_expires_at: new Date('2026-03-31T13:00:00.000Z'),
      scopes: opts.scopes ?? [...HUBSPOT_REQUIRED_SCOPES],
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify(opts.backfillDone === false ? {} : { status: 'done', processed: 0 }),
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

/** Per HubSpot id: the profile Leadgrid holds, its fit and whether `company-size` fired. */
async function scored(workspaceId: string) {
  const rows = await t.deps.db
    .selectFrom('contact_identities as i')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.workspace_id', '=', 'i.workspace_id').onRef('c.id', '=', 'i.contact_id'),
    )
    .leftJoin('scores as s', (j) =>
      j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.contact_id', '=', 'c.id'),
    )
    .select(['i.value', 'c.properties', 's.fit', 's.contributions'])
    .where('i.workspace_id', '=', workspaceId)
    .where('i.kind', '=', 'hubspot')
    .execute()
  return Object.fromEntries(
    rows.map((r) => [
      r.value,
      {
        properties: r.properties,
        fit: r.fit,
        sizePoints:
          ((r.contributions ?? []) as { ruleId: string; points: number }[]).find(
            (c) => c.ruleId === 'company-size',
          )?.points ?? 0,
      },
    ]),
  )
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

describe('HubSpot company data', () => {
  it('backfill: one associations call and one companies call per page; company values reach the score', async () => {
    const c = await connect('71001', { backfillDone: false })
    const page = Array.from({ length: 100 }, (_, i) =>
      contact(String(1000 + i), { email: `p${i}@northwind.example` }),
    )
    // Every contact's primary company is one of three; contact 1099 has none.
    const companyOf = (id: string) => (id === '1099' ? undefined : String(9100 + (Number(id) % 3)))
    const sizes: Record<string, string> = { '9100': '200', '9101': '20', '9102': '' }
    let associationInputs: string[] = []
    let companyInputs: string[] = []
    let companyProperties: string[] = []
    nock(API)
      .get('/crm/v3/objects/contacts')
      .query(true)
      .reply(200, { results: page })
      .post('/crm/v4/associations/contacts/companies/batch/read', (b) => {
        associationInputs = (b as { inputs: { id: string }[] }).inputs.map((i) => i.id)
        return true
      })
      .reply(200, () => ({
        status: 'COMPLETE',
        results: associationInputs
          .filter((id) => companyOf(id) !== undefined)
          .map((id) => ({
            from: { id },
            to: [
              {
                toObjectId: Number(companyOf(id)),
                associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' }],
              },
            ],
          })),
        startedAt: '2026-03-31T12:00:00.000Z',
        completedAt: '2026-03-31T12:00:00.040Z',
      }))
      .post('/crm/v3/objects/companies/batch/read', (b) => {
        companyInputs = (b as { inputs: { id: string }[] }).inputs.map((i) => i.id)
        companyProperties = (b as { properties: string[] }).properties
        return true
      })
      .query(true)
      .reply(200, () => ({
        status: 'COMPLETE',
        results: companyInputs.map((id) => ({
          id,
          properties: { name: `Company ${id}`, numberofemployees: sizes[id] ?? '', country: 'Germany' },
          createdAt: '2025-11-02T10:00:00.000Z',
          updatedAt: '2026-03-30T09:00:00.000Z',
          archived: false,
        })),
        startedAt: '2026-03-31T12:00:00.000Z',
        completedAt: '2026-03-31T12:00:00.050Z',
      }))
    expect(await t.deps.crm.sync.install(c.workspaceId, c.connectionId)).toBe(true)
    // nock consumed each interceptor once: exactly one call of each for the page of 100.
    expect(associationInputs).toHaveLength(100)
    expect(companyInputs.sort()).toEqual(['9100', '9101', '9102'])
    expect(companyProperties).toEqual(expect.arrayContaining(['numberofemployees', 'industry', 'country']))

    await t.rescoreNow(c.workspaceId)
    const s = await scored(c.workspaceId)
    expect(s['1000']).toMatchObject({
      sizePoints: 0,
      properties: { company_size: 20, 'company.numberofemployees': '20', country: 'Germany' },
    })
    // A company without a count: its other values, no size (a cleared value is not stored).
    expect(s['1001']).toMatchObject({ sizePoints: 0, properties: { 'company.name': 'Company 9102' } })
    expect(s['1001']?.properties).not.toHaveProperty('company.numberofemployees')
    expect(s['1002']).toMatchObject({
      sizePoints: 10,
      properties: { company_size: 200, 'company.name': 'Company 9100', 'company.numberofemployees': '200' },
    })
    expect(s['1099']?.properties).not.toHaveProperty('company.name')
    expect(s['1099']?.properties).not.toHaveProperty('company_size')
    const links = await t.deps.db
      .selectFrom('crm_company_links')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', c.workspaceId)
      .executeTakeFirstOrThrow()
    expect(Number(links.n)).toBe(99)
  })

  it('webhook: a numemployees of 100-500, or a primary company of 200 employees, gets the size points; a company edit rescores its contacts', async () => {
    const c = await connect('62515')
    const created = [201, 202, 203].map((objectId, i) => ({
      eventId: 100 + i,
      subscriptionId: 2001,
      portalId: 62515,
      appId: 12345,
      occurredAt: Date.parse('2026-03-31T11:50:00.000Z'),
      subscriptionType: 'contact.creation',
      attemptNumber: 0,
      objectId,
      changeSource: 'CRM_UI',
    }))
    expect((await signedWebhook(created)).statusCode).toBe(200)
    let contactRead: string[] = []
    let associationRead: string[] = []
    nock(API)
      .post('/crm/v3/objects/contacts/batch/read', (b) => {
        contactRead = (b as { inputs: { id: string }[] }).inputs.map((i) => i.id)
        return true
      })
      .query(true)
      .reply(200, {
        status: 'COMPLETE',
        results: [
          contact('201', { email: 'cto@northwind.example', jobtitle: 'Engineer' }),
          contact('202', { email: 'ops@contoso.example', numemployees: '100-500' }),
          contact('203', { email: 'intern@fabrikam.example', numemployees: '25-50' }),
        ],
      })
      .post('/crm/v4/associations/contacts/companies/batch/read', (b) => {
        associationRead = (b as { inputs: { id: string }[] }).inputs.map((i) => i.id)
        return true
      })
      .reply(200, fixture('associations-contacts-companies-batch-read.json'))
      .post(
        '/crm/v3/objects/companies/batch/read',
        (b) => JSON.stringify((b as { inputs: unknown }).inputs) === JSON.stringify([{ id: '9001' }]),
      )
      .query(true)
      .reply(200, fixture('companies-batch-read-response.json'))
    const jobs = crmJobHandlers(t.deps)
    await jobs['crm-process-deliveries']({ workspaceId: c.workspaceId, connectionId: c.connectionId })
    expect(contactRead.sort()).toEqual(['201', '202', '203'])
    expect(associationRead.sort()).toEqual(['201', '202', '203'])
    await t.rescoreNow(c.workspaceId)
    let s = await scored(c.workspaceId)
    expect(s['201']).toMatchObject({
      sizePoints: 10,
      properties: {
        company_size: 200,
        industry: 'COMPUTER_SOFTWARE',
        country: 'Germany',
        'company.name': 'Northwind Software',
        'company.annualrevenue': '25000000',
      },
    })
    expect(s['202']).toMatchObject({
      sizePoints: 10,
      properties: { company_size: 300, 'hubspot.numemployees': '100-500' },
    })
    expect(s['202']?.properties).not.toHaveProperty('company.name')
    expect(s['203']).toMatchObject({ sizePoints: 0, properties: { company_size: 37 } })

    // The company shrinks to 30 employees in HubSpot: its contact loses the points, the others stay.
    const before = await t.deps.db
      .selectFrom('score_history')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', c.workspaceId)
      .executeTakeFirstOrThrow()
    expect((await signedWebhook(fixture('webhook-company-property-change.json'))).statusCode).toBe(200)
    const shrunk = fixture('companies-batch-read-response.json')
    shrunk.results[0].properties.numberofemployees = '30'
    nock(API).post('/crm/v3/objects/companies/batch/read').query(true).reply(200, shrunk)
    await jobs['crm-process-deliveries']({ workspaceId: c.workspaceId, connectionId: c.connectionId })
    await t.rescoreNow(c.workspaceId)
    s = await scored(c.workspaceId)
    expect(s['201']).toMatchObject({
      sizePoints: 0,
      properties: { company_size: 30, 'company.numberofemployees': '30' },
    })
    expect(s['202']?.sizePoints).toBe(10)
    const history = await t.deps.db
      .selectFrom('score_history')
      .select(['cause'])
      .where('workspace_id', '=', c.workspaceId)
      .orderBy('id', 'desc')
      .execute()
    expect(history.length).toBe(Number(before.n) + 1)
    expect(history[0]?.cause).toBe('profile')
  })

  it('an install without the companies scope reads contacts as before (no company calls)', async () => {
    const c = await connect('71003', { scopes: ['oauth', 'crm.objects.contacts.read'] })
    nock(API)
      .post('/crm/v3/objects/contacts/search')
      .reply(200, { total: 1, results: [contact('1', { email: 'a@b.example', numemployees: '50-100' })] })
    expect(await t.deps.crm.sync.reconcile(c.workspaceId, c.connectionId)).toBe(1)
    await t.rescoreNow(c.workspaceId)
    const s = await scored(c.workspaceId)
    expect(s['1']?.sizePoints).toBe(10)
    expect(Object.keys(s['1']?.properties ?? {}).some((k) => k.startsWith('company.'))).toBe(false)
  })
})
