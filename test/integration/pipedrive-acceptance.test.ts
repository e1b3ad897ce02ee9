/**
 * Issue 7's acceptance, from outside over real HTTP: Leadgrid listening on a port, PIPEDRIVE_OAUTH_BASE
 * pointed at a stand-in written from Pipedrive's documentation (its token answers name the stand-in as
 * the company's api_domain), the workers running (pg-boss) as in production.
 */
import { Writable } from 'node:stream'
import { SignJWT } from 'jose'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PipedriveServices } from '../../src/crm/pipedrive/index.js'
import { type HubSpotStandIn, startHubSpotStandIn } from '../helpers/hubspot-stand-in.js'
import {
  type PipedriveStandIn,
  type StandInPerson,
  startPipedriveStandIn,
} from '../helpers/pipedrive-stand-in.js'
import { freePort } from '../helpers/server-process.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

const CLIENT_ID = 'pd-acceptance-client'
const CLIENT_SECRET = 'pd-acceptance-secret-0123456789'
let pd: PipedriveStandIn
let hs: HubSpotStandIn
let t: TestApp
let leadgrid = ''
const logs: Record<string, unknown>[] = []

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()
const person = (id: number, email: string, jobTitle: string | null, over: Partial<StandInPerson> = {}) => ({
  id,
  name: `Person ${id}`,
  first_name: 'Person',
  last_name: String(id),
  job_title: jobTitle,
  emails: [{ value: email, primary: true, label: 'work' }],
  org_id: null,
  owner_id: 777,
  add_time: ago(30),
  update_time: ago(2),
  custom_fields: {},
  ...over,
})
const pipedriveConnection = () =>
  t.deps.db.selectFrom('connections').selectAll().where('provider', '=', 'pipedrive').executeTakeFirst()
const deliveries = async () =>
  Number(
    (
      await t.deps.db
        .selectFrom('inbound_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const scoreField = () => pd.fields.find((f) => f.field_name === 'Lead score')!.field_code

beforeAll(async () => {
  pd = await startPipedriveStandIn({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    persons: [
      person(8, 'ceo@acme-software.com', 'Sales Assistant', { deal_ids: [31] }),
      person(9, 'shopper@gmail.com', null),
      person(10, 'cto@northwind.example', 'CTO', { deal_ids: [31] }),
    ],
  })
  hs = await startHubSpotStandIn({
    contacts: [
      {
        id: '101',
        properties: {
          email: 'ceo@acme-software.com',
          jobtitle: 'CEO',
          createdate: ago(60),
          lastmodifieddate: ago(1),
        },
      },
    ],
  })
  const port = await freePort()
  leadgrid = `http://127.0.0.1:${port}`
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line))
      done()
    },
  })
  t = await startTestApp({
    workers: true,
    logger: pino({ level: 'info' }, sink),
    env: {
      PUBLIC_URL: leadgrid,
      PIPEDRIVE_CLIENT_ID: CLIENT_ID,
      PIPEDRIVE_CLIENT_SECRET: CLIENT_SECRET,
      PIPEDRIVE_OAUTH_BASE: pd.baseUrl,
      HUBSPOT_API_BASE: hs.baseUrl,
      HUBSPOT_AUTHORIZE_URL: hs.authorizeUrl,
      HUBSPOT_APP_ID: String(hs.appId),
    },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
  await pd?.close()
  await hs?.close()
})

describe('Pipedrive acceptance over real HTTP', () => {
  it('a Marketplace callback without state installs, provisions the fields once and backfills every score', async () => {
    // Pipedrive's Marketplace sends the user straight to the callback with a code and no state.
    const consent = await fetch(
      `${pd.baseUrl}/oauth/authorize?client_id=${CLIENT_ID}&redirect_uri=${encodeURIComponent(`${leadgrid}/oauth/pipedrive/callback`)}`,
      { redirect: 'manual' },
    )
    const callbackUrl = consent.headers.get('location')!
    expect(new URL(callbackUrl).searchParams.has('state')).toBe(false)
    const callback = await fetch(callbackUrl, { redirect: 'manual' })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toContain('installed=pipedrive')
    await until(
      'backfill',
      async () =>
        ((await pipedriveConnection())?.backfill as { status?: string })?.status === 'done' || undefined,
    )
    expect(pd.fields.filter((f) => f.is_custom_field)).toHaveLength(9)
    expect(pd.webhooks.map((w) => `${w.event_object}.${w.event_action}`).sort()).toEqual([
      'activity.*',
      'deal.change',
      'person.*',
    ])
    // Every person's score is written, one PATCH each.
    await until('first write-back', () =>
      new Set(pd.patches().map((p) => p.id)).size === 3 ? true : undefined,
    )
    for (const p of pd.persons.values()) expect(typeof p.custom_fields[scoreField()]).toBe('number')

    // A reinstall (the same company from the install link) creates no field twice.
    const install = await fetch(`${leadgrid}/oauth/pipedrive/install`, { redirect: 'manual' })
    const again = await fetch(install.headers.get('location')!, { redirect: 'manual' })
    const cookie = install.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const reinstalled = await fetch(again.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie },
    })
    expect(reinstalled.status).toBe(302)
    await until(
      're-provisioned',
      async () =>
        ((await pipedriveConnection())?.provisioning as { status?: string })?.status === 'done' || undefined,
    )
    expect(pd.calls.filter((c) => c.route === 'POST /api/v2/personFields')).toHaveLength(9)
    expect(pd.webhooks).toHaveLength(3) // old ones replaced, not added to
    expect(await t.deps.db.selectFrom('connections').select('id').execute()).toHaveLength(1)
  })

  it('a person-change webhook rescores and produces one PATCH with only the changed fields; redelivery changes nothing', async () => {
    const before = pd.patches().length
    const p = pd.persons.get(8)!
    p.job_title = 'CEO'
    p.update_time = new Date().toISOString()
    const [res] = await pd.deliver(
      'person',
      'change',
      { ...p, deal_ids: undefined },
      { job_title: 'Sales Assistant' },
      { id: 'evt-1' },
    )
    expect(res!.status).toBe(200)
    await until('the rescore PATCH', () => (pd.patches().length > before ? true : undefined))
    await new Promise((r) => setTimeout(r, 3000))
    const sent = pd.patches().slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.id).toBe(8)
    const changed = Object.keys(sent[0]!.body.custom_fields as object)
    const code = (name: string) => pd.fields.find((f) => f.field_name === name)!.field_code
    expect(changed).toContain(code('Fit score'))
    expect(changed).not.toContain(code('Engagement score'))
    expect(Object.keys(sent[0]!.body)).toEqual(['custom_fields'])

    // The same event again (a retry): stored once, nothing more is sent.
    const stored = await deliveries()
    const [dup] = await pd.deliver(
      'person',
      'change',
      { ...p, deal_ids: undefined },
      { job_title: 'Sales Assistant' },
      { id: 'evt-1' },
    )
    expect(dup!.body).toEqual({ stored: 0, duplicates: 1 })
    expect(await deliveries()).toBe(stored)
    await new Promise((r) => setTimeout(r, 3000))
    expect(pd.patches().length).toBe(before + 1)
  })

  it('wrong or missing webhook credentials get 401 and store nothing', async () => {
    const stored = await deliveries()
    const p = pd.persons.get(9)!
    const [wrong] = await pd.deliver(
      'person',
      'change',
      { ...p },
      { name: 'x' },
      { auth: { user: 'leadgrid', password: 'guess' } },
    )
    const [none] = await pd.deliver('person', 'change', { ...p }, { name: 'x' }, { auth: null })
    expect([wrong!.status, none!.status]).toEqual([401, 401])
    expect(await deliveries()).toBe(stored)
  })

  it('the panel answers for the right company and refuses a forged token', async () => {
    const now = Math.floor(Date.now() / 1000)
    const sign = (secret: string, companyId = pd.companyId) =>
      new SignJWT({ companyId, userId: pd.userId })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode(secret))
    const ok = await fetch(
      `${leadgrid}/pipedrive/panel?resource=person&view=details&selectedIds=8&companyId=${pd.companyId}&token=${await sign(CLIENT_SECRET)}`,
    )
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { data: Record<string, unknown> }
    expect(body.data.score).toBe(pd.persons.get(8)!.custom_fields[scoreField()])
    const forged = await fetch(
      `${leadgrid}/pipedrive/panel?selectedIds=8&token=${await sign('forged-secret')}`,
    )
    expect(forged.status).toBe(401)
    expect(((await forged.json()) as { error: { title: string } }).error.title).toBeTruthy()
  })

  it('a deal won records an outcome for each of its persons', async () => {
    await pd.deliver(
      'deal',
      'change',
      { id: 31, title: 'Acme deal', status: 'won', person_id: 8, won_time: new Date().toISOString() },
      { status: 'open' },
    )
    // Stored for calibration, one per person of the deal (its person and its participants).
    const stored = await until('outcomes', async () => {
      const rows = await t.deps.db
        .withTables<{ outcomes: { kind: string; source: string } }>()
        .selectFrom('outcomes')
        .select(['kind', 'source'])
        .where('source', '=', 'pipedrive')
        .execute()
      return rows.length >= 2 ? rows : undefined
    })
    expect(stored.map((r) => r.kind)).toEqual(['won', 'won'])
  })

  it('a workspace with both CRMs connected writes one person’s score to both', async () => {
    // HubSpot first (its install makes the workspace), then Pipedrive attached to it — as the install
    // link a signed-in workspace hands out (GET /api/v1/pipedrive/install-link) would.
    const hsInstall = await fetch(`${leadgrid}/oauth/hubspot/install`, { redirect: 'manual' })
    const hsConsent = await fetch(hsInstall.headers.get('location')!, { redirect: 'manual' })
    const hsCookie = hsInstall.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    expect(
      (await fetch(hsConsent.headers.get('location')!, { redirect: 'manual', headers: { cookie: hsCookie } }))
        .status,
    ).toBe(302)
    const hubspot = await until('HubSpot connection', () =>
      t.deps.db.selectFrom('connections').selectAll().where('provider', '=', 'hubspot').executeTakeFirst(),
    )
    await until('HubSpot write-back', () => hs.batchUpdates()[0])

    // A second Pipedrive company of the same app, its person sharing the HubSpot contact's email,
    // attached to the HubSpot workspace.
    pd.persons.set(501, { ...person(501, 'ceo@acme-software.com', 'CEO'), company_id: 99001 })
    pd.installAs(99001, 55)
    const attach = (t.deps.crm.partsOf('pipedrive').services as PipedriveServices).install.attachToken(
      hubspot.workspace_id,
    )
    const install = await fetch(`${leadgrid}/oauth/pipedrive/install?attach=${encodeURIComponent(attach)}`, {
      redirect: 'manual',
    })
    const consent = await fetch(install.headers.get('location')!, { redirect: 'manual' })
    const cookie = install.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const callback = await fetch(consent.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie },
    })
    expect(callback.status).toBe(302)
    const conns = await t.deps.db
      .selectFrom('connections')
      .select(['provider', 'account_id'])
      .where('workspace_id', '=', hubspot.workspace_id)
      .execute()
    expect(conns.map((c) => `${c.provider}:${c.account_id}`).sort()).toEqual([
      `hubspot:${hs.portalId}`,
      'pipedrive:99001',
    ])
    // One contact, both identities; its score is written to both CRMs.
    const written = await until('Pipedrive write-back of the shared person', () =>
      pd.patches().find((p) => p.id === 501),
    )
    const contacts = await t.deps.db
      .selectFrom('contact_identities')
      .select(['kind', 'contact_id'])
      .where('workspace_id', '=', hubspot.workspace_id)
      .execute()
    expect(contacts.map((c) => c.kind).sort()).toEqual(['email', 'hubspot', 'pipedrive'])
    expect(new Set(contacts.map((c) => c.contact_id)).size).toBe(1)
    const hsScore = hs
      .batchUpdates()
      .flatMap((b) => b.inputs)
      .filter((i) => i.id === '101')
      .pop()!
    const pdScoreCode = pd.fields.find((f) => f.field_name === 'Lead score')!.field_code
    const pdScore = (written.body.custom_fields as Record<string, unknown>)[pdScoreCode]
    expect(Number(hsScore.properties.leadgrid_score)).toBe(pdScore)
  })

  it('the uninstall callback refuses wrong Basic credentials and, with the right ones, stops all writes', async () => {
    const uninstall = (authorization?: string) =>
      fetch(`${leadgrid}/oauth/pipedrive/callback`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({
          client_id: CLIENT_ID,
          company_id: pd.companyId,
          user_id: pd.userId,
          timestamp: 1,
        }),
      })
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`
    expect((await uninstall()).status).toBe(401)
    expect((await uninstall(basic(CLIENT_ID, 'wrong'))).status).toBe(401)
    expect(
      (
        await t.deps.db
          .selectFrom('connections')
          .select('status')
          .where('account_id', '=', String(pd.companyId))
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('active')
    expect((await uninstall(basic(CLIENT_ID, CLIENT_SECRET))).status).toBe(200)
    const row = await t.deps.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', String(pd.companyId))
      .executeTakeFirstOrThrow()
    expect([row.status, row.access_token_enc, row.refresh_token_enc]).toEqual(['uninstalled', null, null])
    // A change after the uninstall: acknowledged, dropped, nothing written.
    const before = pd.patches().filter((p) => p.id !== 501).length
    const p = pd.persons.get(9)!
    p.job_title = 'Founder'
    const [late] = await pd.deliver('person', 'change', { ...p }, { job_title: null })
    expect(late!.status).toBe(200)
    await new Promise((r) => setTimeout(r, 3000))
    expect(pd.patches().filter((p) => p.id !== 501)).toHaveLength(before)
  })
})
