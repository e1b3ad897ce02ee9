/**
 * HubSpot's side of every exchange Leadgrid relies on, one test per documented shape, each naming
 * the HubSpot page it comes from. When HubSpot changes a shape, this file is the one place to
 * update; the other tests check Leadgrid's behaviour, these check that it speaks HubSpot's language.
 * HubSpot's API is nock (no network); Leadgrid is the real app on PGlite, requests injected.
 */
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hubspotFetchPath, signedFetchHeaders } from '../helpers/hubspot-fetch.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const DOCS = {
  fetch:
    'https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/fetching-data',
  validation:
    'https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation',
  installFlow:
    'https://developers.hubspot.com/docs/apps/developer-platform/list-apps/understand-app-install-flow',
  oauthV3: 'https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide',
  webhooks: 'https://developers.hubspot.com/docs/api/webhooks',
  workflowActions: 'https://developers.hubspot.com/docs/api/automation/custom-workflow-actions',
  uninstall: 'https://developers.hubspot.com/docs/api-reference/latest/app-management/app-uninstalls/guide',
  templates: 'https://github.com/HubSpot/hubspot-project-components/tree/main/2025.2/components',
}

const API = TEST_ENV.HUBSPOT_API_BASE
const SECRET = TEST_ENV.HUBSPOT_CLIENT_SECRET
const PORTAL = '62515' // the portal of the token fixtures
const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}
const project = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../src/crm/hubspot/project/src/app/${path}`, import.meta.url), 'utf8'))
let t: TestApp

/** A hubspot.fetch request as HubSpot's proxy sends it (metadata in the signed URL). */
function viaHubSpotFetch(path: string, body: unknown) {
  const url = hubspotFetchPath(path, {
    userId: 987,
    portalId: PORTAL,
    userEmail: 'rep@acme.example',
    appId: TEST_ENV.HUBSPOT_APP_ID,
  })
  const payload = JSON.stringify(body)
  return t.app.inject({
    method: 'POST',
    url,
    headers: signedFetchHeaders(`${TEST_ENV.PUBLIC_URL}${url}`, payload, { secret: SECRET }),
    payload,
  })
}

beforeAll(async () => {
  nock.disableNetConnect()
  t = await startTestApp()
  await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: t.workspace.workspaceId,
      provider: 'hubspot',
      account_id: PORTAL,
      status: 'active',
    })
    .execute()
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

describe('UI extensions through hubspot.fetch', () => {
  it(`card: POST, JSON body, userId/portalId/userEmail/appId added to the signed URL, %40 decoded (${DOCS.fetch}, ${DOCS.validation})`, async () => {
    const res = await viaHubSpotFetch('/hubspot/card', { objectId: 101, objectTypeId: '0-1' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({ scored: false, topReasons: [], recentChanges: [] })
  })

  it(`app link: JSON answer (hubspot.fetch carries JSON only), a 200 whatever the install state (${DOCS.fetch})`, async () => {
    const res = await viaHubSpotFetch('/hubspot/app-link', {})
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ installed: true, url: expect.any(String), expiresInSeconds: 300 })
  })

  it(`the components' configs have exactly the keys of the 2025.2 templates (${DOCS.templates})`, () => {
    const card = project('cards/leadgrid-score-card-hsmeta.json')
    expect(Object.keys(card).sort()).toEqual(['config', 'type', 'uid'])
    expect(Object.keys(card.config).sort()).toEqual(['entrypoint', 'location', 'name', 'objectTypes'])
    const settings = project('settings/leadgrid-settings-hsmeta.json')
    expect(settings.type).toBe('settings')
    expect(Object.keys(settings.config)).toEqual(['entrypoint'])
  })
})

describe('webhooks and workflow actions', () => {
  it(`webhook: a JSON array of events, v3-signed, answered 2xx (${DOCS.webhooks})`, async () => {
    const events = JSON.parse(
      readFileSync(new URL('../fixtures/hubspot/webhook-batch-docs-example.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>[]
    const payload = JSON.stringify(events.map((e) => ({ ...e, portalId: Number(PORTAL) })))
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: signedFetchHeaders(`${TEST_ENV.PUBLIC_URL}/webhooks/hubspot`, payload, { secret: SECRET }),
      payload,
    })
    expect(res.statusCode).toBe(200)
  })

  it(`workflow action: callbackId, origin.portalId, object.objectId, inputFields in; outputFields.hs_execution_state out (${DOCS.workflowActions})`, async () => {
    const payload = JSON.stringify({
      callbackId: 'ap-102-1234-5678',
      origin: { portalId: Number(PORTAL), actionDefinitionId: 10646, actionDefinitionVersion: 1 },
      context: { source: 'WORKFLOWS', workflowId: 1 },
      object: { objectId: 101, objectType: 'CONTACT' },
      inputFields: { eventType: 'webinar.attended', name: 'Launch webinar', reference: 'w-1' },
    })
    const res = await t.app.inject({
      method: 'POST',
      url: '/hubspot/workflow-action',
      headers: signedFetchHeaders(`${TEST_ENV.PUBLIC_URL}/hubspot/workflow-action`, payload, {
        secret: SECRET,
      }),
      payload,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ outputFields: { hs_execution_state: 'SUCCESS' } })
  })
})

describe('install and uninstall', () => {
  it(`listing install: code + returnUrl at the install URL; v3 token call with everything in the form body; back to returnUrl (${DOCS.installFlow}, ${DOCS.oauthV3})`, async () => {
    let form: URLSearchParams | undefined
    nock(API)
      .post('/oauth/v3/token', (b) => {
        form = new URLSearchParams(b as string)
        return true
      })
      .reply(200, fixture('oauth-token-response.json'))
      .post('/oauth/v3/token/introspect')
      .reply(200, fixture('oauth-introspect-response.json'))
    const returnUrl = 'https://app.hubspot.com/marketplace/62515/installed'
    const res = await t.app.inject({
      method: 'GET',
      url: `/oauth/hubspot/install?code=listing-code-1&returnUrl=${encodeURIComponent(returnUrl)}`,
    })
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe(returnUrl)
    expect(Object.fromEntries(form!)).toEqual({
      grant_type: 'authorization_code',
      code: 'listing-code-1',
      redirect_uri: `${TEST_ENV.PUBLIC_URL}/oauth/hubspot/install`,
      client_id: TEST_ENV.HUBSPOT_CLIENT_ID,
      client_secret: SECRET,
    })
    // The install URL is one of the app's redirect URLs (the listing's Install button picks one).
    expect(project('app-hsmeta.json').config.auth.redirectUrls).toContain(
      'https://leadgrid.example.com/oauth/hubspot/install',
    )
  })

  it(`disconnect: DELETE /appinstalls/v3/external-install with the portal's token, 204 (${DOCS.uninstall})`, async () => {
    const connection = await t.deps.db
      .selectFrom('connections')
      .select('id')
      .where('account_id', '=', PORTAL)
      .executeTakeFirstOrThrow()
    nock(API, { reqheaders: { authorization: /^Bearer / } })
      .delete('/appinstalls/v3/external-install')
      .reply(204)
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/connections/${connection.id}`,
      headers: { authorization: `Bearer ${t.workspace.apiKey}` },
    })
    expect(res.statusCode).toBeLessThan(300)
  })
})
