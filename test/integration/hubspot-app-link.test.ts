/**
 * Sign-in from HubSpot (issue 8 §1): the settings component fetches POST /hubspot/app-link, signed by
 * HubSpot (v3) like the card, and gets a one-time sign-in link to that portal's workspace.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/crypto/api-keys.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

let t: TestApp
const PORTAL = '4455667'

function signed(path: string, body: string, opts: { secret?: string } = {}) {
  const timestamp = String(Date.now() - 1000)
  const signature = createHmac('sha256', opts.secret ?? TEST_ENV.HUBSPOT_CLIENT_SECRET)
    .update(`POST${TEST_ENV.PUBLIC_URL}${path}${body}${timestamp}`)
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}

const post = (body: unknown, opts: { secret?: string; unsigned?: boolean } = {}) => {
  const payload = JSON.stringify(body)
  return t.app.inject({
    method: 'POST',
    url: '/hubspot/app-link',
    headers: opts.unsigned
      ? { 'content-type': 'application/json' }
      : signed('/hubspot/app-link', payload, opts),
    payload,
  })
}

async function connect(portalId: string, workspaceId: string, status: 'active' | 'uninstalled' = 'active') {
  await t.deps.db
    .insertInto('connections')
    .values({ workspace_id: workspaceId, provider: 'hubspot', account_id: portalId, status })
    .execute()
}

beforeAll(async () => {
  t = await startTestApp()
  await connect(PORTAL, t.workspace.workspaceId)
})
afterAll(async () => {
  await t?.close()
})

describe('POST /hubspot/app-link', () => {
  it("hands a signed request a one-time admin link to the portal's workspace, naming the HubSpot user", async () => {
    const res = await post({ portalId: Number(PORTAL), userId: 987 })
    expect(res.statusCode).toBe(200)
    const { url, expiresInSeconds } = res.json()
    expect(url).toMatch(/^https:\/\/leadgrid\.test\/app\/login\?token=[A-Za-z0-9_-]{43}$/)
    expect(expiresInSeconds).toBeLessThanOrEqual(300)

    const link = new URL(url)
    const signIn = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
    expect(signIn.statusCode).toBe(303)
    const cookie = signIn.cookies.find((c) => c.name === 'leadgrid_session')!
    expect(cookie.sameSite).toBe('Lax')
    const session = await t.app.inject({
      method: 'GET',
      url: '/app/api/session',
      headers: { cookie: `leadgrid_session=${encodeURIComponent(cookie.value)}` },
    })
    expect(session.json()).toMatchObject({
      workspace: { id: t.workspace.workspaceId },
      role: 'admin',
      actor: 'HubSpot user 987',
    })
    // One-time: the same link does not sign in twice.
    expect((await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })).statusCode).toBe(
      401,
    )
  })

  it('gives each portal its own workspace', async () => {
    const other = await t.createWorkspace('Other')
    await connect('5566778', other.workspaceId)
    const res = await post({ portalId: '5566778' })
    const link = new URL(res.json().url)
    const row = await t.deps.db
      .selectFrom('login_tokens')
      .select(['workspace_id', 'actor'])
      .where('token_hash', '=', hashSecret(link.searchParams.get('token')!))
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ workspace_id: other.workspaceId, actor: 'HubSpot portal 5566778' })
  })

  it('refuses a missing or wrong signature with 401 and hands out nothing', async () => {
    const before = await t.deps.db.selectFrom('login_tokens').select('token_hash').execute()
    expect((await post({ portalId: PORTAL }, { unsigned: true })).statusCode).toBe(401)
    const wrong = await post({ portalId: PORTAL }, { secret: 'not-the-secret' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('invalid_signature')
    expect(await t.deps.db.selectFrom('login_tokens').select('token_hash').execute()).toHaveLength(
      before.length,
    )
  })

  it('answers 404 for a portal without Leadgrid or one that uninstalled it', async () => {
    const unknown = await post({ portalId: '1' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('not_installed')
    await connect('7788990', t.workspace.workspaceId, 'uninstalled')
    expect((await post({ portalId: '7788990' })).statusCode).toBe(404)
  })

  it('refuses a body without a valid portal with a 400', async () => {
    const res = await post({ portalId: 'abc' })
    expect(res.statusCode).toBe(400)
  })
})
