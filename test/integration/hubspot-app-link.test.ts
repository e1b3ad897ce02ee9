/**
 * Sign-in from HubSpot: the settings component fetches POST /hubspot/app-link, signed by HubSpot (v3)
 * like the card, and gets a one-time sign-in link to the workspace of the portal HubSpot signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/crypto/api-keys.js'
import { type FetchMetadata, hubspotFetchPath, signedFetchHeaders } from '../helpers/hubspot-fetch.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

let t: TestApp
const PORTAL = '4455667'

/**
 * POST /hubspot/app-link as HubSpot's proxy sends it: the portal and user in the signed URL
 * (`meta`, by default this portal and user 987), the extension's body as given.
 */
const post = (
  body: unknown,
  opts: { secret?: string; unsigned?: boolean; meta?: FetchMetadata; path?: string } = {},
) => {
  const payload = JSON.stringify(body)
  const url = hubspotFetchPath(
    opts.path ?? '/hubspot/app-link',
    opts.meta ?? { portalId: PORTAL, userId: 987, userEmail: 'admin@example.com', appId: 1 },
  )
  return t.app.inject({
    method: 'POST',
    url,
    headers: opts.unsigned
      ? { 'content-type': 'application/json' }
      : signedFetchHeaders(`${TEST_ENV.PUBLIC_URL}${url}`, payload, {
          secret: opts.secret ?? TEST_ENV.HUBSPOT_CLIENT_SECRET,
        }),
    payload,
  })
}

const loginTokens = async () =>
  (await t.deps.db.selectFrom('login_tokens').select('token_hash').execute()).length

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
    const res = await post({})
    expect(res.statusCode).toBe(200)
    const { installed, url, expiresInSeconds } = res.json()
    expect(installed).toBe(true)
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
    const res = await post({}, { meta: { portalId: '5566778' } })
    const link = new URL(res.json().url)
    const row = await t.deps.db
      .selectFrom('login_tokens')
      .select(['workspace_id', 'actor'])
      .where('token_hash', '=', hashSecret(link.searchParams.get('token')!))
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ workspace_id: other.workspaceId, actor: 'HubSpot portal 5566778' })
  })

  it('refuses a missing or wrong signature with 401 and hands out nothing', async () => {
    const before = await loginTokens()
    expect((await post({}, { unsigned: true })).statusCode).toBe(401)
    const wrong = await post({}, { secret: 'not-the-secret' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('invalid_signature')
    expect(await loginTokens()).toBe(before)
  })

  it('refuses a correctly signed request whose body names another installed portal: 403, no link', async () => {
    const other = await t.createWorkspace('Someone else')
    await connect('6677889', other.workspaceId)
    const before = await loginTokens()
    // Signed by HubSpot for PORTAL; the extension's body asks for the other portal's workspace.
    const res = await post({ portalId: '6677889', userId: 987 })
    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('portal_mismatch')
    expect(res.body).not.toContain('token=')
    expect(await loginTokens()).toBe(before)
  })

  it('refuses a signed request without the portal HubSpot adds to the URL, whatever the body says', async () => {
    const before = await loginTokens()
    const res = await post({ portalId: PORTAL }, { meta: {} })
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('portal_not_signed')
    expect(await loginTokens()).toBe(before)
  })

  it('refuses a URL carrying portalId twice (one written by the extension, one by HubSpot)', async () => {
    const other = await t.createWorkspace('Third')
    await connect('7700112', other.workspaceId)
    const before = await loginTokens()
    const res = await post({}, { path: '/hubspot/app-link?portalId=7700112', meta: { portalId: PORTAL } })
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('portal_not_signed')
    expect(await loginTokens()).toBe(before)
  })

  it('answers installed: false (a 200, nothing minted) for a portal without Leadgrid or one that uninstalled it', async () => {
    const before = await loginTokens()
    const unknown = await post({}, { meta: { portalId: '1' } })
    expect(unknown.statusCode).toBe(200)
    expect(unknown.json()).toEqual({ installed: false })
    await connect('7788990', t.workspace.workspaceId, 'uninstalled')
    expect((await post({}, { meta: { portalId: '7788990' } })).json()).toEqual({ installed: false })
    expect(await loginTokens()).toBe(before)
  })

  it('refuses a body with a malformed portal with a 400', async () => {
    const res = await post({ portalId: 'abc' })
    expect(res.statusCode).toBe(400)
  })
})
