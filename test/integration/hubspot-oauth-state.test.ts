/**
 * Issue 6, item 6: the install state is bound to the browser that started the install (a short-lived
 * cookie, @fastify/oauth2) and is single-use across processes (its nonce recorded in the database).
 * Item 14 (part): without HubSpot credentials the install says so (503), naming the variables.
 */
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { fixedClock } from '../../src/clock.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const API = TEST_ENV.HUBSPOT_API_BASE
const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}
const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp

beforeAll(async () => {
  nock.disableNetConnect()
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

async function startInstall(app = t.app) {
  const res = await app.inject({ method: 'GET', url: '/oauth/hubspot/install' })
  expect(res.statusCode).toBe(302)
  const state = new URL(res.headers.location as string).searchParams.get('state')!
  const cookie = res.cookies.find((c) => c.name === 'leadgrid_hubspot_oauth_state')
  return { state, cookie, cookies: cookie ? { [cookie.name]: cookie.value } : {} }
}

const callback = (state: string, cookies: Record<string, string> = {}, app = t.app) =>
  app.inject({
    method: 'GET',
    url: `/oauth/hubspot/callback?code=the-code&state=${encodeURIComponent(state)}`,
    cookies,
  })

function hubspotAcceptsTheCode() {
  nock(API)
    .post('/oauth/v3/token', (b) => new URLSearchParams(b as string).get('code') === 'the-code')
    .reply(200, fixture('oauth-token-response.json'))
    .post('/oauth/v3/token/introspect')
    .reply(200, fixture('oauth-introspect-response.json'))
}

describe('the install state', () => {
  it('is set in a short-lived, script-proof, path-limited cookie', async () => {
    const { state, cookie } = await startInstall()
    expect(cookie?.value).toBe(state)
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
      secure: true, // PUBLIC_URL is https
      maxAge: 600,
      path: '/oauth/hubspot/callback',
    })
  })

  it('is refused without the cookie of the browser that started the install', async () => {
    const { state } = await startInstall()
    const res = await callback(state)
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({
      code: 'install_not_started',
      message: expect.stringMatching(/start the install again/),
    })
    // With another browser's cookie: refused too.
    const other = await startInstall()
    expect((await callback(state, other.cookies)).statusCode).toBe(400)
  })

  it('installs once, and a replay of the used state is refused even with the right cookie', async () => {
    const { state, cookies } = await startInstall()
    hubspotAcceptsTheCode()
    const first = await callback(state, cookies)
    expect(first.statusCode).toBe(302)
    expect(first.headers.location).toContain('installed=hubspot')

    const replay = await callback(state, cookies)
    expect(replay.statusCode).toBe(400)
    expect(replay.json().error).toMatchObject({
      code: 'state_used',
      message: expect.stringMatching(/already used.*start the install again/),
    })
    // The plugin clears the cookie after use.
    expect(first.cookies.find((c) => c.name === 'leadgrid_hubspot_oauth_state')?.value).toBe('')

    // Another process (another app on the same database) refuses it as well.
    const second = await buildApp(t.deps)
    try {
      expect((await callback(state, cookies, second)).statusCode).toBe(400)
    } finally {
      await second.close()
    }
  })
})

describe('without HubSpot credentials', () => {
  let bare: TestApp
  beforeAll(async () => {
    bare = await startTestApp({ env: { HUBSPOT_CLIENT_ID: '', HUBSPOT_CLIENT_SECRET: '' } })
  })
  afterAll(async () => {
    await bare?.close()
  })

  it('the install and the callback answer 503 naming the variables to set', async () => {
    for (const url of ['/oauth/hubspot/install', '/oauth/hubspot/callback?code=x&state=y']) {
      const res = await bare.app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(503)
      expect(res.json().error).toMatchObject({
        code: 'hubspot_not_configured',
        message: expect.stringMatching(/not configured.*HUBSPOT_CLIENT_ID.*HUBSPOT_CLIENT_SECRET/),
      })
    }
  })
})
