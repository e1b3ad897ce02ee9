/**
 * Issue 3's acceptance, from outside over real HTTP: Leadgrid listening on a port, every HubSpot base
 * URL pointed at a local stand-in server, the workers running (pg-boss) as in production.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hubspotFetchPath } from '../helpers/hubspot-fetch.js'
import { type HubSpotStandIn, startHubSpotStandIn } from '../helpers/hubspot-stand-in.js'
import { freePort } from '../helpers/server-process.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

let hs: HubSpotStandIn
let t: TestApp
let leadgrid = ''

function sign(path: string, body: string, opts: { secret?: string; ageMs?: number } = {}) {
  const timestamp = String(Date.now() - (opts.ageMs ?? 0))
  const signature = createHmac('sha256', opts.secret ?? TEST_ENV.HUBSPOT_CLIENT_SECRET)
    .update(`POST${leadgrid}${path}${body}${timestamp}`)
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}

/** The install's state cookie (name=value), as the browser sends it back to the callback. */
const stateCookie = (install: Response) =>
  install.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${leadgrid}${path}`, { method: 'POST', headers, body })

const deliveries = async () =>
  Number(
    (
      await t.deps.db
        .selectFrom('inbound_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

beforeAll(async () => {
  const lastWeek = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString()
  hs = await startHubSpotStandIn({
    contacts: [
      {
        id: '101',
        properties: {
          email: 'ceo@acme-software.com',
          jobtitle: 'CEO',
          numemployees: '100-500',
          industry: 'COMPUTER_SOFTWARE',
          createdate: lastWeek(60),
          lastmodifieddate: lastWeek(1),
          hs_analytics_num_page_views: '4',
          hs_analytics_last_url: 'https://acme.example/pricing',
          hs_analytics_last_timestamp: lastWeek(1),
        },
      },
      {
        id: '102',
        properties: { email: 'shopper@gmail.com', createdate: lastWeek(60), lastmodifieddate: lastWeek(50) },
      },
      {
        // No size of its own: its primary company's 200 employees count (issue 6, item 10).
        id: '103',
        properties: {
          email: 'cto@northwind.example',
          jobtitle: 'CTO',
          createdate: lastWeek(60),
          lastmodifieddate: lastWeek(50),
        },
      },
    ],
    companies: [
      {
        id: '9001',
        properties: {
          name: 'Northwind Software',
          numberofemployees: '200',
          industry: 'COMPUTER_SOFTWARE',
          country: 'Germany',
        },
      },
    ],
    primaryCompany: { '103': '9001' },
  })
  const port = await freePort()
  leadgrid = `http://127.0.0.1:${port}`
  t = await startTestApp({
    workers: true,
    env: {
      PUBLIC_URL: leadgrid,
      HUBSPOT_API_BASE: hs.baseUrl,
      HUBSPOT_AUTHORIZE_URL: hs.authorizeUrl,
      HUBSPOT_APP_ID: String(hs.appId),
    },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
  await hs?.close()
})

describe('HubSpot acceptance over real HTTP', () => {
  it('install completes and creates each property once', async () => {
    const install = await fetch(`${leadgrid}/oauth/hubspot/install`, { redirect: 'manual' })
    expect(install.status).toBe(302)
    const consent = await fetch(install.headers.get('location')!, { redirect: 'manual' })
    const callback = await fetch(consent.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie: stateCookie(install) },
    })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toContain('installed=hubspot')
    await until('backfill', async () => {
      const c = await t.deps.db.selectFrom('connections').select('backfill').executeTakeFirst()
      return (c?.backfill as { status?: string } | undefined)?.status === 'done' || undefined
    })
    expect(
      hs.properties
        .filter((p) => p.name.startsWith('leadgrid_'))
        .map((p) => p.name)
        .sort(),
    ).toHaveLength(9)
    expect(hs.groups.map((g) => g.name)).toContain('leadgrid')
    // The first scores are written back in one batch.
    const first = await until('first write-back', () => hs.batchUpdates()[0])
    expect(first.inputs.map((i) => i.id).sort()).toEqual(['101', '102', '103'])
    // The install asked for the companies scope; contact 103's fit counts its company's size.
    expect(new URL(install.headers.get('location')!).searchParams.get('scope')).toContain(
      'crm.objects.companies.read',
    )
    expect(first.inputs.find((i) => i.id === '103')?.properties['leadgrid_fit']).toBe('15')

    // A reinstall reattaches and creates nothing again.
    const reinstall = await fetch(`${leadgrid}/oauth/hubspot/install`, { redirect: 'manual' })
    const again = await fetch(reinstall.headers.get('location')!, {
      redirect: 'manual',
    })
    expect(
      (
        await fetch(again.headers.get('location')!, {
          redirect: 'manual',
          headers: { cookie: stateCookie(reinstall) },
        })
      ).status,
    ).toBe(302)
    await new Promise((r) => setTimeout(r, 2000))
    expect(hs.calls.filter((c) => c.route === 'POST /crm/v3/properties/contacts')).toHaveLength(9)
    expect(await t.deps.db.selectFrom('connections').select('id').execute()).toHaveLength(1)
  })

  const conversionBatch = (attemptNumber: number) =>
    JSON.stringify([
      {
        eventId: 77,
        subscriptionId: 5,
        portalId: hs.portalId,
        appId: hs.appId,
        occurredAt: Date.parse(hs.contacts.get('101')!.properties['recent_conversion_date']!),
        subscriptionType: 'contact.propertyChange',
        attemptNumber,
        objectId: 101,
        propertyName: 'num_conversion_events',
        propertyValue: '1',
        changeSource: 'FORM',
      },
    ])

  it('a signed webhook batch produces the right score and one batch update carrying exactly the changed properties', async () => {
    const before = hs.batchUpdates().length
    Object.assign(hs.contacts.get('101')!.properties, {
      num_conversion_events: '1',
      recent_conversion_event_name: 'White paper: lead scoring',
      recent_conversion_date: new Date(Date.now() - 60_000).toISOString(),
      lastmodifieddate: new Date().toISOString(),
    })
    const body = conversionBatch(0)
    const res = await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body))
    expect(res.status).toBe(200)
    const update = await until('write-back after webhook', () => hs.batchUpdates()[before])
    expect(update.inputs).toHaveLength(1)
    expect(update.inputs[0]!.id).toBe('101')
    // fit 15 (size +10, decision maker +5); engagement 20 (pricing) → 45 (+25 whitepaper): total
    // 35 → 60, cold → warm; fit, grade (A2) and MQL status (not_mql) unchanged, so not sent.
    const { leadgrid_reasons, leadgrid_scored_at, ...rest } = update.inputs[0]!.properties
    expect(rest).toEqual({ leadgrid_score: '60', leadgrid_engagement: '45', leadgrid_band: 'warm' })
    expect(leadgrid_reasons).toContain('hite')
    expect(leadgrid_scored_at).toMatch(/^\d{13}$/)
  })

  it('bad, tampered and stale signatures get 401 and store nothing', async () => {
    const before = await deliveries()
    const body = conversionBatch(1)
    expect(
      (await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body, { secret: 'wrong' }))).status,
    ).toBe(401)
    expect(
      (await post('/webhooks/hubspot', body.replace('101', '102'), sign('/webhooks/hubspot', body))).status,
    ).toBe(401)
    expect(
      (await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body, { ageMs: 301_000 }))).status,
    ).toBe(401)
    expect(await deliveries()).toBe(before)
  })

  it('a redelivered batch changes nothing', async () => {
    const updates = hs.batchUpdates().length
    const events = await t.deps.db.selectFrom('events').select('dedupe_key').execute()
    const body = conversionBatch(2)
    const res = await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ stored: 0, duplicates: 1 })
    await new Promise((r) => setTimeout(r, 3000))
    expect(hs.batchUpdates()).toHaveLength(updates)
    expect(await t.deps.db.selectFrom('events').select('dedupe_key').execute()).toHaveLength(events.length)
  })

  it('the card answers for the portal HubSpot signs and refuses a body naming another', async () => {
    const path = hubspotFetchPath('/hubspot/card', { userId: 7, portalId: hs.portalId, appId: hs.appId })
    const mine = JSON.stringify({ objectId: 101 })
    const ok = await post(path, mine, sign(path, mine))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ scored: true, score: 60, band: 'warm', grade: 'A2', mql: false })
    const other = JSON.stringify({ portalId: 99999, objectId: 101 })
    const refused = await post(path, other, sign(path, other))
    expect(refused.status).toBe(403)
    expect(JSON.stringify(await refused.json())).not.toContain('score')
    // Without the portal HubSpot adds to the URL, a body alone is not trusted.
    const bare = JSON.stringify({ portalId: hs.portalId, objectId: 101 })
    expect((await post('/hubspot/card', bare, sign('/hubspot/card', bare))).status).toBe(401)
  })

  it('a company edit delivered by webhook rescores its contact and writes the new score back', async () => {
    const before = hs.batchUpdates().length
    hs.companies.get('9001')!.properties['numberofemployees'] = '30'
    const body = JSON.stringify([
      {
        eventId: 95,
        subscriptionId: 7,
        portalId: hs.portalId,
        appId: hs.appId,
        occurredAt: Date.now(),
        subscriptionType: 'company.propertyChange',
        attemptNumber: 0,
        objectId: 9001,
        propertyName: 'numberofemployees',
        propertyValue: '30',
        changeSource: 'CRM_UI',
      },
    ])
    expect((await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body))).status).toBe(200)
    const update = await until('write-back after the company edit', () =>
      hs
        .batchUpdates()
        .slice(before)
        .flatMap((u) => u.inputs)
        .find((i) => i.id === '103'),
    )
    // Size > 50 no longer holds: fit 15 → 5 (the CTO's decision-maker points stay).
    expect(update.properties['leadgrid_fit']).toBe('5')
  })

  it('a deal moved to closed won by webhook records won for its contact, from the pipelines read', async () => {
    hs.deals.set('501', {
      id: '501',
      properties: { dealstage: 'closedwon', pipeline: 'default', closedate: '2026-11-20T10:00:00.000Z' },
      contactIds: ['102'],
    })
    const body = JSON.stringify([
      {
        eventId: 96,
        subscriptionId: 8,
        portalId: hs.portalId,
        appId: hs.appId,
        occurredAt: Date.now(),
        subscriptionType: 'deal.propertyChange',
        attemptNumber: 0,
        objectId: 501,
        propertyName: 'dealstage',
        propertyValue: 'closedwon',
        changeSource: 'CRM_UI',
      },
    ])
    expect((await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body))).status).toBe(200)
    const outcome = await until('the won outcome', () =>
      t.deps.db
        .withTables<{ outcomes: { contact_id: string; kind: string; occurred_at: Date; source: string } }>()
        .selectFrom('outcomes as o')
        .innerJoin('contact_identities as i', 'i.contact_id', 'o.contact_id')
        .select(['o.kind', 'o.occurred_at', 'o.source'])
        .where('i.kind', '=', 'hubspot')
        .where('i.value', '=', '102')
        .executeTakeFirst(),
    )
    expect(outcome).toMatchObject({ kind: 'won', source: 'hubspot' })
    expect(new Date(outcome.occurred_at).toISOString()).toBe('2026-11-20T10:00:00.000Z')
  })

  it('a privacy deletion erases the contact', async () => {
    const body = JSON.stringify([
      {
        eventId: 90,
        subscriptionId: 6,
        portalId: hs.portalId,
        appId: hs.appId,
        occurredAt: Date.now(),
        subscriptionType: 'contact.privacyDeletion',
        attemptNumber: 0,
        objectId: 101,
      },
    ])
    expect((await post('/webhooks/hubspot', body, sign('/webhooks/hubspot', body))).status).toBe(200)
    await until('erasure', async () => {
      const id = await t.deps.db
        .selectFrom('contact_identities')
        .select('contact_id')
        .where('kind', '=', 'hubspot')
        .where('value', '=', '101')
        .executeTakeFirst()
      return id === undefined || undefined
    })
    const left = await t.deps.db.selectFrom('contacts').select('email').execute()
    expect(left.map((c) => c.email)).not.toContain('ceo@acme-software.com')
  })
})
