/**
 * Both ways a HubSpot install starts, over real HTTP against the HubSpot stand-in (its codes are
 * single-use and bound to the redirect URI they were issued for, as OAuth says):
 *  - from Leadgrid's Marketplace listing: HubSpot sends the user to the install URL with `code` and
 *    `returnUrl`; Leadgrid exchanges the code, installs, and sends the user back to `returnUrl`.
 *    https://developers.hubspot.com/docs/apps/developer-platform/list-apps/understand-app-install-flow
 *  - from Leadgrid: the install URL without a code starts the authorization-code flow, bound to the
 *    browser by the state cookie, the state single-use.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isHubSpotReturnUrl } from '../../src/crm/hubspot/install.js'
import { type HubSpotStandIn, startHubSpotStandIn } from '../helpers/hubspot-stand-in.js'
import { freePort } from '../helpers/server-process.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let hs: HubSpotStandIn
let t: TestApp
let leadgrid = ''
let installUrl = ''

const appConfig = JSON.parse(
  readFileSync(new URL('../../src/crm/hubspot/project/src/app/app-hsmeta.json', import.meta.url), 'utf8'),
)
const scopes: string[] = appConfig.config.auth.requiredScopes

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { redirect: 'manual', headers })
const tokenCalls = () => hs.calls.filter((c) => c.route === 'POST /oauth/v3/token')
const connections = () =>
  t.deps.db
    .selectFrom('connections')
    .select(['status', 'workspace_id'])
    .where('provider', '=', 'hubspot')
    .where('account_id', '=', String(hs.portalId))
    .execute()

beforeAll(async () => {
  hs = await startHubSpotStandIn({ portalId: 7001234 })
  const port = await freePort()
  leadgrid = `http://127.0.0.1:${port}`
  installUrl = `${leadgrid}/oauth/hubspot/install`
  t = await startTestApp({
    env: { PUBLIC_URL: leadgrid, HUBSPOT_API_BASE: hs.baseUrl, HUBSPOT_AUTHORIZE_URL: hs.authorizeUrl },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
  await hs?.close()
})

describe('an install from the HubSpot Marketplace listing (code + returnUrl)', () => {
  it('refuses a returnUrl that is not HubSpot’s before touching the code, which stays usable', async () => {
    const valid = new URL(hs.listingInstall(installUrl, { scopes }))
    for (const evil of [
      'https://evil.example/back',
      'http://app.hubspot.com/back',
      'https://app.hubspot.com.evil.example/back',
      'https://evil.example/?to=app.hubspot.com',
      '//evil.example',
      'javascript:alert(1)',
    ]) {
      const forged = new URL(valid)
      forged.searchParams.set('returnUrl', evil)
      const res = await get(forged.toString())
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_return_url')
      expect(res.headers.get('location')).toBeNull()
    }
    expect(tokenCalls()).toHaveLength(0)
    expect(await connections()).toEqual([])
  })

  it('refuses a forged code with a 400 and stores nothing', async () => {
    const forged = new URL(installUrl)
    forged.searchParams.set('code', 'code-made-up-by-someone')
    forged.searchParams.set('returnUrl', 'https://app.hubspot.com/marketplace/1/installed')
    const res = await get(forged.toString())
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('install_failed')
    expect(await connections()).toEqual([])
  })

  it('exchanges the code for the install URL, installs the portal and ends on returnUrl', async () => {
    const returnUrl = `https://app-eu1.hubspot.com/marketplace/${hs.portalId}/installed?x=1`
    const res = await get(hs.listingInstall(installUrl, { returnUrl, scopes }))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(returnUrl)
    expect(res.headers.getSetCookie().filter((c) => c.startsWith('leadgrid_session'))).toEqual([])
    const exchange = tokenCalls().at(-1)!.body as Record<string, string>
    expect(exchange).toMatchObject({ grant_type: 'authorization_code', redirect_uri: installUrl })
    expect(await connections()).toEqual([{ status: 'active', workspace_id: expect.any(String) }])
  })

  it('refuses the same install URL a second time without calling HubSpot', async () => {
    const url = hs.listingInstall(installUrl, { scopes })
    expect((await get(url)).status).toBe(302)
    const calls = tokenCalls().length
    const again = await get(url)
    expect(again.status).toBe(400)
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('code_used')
    expect(tokenCalls()).toHaveLength(calls)
    expect(await connections()).toHaveLength(1)
  })

  it('refuses the partner-sign-in variant, which Leadgrid’s listing does not use', async () => {
    const res = await get(
      `${installUrl}?step=authorize&returnUrl=${encodeURIComponent('https://app.hubspot.com/x')}`,
    )
    expect(res.status).toBe(400)
  })
})

describe('an install started from Leadgrid (state cookie)', () => {
  it('still works, and its callback is single-use and bound to the browser', async () => {
    const install = await get(installUrl)
    expect(install.status).toBe(302)
    const cookie = install.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const consent = await get(install.headers.get('location')!)
    const callbackUrl = consent.headers.get('location')!
    expect((await get(callbackUrl)).status).toBe(400) // no cookie: another browser
    const callback = await get(callbackUrl, { cookie })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toContain('/app/?installed=hubspot')
    const replay = await get(callbackUrl, { cookie })
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('state_used')
  })
})

describe('isHubSpotReturnUrl', () => {
  it('accepts https on hubspot.com and its subdomains only', () => {
    expect(isHubSpotReturnUrl('https://app.hubspot.com/a')).toBe(true)
    expect(isHubSpotReturnUrl('https://hubspot.com/')).toBe(true)
    expect(isHubSpotReturnUrl('https://user:pw@app.hubspot.com/')).toBe(false)
    expect(isHubSpotReturnUrl('https://app.hubspot.com:8443/')).toBe(false)
    expect(isHubSpotReturnUrl('https://nothubspot.com/')).toBe(false)
    expect(isHubSpotReturnUrl('not a url')).toBe(false)
  })
})
