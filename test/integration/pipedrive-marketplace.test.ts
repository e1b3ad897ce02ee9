/**
 * The Pipedrive app as the Marketplace sees it, from outside over real HTTP: Leadgrid listening on a
 * port with its workers, PIPEDRIVE_OAUTH_BASE pointed at the stand-in (test/helpers/pipedrive-stand-in.ts),
 * which grants every token the app's Developer Hub scopes and refuses a call those scopes do not
 * open. What it shows:
 *  - the install works with the narrowed scopes (no `admin`): fields, webhooks, backfill, write-back;
 *  - installs are per user: one user's uninstall leaves the company connected while another user
 *    is authorized, the acting user's uninstall hands over (webhooks registered again), the last
 *    one's stops the writes;
 *  - the person panel's answer validates against panel-schema.json;
 *  - a disconnect from the settings page's Connections tab revokes the refresh token at Pipedrive.
 */
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PIPEDRIVE_SCOPES } from '../../src/crm/pipedrive/scopes.js'
import { createLoginLink } from '../../src/sessions/login-links.js'
import { panelAnswerErrors } from '../helpers/pipedrive-panel-schema.js'
import { type PipedriveStandIn, startPipedriveStandIn } from '../helpers/pipedrive-stand-in.js'
import { freePort } from '../helpers/server-process.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

const CLIENT_ID = 'pd-marketplace-client'
const CLIENT_SECRET = 'pd-marketplace-secret-0123456789'
/** Leadgrid's scopes in Developer Hub (README and docs/pipedrive.md list the same, a unit test checks). */
const SCOPES = PIPEDRIVE_SCOPES.map((s) => s.scope)
const COMPANY = 5380474
let pd: PipedriveStandIn
let t: TestApp
let leadgrid = ''

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()
const connection = () =>
  t.deps.db
    .selectFrom('connections')
    .selectAll()
    .where('provider', '=', 'pipedrive')
    .where('account_id', '=', String(COMPANY))
    .executeTakeFirstOrThrow()
const users = async () =>
  (
    await t.deps.db
      .selectFrom('crm_authorizations')
      .select('user_id')
      .where('connection_id', '=', (await connection()).id)
      .orderBy('user_id')
      .execute()
  ).map((r) => r.user_id)
const hookCreators = () => [...new Set(pd.webhooks.map((w) => w.created_by))]
const callback = () => `${leadgrid}/oauth/pipedrive/callback`

/** A Marketplace install by one user of the company: consent, then the callback without state. */
async function installAs(userId: number) {
  pd.installAs(COMPANY, userId)
  const consent = await fetch(
    `${pd.baseUrl}/oauth/authorize?client_id=${CLIENT_ID}&redirect_uri=${encodeURIComponent(callback())}`,
    { redirect: 'manual' },
  )
  const res = await fetch(consent.headers.get('location')!, { redirect: 'manual' })
  expect(res.status).toBe(302)
  await until(
    `install of user ${userId} provisioned`,
    async () => ((await connection()).provisioning as { status?: string }).status === 'done' || undefined,
  )
}

/** Changes a person in Pipedrive and waits for Leadgrid's write-back of it (its fit changes). */
async function writeBackAfterChange(id: number, jobTitle: string) {
  const before = pd.patches().filter((p) => p.id === id).length
  const p = pd.persons.get(id)!
  const previous = { job_title: p.job_title }
  p.job_title = jobTitle
  p.update_time = new Date().toISOString()
  const delivered = await pd.deliver('person', 'change', { ...p }, previous)
  expect(delivered.map((d) => d.status)).toContain(200)
  return until(`write-back of person ${id}`, () =>
    pd.patches().filter((x) => x.id === id).length > before ? true : undefined,
  )
}

beforeAll(async () => {
  pd = await startPipedriveStandIn({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    companyId: COMPANY,
    scopes: SCOPES,
    persons: [8, 9].map((id) => ({
      id,
      name: `Person ${id}`,
      job_title: 'Sales Assistant',
      emails: [{ value: `person${id}@acme-software.com`, primary: true }],
      owner_id: 777,
      add_time: ago(30),
      update_time: ago(2),
      custom_fields: {},
    })),
  })
  const port = await freePort()
  leadgrid = `http://127.0.0.1:${port}`
  t = await startTestApp({
    workers: true,
    env: {
      PUBLIC_URL: leadgrid,
      PIPEDRIVE_CLIENT_ID: CLIENT_ID,
      PIPEDRIVE_CLIENT_SECRET: CLIENT_SECRET,
      PIPEDRIVE_OAUTH_BASE: pd.baseUrl,
    },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
  await pd?.close()
})

describe('Pipedrive Marketplace app over real HTTP', () => {
  it('installs with the narrowed scopes, without admin: fields, webhooks, backfill and write-back all work', async () => {
    await installAs(777)
    expect(pd.scopes).not.toContain('admin')
    expect((await connection()).scopes.sort()).toEqual(['base', ...SCOPES].sort())
    await until(
      'backfill',
      async () => ((await connection()).backfill as { status?: string }).status === 'done' || undefined,
    )
    expect(pd.fields.filter((f) => f.is_custom_field)).toHaveLength(9)
    expect(pd.webhooks.map((w) => `${w.event_object}.${w.event_action}`).sort()).toEqual([
      'activity.*',
      'deal.change',
      'person.*',
    ])
    await until('first write-back', () =>
      new Set(pd.patches().map((p) => p.id)).size === 2 ? true : undefined,
    )
  })

  it('one user’s uninstall leaves the company connected while another user is authorized', async () => {
    await installAs(888)
    await installAs(999) // the latest to authorize acts for the company; its token made the webhooks
    expect(await users()).toEqual(['777', '888', '999'])
    expect(hookCreators()).toEqual([999])

    // 777 uninstalls in Pipedrive: only their authorization goes.
    expect(await pd.uninstall(777, callback())).toBe(200)
    expect(await users()).toEqual(['888', '999'])
    const row = await connection()
    expect([row.status, row.authorized_by]).toEqual(['active', '999'])
    await writeBackAfterChange(8, 'CEO')
  })

  it('the acting user’s uninstall hands the company to another user, whose token registers the webhooks again', async () => {
    expect(await pd.uninstall(999, callback())).toBe(200)
    expect(pd.webhooks).toEqual([]) // Pipedrive removed the ones made with 999's token
    const row = await connection()
    expect([row.status, row.authorized_by]).toEqual(['active', '888'])
    await until('webhooks registered again', () => (pd.webhooks.length === 3 ? true : undefined))
    expect(hookCreators()).toEqual([888])
    await writeBackAfterChange(9, 'CTO')
  })

  it('the panel’s answer validates against panel-schema.json', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ companyId: COMPANY, userId: 888 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(CLIENT_SECRET))
    for (const id of [8, 404]) {
      const res = await fetch(
        `${leadgrid}/pipedrive/panel?resource=person&view=details&selectedIds=${id}&companyId=${COMPANY}&token=${token}`,
      )
      expect(res.status).toBe(200)
      expect(panelAnswerErrors(await res.json())).toEqual([])
    }
  })

  it('a disconnect from the Connections tab revokes the refresh token at Pipedrive and stops the writes', async () => {
    const row = await connection()
    const link = await createLoginLink(t.deps, { workspaceId: row.workspace_id, role: 'admin', actor: 'ada' })
    const signedIn = await fetch(link, { redirect: 'manual' })
    let cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const session = await fetch(`${leadgrid}/app/api/session`, { headers: { cookie } })
    const renewed = session.headers.getSetCookie().map((c) => c.split(';')[0])
    if (renewed.length > 0) cookie = renewed.join('; ')
    const { csrfToken } = (await session.json()) as { csrfToken: string }

    const res = await fetch(`${leadgrid}/app/api/connections/${row.id}/disconnect`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(200)
    expect(pd.revocations).toHaveLength(1)
    expect(pd.revocations[0]!.token_type_hint).toBe('refresh_token')
    expect(pd.installed(888)).toBe(false) // Pipedrive now counts the app uninstalled for 888
    expect(pd.webhooks).toEqual([])
    const after = await connection()
    expect([after.status, after.refresh_token_enc]).toEqual(['uninstalled', null])
    expect(await users()).toEqual([])
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('workspace_id', '=', row.workspace_id)
      .where('action', '=', 'connection.disconnected')
      .execute()
    expect(audit).toEqual([{ actor: expect.stringContaining('ada'), action: 'connection.disconnected' }])
  })
})

describe('the stand-in holds the app to its scopes', () => {
  it('refuses a call none of the token’s scopes opens (so the install above proves the narrowed set is enough)', async () => {
    const narrow = await startPipedriveStandIn({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scopes: ['contacts:full', 'webhooks:full'], // no contact-fields:full, no admin
    })
    try {
      const redirect = 'https://leadgrid.example/oauth/pipedrive/callback'
      const consent = await fetch(
        `${narrow.baseUrl}/oauth/authorize?client_id=${CLIENT_ID}&redirect_uri=${encodeURIComponent(redirect)}`,
        { redirect: 'manual' },
      )
      const code = new URL(consent.headers.get('location')!).searchParams.get('code')!
      const tokenRes = await fetch(`${narrow.baseUrl}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect }),
      })
      const { access_token } = (await tokenRes.json()) as { access_token: string }
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${narrow.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        })
      expect(
        (await call('POST', '/api/v2/personFields', { field_name: 'x', field_type: 'double' })).status,
      ).toBe(403)
      expect((await call('GET', '/api/v2/personFields')).status).toBe(200) // contacts:full reads fields
      expect((await call('GET', '/api/v1/webhooks')).status).toBe(200)
    } finally {
      await narrow.close()
    }
  })
})
