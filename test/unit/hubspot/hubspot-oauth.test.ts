import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../../src/clock.js'
import { HubSpotAuthError } from '../../../src/crm/hubspot/errors.js'
import { createHubSpotOAuth, HUBSPOT_REQUIRED_SCOPES } from '../../../src/crm/hubspot/oauth.js'
import type { Db } from '../../../src/db/database.js'

const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}

const API = 'http://hubspot.test'
const config = {
  HUBSPOT_CLIENT_ID: 'test-client-id',
  HUBSPOT_CLIENT_SECRET: 'test-client-secret',
  HUBSPOT_API_BASE: API,
  HUBSPOT_AUTHORIZE_URL: 'http://hubspot.test/oauth/authorize',
  PUBLIC_URL: 'https://leadgrid.example.com',
  SESSION_SECRET: 's'.repeat(40),
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  expect(nock.isDone()).toBe(true)
  nock.cleanAll()
})

// Signing and reading a state never reach the database; only consuming one does.
const db = {} as Db

describe('HubSpot OAuth', () => {
  const clock = fixedClock('2026-03-31T12:00:00Z')
  const oauth = createHubSpotOAuth({ config, clock, db })

  it('builds the install URL with client id, redirect URI, the minimal scopes and a signed state', () => {
    const url = new URL(oauth.installUrl({ returnTo: '/app/' }))
    expect(url.origin + url.pathname).toBe('http://hubspot.test/oauth/authorize')
    expect(url.searchParams.get('client_id')).toBe('test-client-id')
    expect(url.searchParams.get('redirect_uri')).toBe('https://leadgrid.example.com/oauth/hubspot/callback')
    expect(url.searchParams.get('scope')).toBe(HUBSPOT_REQUIRED_SCOPES.join(' '))
    expect(oauth.verifyState(url.searchParams.get('state') ?? undefined)).toEqual({ returnTo: '/app/' })
  })

  it('refuses a forged, tampered or expired state', () => {
    const state = oauth.createState()
    expect(oauth.verifyState(state)).toEqual({})
    const [payload, mac] = state.split('.')
    expect(oauth.verifyState(`${payload}x.${mac}`)).toBeNull()
    const other = createHubSpotOAuth({ config: { ...config, SESSION_SECRET: 't'.repeat(40) }, clock, db })
    expect(other.verifyState(state)).toBeNull()
    const later = fixedClock('2026-03-31T12:10:01Z')
    expect(createHubSpotOAuth({ config, clock: later, db }).verifyState(state)).toBeNull()
    expect(oauth.verifyState(undefined)).toBeNull()
  })

  it('exchanges the code at the v3 endpoint with every parameter in the form body', async () => {
    let seen: URLSearchParams | undefined
    nock(API)
      .post('/oauth/v3/token', (body) => {
        seen = new URLSearchParams(body as string)
        return true
      })
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, fixture('oauth-token-response.json'))
    const tokens = await oauth.exchangeCode('the-code')
    expect(Object.fromEntries(seen ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://leadgrid.example.com/oauth/hubspot/callback',
      client_id: 'test-client-id',
      client_secret: 'test-client-secret',
    })
    expect(tokens.accessToken).toMatch(/^CKDZ/)
    expect(tokens.refreshToken).toBe('6f18f26a-3e95-4d95-a6e5-3d5c6e5c9e5a')
    expect(tokens.expiresAt.toISOString()).toBe('2026-03-31T12:30:00.000Z')
  })

  it('learns the portal id by introspecting the access token', async () => {
    nock(API)
      .post(
        '/oauth/v3/token/introspect',
        (body) => new URLSearchParams(body as string).get('token') === 'tok',
      )
      .reply(200, fixture('oauth-introspect-response.json'))
    const info = await oauth.tokenInfo('tok')
    expect(info).toMatchObject({ active: true, hubId: '62515', appId: '54321' })
    expect(info.scopes).toContain('crm.objects.contacts.write')
  })

  it('recognises a revoked refresh token from the status and body code', async () => {
    nock(API).post('/oauth/v3/token').reply(400, fixture('oauth-bad-refresh-token.json'))
    const err = await oauth.refresh('dead').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HubSpotAuthError)
    expect((err as HubSpotAuthError).revoked).toBe(true)
    expect((err as HubSpotAuthError).retryable).toBe(false)

    nock(API)
      .post('/oauth/v3/token')
      .reply(400, { error: 'invalid_grant', error_description: 'anything at all' })
    const err2 = (await oauth.refresh('dead').catch((e: unknown) => e)) as HubSpotAuthError
    expect(err2.revoked).toBe(true)

    nock(API).post('/oauth/v3/token').reply(502, 'Bad gateway')
    const err3 = (await oauth.refresh('ok').catch((e: unknown) => e)) as HubSpotAuthError
    expect(err3.revoked).toBe(false)
    expect(err3.retryable).toBe(true)
  })

  it('refreshes with the refresh token in the form body', async () => {
    nock(API)
      .post('/oauth/v3/token', (body) => {
        const p = new URLSearchParams(body as string)
        return (
          p.get('grant_type') === 'refresh_token' &&
          p.get('refresh_token') === 'r1' &&
          p.get('client_secret') === 'test-client-secret'
        )
      })
      .reply(200, fixture('oauth-token-response.json'))
    const t = await oauth.refresh('r1')
    expect(t.expiresAt.getTime() - clock.now().getTime()).toBe(1800_000)
  })

  it('uninstalls through the app-uninstall API with the bearer token', async () => {
    nock(API).delete('/appinstalls/v3/external-install').matchHeader('authorization', 'Bearer tok').reply(204)
    await oauth.uninstall('tok')
  })
})
