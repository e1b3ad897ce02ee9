/**
 * /api/v1/connections manages every provider's connections, not only HubSpot's: PATCH and DELETE of a
 * Pipedrive connection used to answer 404 (the routes looked for HubSpot connections only). Settings
 * a provider does not have are refused without storing anything; another workspace's connection is
 * a 404.
 */
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { crmJobHandlers } from '../../src/crm/crm-workers.js'
import { listAudit } from '../../src/db/audit-repository.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const API = 'https://acme-sandbox.pipedrive.com'
const OAUTH = 'https://oauth.pipedrive.test'
const clock = fixedClock('2026-11-30T12:00:00.000Z')
let t: TestApp

async function pipedriveConnection(workspaceId: string, companyId: string) {
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: workspaceId,
      provider: 'pipedrive',
      account_id: companyId,
      access_token_enc: t.deps.secretBox.encrypt('pd-token'),
      refresh_token_enc: t.deps.secretBox.encrypt('pd-refresh'),
      token_expires_at: new Date('2026-11-30T13:00:00.000Z'),
      api_base: API,
      settings: JSON.stringify({ pipedriveUserId: 7 }),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done', processed: 0 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

const auth = () => ({ authorization: `Bearer ${t.workspace.apiKey}` })
const settingsOf = async (id: string) =>
  (
    await t.deps.db
      .selectFrom('connections')
      .select('settings')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).settings

beforeAll(async () => {
  nock.disableNetConnect()
  nock.enableNetConnect(/127\.0\.0\.1|localhost/)
  t = await startTestApp({
    clock,
    env: { PIPEDRIVE_CLIENT_ID: 'pd-id', PIPEDRIVE_CLIENT_SECRET: 'pd-secret', PIPEDRIVE_OAUTH_BASE: OAUTH },
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

describe('/api/v1/connections for every provider', () => {
  it('PATCH finds a Pipedrive connection and refuses a HubSpot-only setting, storing nothing', async () => {
    const id = await pipedriveConnection(t.workspace.workspaceId, '9100001')
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/connections/${id}`,
      headers: auth(),
      payload: {},
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().settings).toEqual({ pipedriveUserId: 7 })

    const refused = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/connections/${id}`,
      headers: auth(),
      payload: { lifecycleOnMql: true },
    })
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ error: { code: 'invalid_settings' } })
    expect(await settingsOf(id)).toEqual({ pipedriveUserId: 7 })
  })

  it('DELETE disconnects a Pipedrive connection (its webhooks removed first, its token revoked) and audits who did it', async () => {
    const id = await pipedriveConnection(t.workspace.workspaceId, '9100002')
    const hookUrl = `${t.deps.config.PUBLIC_URL}/webhooks/pipedrive/${id}`
    nock(API)
      .get('/api/v1/webhooks')
      .reply(200, {
        success: true,
        data: [
          { id: 41, subscription_url: hookUrl },
          { id: 42, subscription_url: 'https://elsewhere.example/hook' },
        ],
      })
    nock(API)
      .delete('/api/v1/webhooks/41')
      .reply(200, { success: true, data: { id: 41 } })
    nock(OAUTH).post('/oauth/revoke', { token: 'pd-refresh', token_type_hint: 'refresh_token' }).reply(200)
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/connections/${id}`, headers: auth() })
    expect(res.statusCode).toBe(204)
    const row = await t.deps.db
      .selectFrom('connections')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('uninstalled')
    const audit = await listAudit(t.deps.db, t.workspace.workspaceId)
    expect(audit[0]).toMatchObject({
      actor: 'api',
      action: 'connection.disconnected',
      details: { provider: 'pipedrive', connectionId: id },
    })
  })

  it('a CRM job for a connection that no longer exists is dropped, not failed and retried', async () => {
    const jobs = crmJobHandlers(t.deps)
    const gone = {
      workspaceId: t.workspace.workspaceId,
      connectionId: '6f1c0a8e-9d43-4b7e-8f0a-2c6b1d9e7a55',
    }
    for (const name of ['crm-flush', 'crm-process-deliveries', 'crm-install'] as const) {
      await expect(jobs[name](gone)).resolves.toBeUndefined()
    }
  })

  it("another workspace's connection is a 404 for PATCH, DELETE and retry-parked", async () => {
    const other = await t.createWorkspace('other')
    const id = await pipedriveConnection(other.workspaceId, '9100003')
    for (const [method, url] of [
      ['PATCH', `/api/v1/connections/${id}`],
      ['DELETE', `/api/v1/connections/${id}`],
      ['POST', `/api/v1/connections/${id}/retry-parked`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: auth(), payload: {} })
      expect(res.statusCode, `${method} ${url}`).toBe(404)
    }
    const row = await t.deps.db
      .selectFrom('connections')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row.status).toBe('active')
  })
})
