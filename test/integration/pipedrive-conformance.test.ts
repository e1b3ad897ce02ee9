/**
 * Every Pipedrive request and answer shape Leadgrid relies on, each with the documentation page it
 * comes from — when Pipedrive changes one, this file is the one place to update (fixtures under
 * test/fixtures/pipedrive/ name their source too):
 *
 *  - the JSON panel's schema and answer: https://pipedrive.readme.io/docs/json-panels-adding-a-panel
 *    and its templates in https://github.com/pipedrive/example-apps/tree/master/json-samples
 *  - the uninstall callback: https://pipedrive.readme.io/docs/app-uninstallation ("Uninstall callback")
 *  - the token revocation: https://pipedrive.readme.io/docs/app-uninstallation ("Token revocation")
 *
 * Pipedrive is played by nock against the real routes, database and services.
 */
import { SignJWT } from 'jose'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { pipedriveFixture } from '../helpers/pipedrive-fixtures.js'
import { PANEL_DEFINITIONS, panelAnswerErrors, panelSchemaFile } from '../helpers/pipedrive-panel-schema.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const OAUTH = 'https://oauth.pipedrive.test'
const API = 'https://acme-sandbox.pipedrive.com'
const CLIENT_ID = 'pd-client-id'
const CLIENT_SECRET = 'pd-client-secret-0123456789'
const COMPANY = '5380474'
const appBasic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
const clock = fixedClock('2026-11-30T12:00:00.000Z')
let t: TestApp

beforeAll(async () => {
  nock.disableNetConnect()
  t = await startTestApp({
    clock,
    env: {
      PIPEDRIVE_CLIENT_ID: CLIENT_ID,
      PIPEDRIVE_CLIENT_SECRET: CLIENT_SECRET,
      PIPEDRIVE_OAUTH_BASE: OAUTH,
    },
  })
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

/** A company's connection with two users' authorizations (777 acts for it), as installs leave it. */
async function installedCompany(companyId: string, users = ['777']) {
  const { workspaceId } = await t.createWorkspace(`Pipedrive ${companyId}`)
  const seal = (s: string) => t.deps.secretBox.encrypt(s)
  const expires = new Date(clock.now().getTime() + 3_600_000)
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: workspaceId,
      provider: 'pipedrive',
      account_id: companyId,
      access_token_enc: seal(`access-${users[0]}`),
      refresh_token_enc: seal(`refresh-${users[0]}`),
      token_expires_at: expires,
      authorized_by: users[0],
      api_base: API,
      settings: JSON.stringify({ pipedriveUserId: Number(users[0]) }),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done', processed: 0 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  for (const u of users) {
    await t.deps.db
      .insertInto('crm_authorizations')
      .values({
        workspace_id: workspaceId,
        connection_id: row.id,
        user_id: u,
        access_token_enc: seal(`access-${u}`),
        refresh_token_enc: seal(`refresh-${u}`),
        token_expires_at: expires,
      })
      .execute()
  }
  return { workspaceId, connectionId: row.id }
}

const authorizedUsers = async (connectionId: string) =>
  (
    await t.deps.db
      .selectFrom('crm_authorizations')
      .select('user_id')
      .where('connection_id', '=', connectionId)
      .orderBy('user_id')
      .execute()
  ).map((r) => r.user_id)

describe('JSON panel schema (json-panels-adding-a-panel, "JSON data structure" and "Templates")', () => {
  it('the documented example answers validate against their templates, and not against the other one', () => {
    const single = pipedriveFixture('panel-single-object-schema.json')
    const multiple = pipedriveFixture('panel-multiple-object-schema.json')
    const singleAnswer = pipedriveFixture('panel-single-object-answer.json')
    const multipleAnswer = pipedriveFixture('panel-multiple-object-answer.json')
    expect(panelAnswerErrors(singleAnswer, single)).toEqual([])
    expect(panelAnswerErrors(multipleAnswer, multiple)).toEqual([])
    // The shape of one panel type sent to a schema of the other: "Something went wrong…".
    expect(panelAnswerErrors(multipleAnswer, single)).not.toEqual([])
    expect(panelAnswerErrors(singleAnswer, multiple)).not.toEqual([])
    // Pipedrive closes every object: an undeclared property is refused too.
    const extra = { data: { ...(singleAnswer.data as object), undeclared: 'x' } }
    expect(panelAnswerErrors(extra, single)).not.toEqual([])
  })

  it("Leadgrid's panel-schema.json is a single-object panel of documented field types, within the limits", () => {
    const schema = panelSchemaFile() as {
      type: string
      required: string[]
      properties: Record<string, { $ref: string; label?: string }>
    }
    // One person, one score: the single-object panel (its template's type and required fields).
    expect(schema.type).toBe(pipedriveFixture<{ type: string }>('panel-single-object-schema.json').type)
    expect(schema.required).toEqual(['id', 'header'])
    const documented = Object.keys(PANEL_DEFINITIONS).map((k) => `#/definitions/${k}`)
    for (const [name, property] of Object.entries(schema.properties)) {
      expect(documented, name).toContain(property.$ref)
    }
    // "a maximum of twenty fields (excluding the header field)"
    expect(Object.keys(schema.properties).filter((k) => k !== 'header').length).toBeLessThanOrEqual(20)
  })
})

describe('JSON panel answer (GET /pipedrive/panel) against panel-schema.json', () => {
  const sign = (companyId: string, userId = 777) =>
    new SignJWT({ companyId: Number(companyId), userId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 300)
      .sign(new TextEncoder().encode(CLIENT_SECRET))
  const panel = async (companyId: string, personId: number) =>
    t.app.inject({
      method: 'GET',
      url: `/pipedrive/panel?resource=person&view=details&selectedIds=${personId}&companyId=${companyId}&token=${await sign(companyId)}`,
    })

  it('a scored person’s panel validates, and shows its score', async () => {
    const { workspaceId } = await installedCompany('7100001')
    await t.deps.ingestion.ingestContacts(
      workspaceId,
      [
        {
          contact: { pipedriveId: '8', email: 'ceo@acme-software.com' },
          properties: { jobtitle: 'CEO', company: 'Acme Software' },
        },
      ],
      'api',
    )
    expect(await t.rescoreNow(workspaceId)).toBeGreaterThan(0)
    const res = await panel('7100001', 8)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(panelAnswerErrors(body)).toEqual([])
    expect(body.data).toMatchObject({ id: 8, score: expect.any(Number) })
  })

  it('a person Leadgrid has not scored yet validates too', async () => {
    await installedCompany('7100002')
    const res = await panel('7100002', 99)
    expect(res.statusCode).toBe(200)
    expect(panelAnswerErrors(res.json())).toEqual([])
  })

  it('an error is a status above 300 with {error: {title (≤ 30 characters), subtitle}} ("Panel error handling")', async () => {
    const res = await panel('7100999', 8) // a company Leadgrid is not installed in
    expect(res.statusCode).toBeGreaterThan(300)
    const { error } = res.json()
    expect(error.title.length).toBeLessThanOrEqual(30)
    expect(typeof error.subtitle).toBe('string')
  })
})

describe('Uninstall callback (app-uninstallation, "Uninstall callback")', () => {
  const uninstall = (body: unknown, authorization = appBasic) =>
    t.app.inject({
      method: 'DELETE',
      url: '/oauth/pipedrive/callback',
      headers: { 'content-type': 'application/json', authorization },
      payload: JSON.stringify(body),
    })

  it('the documented body names the one user who uninstalled: only that user’s authorization goes', async () => {
    const { connectionId } = await installedCompany(COMPANY, ['777', '888'])
    const body = pipedriveFixture<{ user_id: number }>('uninstall-callback.json')
    expect(body).toMatchObject({ client_id: CLIENT_ID, company_id: Number(COMPANY) })
    const res = await uninstall({ ...body, user_id: 888 })
    expect(res.statusCode).toBe(200)
    expect(await authorizedUsers(connectionId)).toEqual(['777'])
    const row = await t.deps.db
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow()
    expect([row.status, row.authorized_by]).toEqual(['active', '777'])
  })

  it('a body without the user it concerns is refused with a 400 and changes nothing', async () => {
    const { connectionId } = await installedCompany('7100003', ['777'])
    const { user_id: _user, ...body } = pipedriveFixture('uninstall-callback.json')
    const res = await uninstall({ ...body, company_id: 7100003 })
    expect(res.statusCode).toBe(400)
    expect(await authorizedUsers(connectionId)).toEqual(['777'])
  })
})

describe('Token revocation (app-uninstallation, "Token revocation")', () => {
  it('a disconnect from Leadgrid revokes each authorized user’s refresh token as documented', async () => {
    const { workspaceId, connectionId } = await installedCompany('7100004', ['777', '888'])
    nock(API).get('/api/v1/webhooks').reply(200, { success: true, data: [] })
    const revoked: string[] = []
    // POST https://oauth.pipedrive.com/oauth/revoke, form-encoded, HTTP Basic client_id:client_secret,
    // body `token` (the refresh_token) and `token_type_hint=refresh_token`; 200 even for an unknown token.
    nock(OAUTH, {
      reqheaders: {
        authorization: appBasic,
        'content-type': (v) => v.startsWith('application/x-www-form-urlencoded'),
      },
    })
      .post('/oauth/revoke', (b: Record<string, string>) => {
        if (b.token_type_hint !== 'refresh_token' || Object.keys(b).length !== 2) return false
        revoked.push(b.token!)
        return true
      })
      .times(2)
      .reply(200)
    await t.deps.crm.connections.disconnect(workspaceId, connectionId, 'admin tester')
    expect(revoked.sort()).toEqual(['refresh-777', 'refresh-888'])
    const row = await t.deps.db
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow()
    expect([row.status, row.refresh_token_enc]).toEqual(['uninstalled', null])
    expect(await authorizedUsers(connectionId)).toEqual([])
  })
})
