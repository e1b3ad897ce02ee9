/**
 * Event → score in the CRM without waiting on a clock (issue 9, item 4). The workers here poll
 * once an hour, so the only way the score can reach the CRM within the test is that every step
 * wakes the next at once: the ingest wakes the rescorer, the rescore asks for the flush without a
 * fixed delay and wakes its worker. With a 2 s debounce (a delayed job) or a wait for the next poll
 * anywhere on the path, the write never lands.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type HubSpotStandIn, startHubSpotStandIn } from '../helpers/hubspot-stand-in.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

let hs: HubSpotStandIn
let t: TestApp

beforeAll(async () => {
  hs = await startHubSpotStandIn({
    contacts: [
      { id: '201', properties: { email: 'wake@acme-software.com', createdate: new Date().toISOString() } },
    ],
  })
  t = await startTestApp({
    workers: true,
    pollingIntervalSeconds: 3600,
    env: { HUBSPOT_API_BASE: hs.baseUrl },
  })
  await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: t.workspace.workspaceId,
      provider: 'hubspot',
      account_id: String(hs.portalId),
      access_token_enc: t.deps.secretBox.encrypt('test-access-token'),
      refresh_token_enc: t.deps.secretBox.encrypt('test-refresh-token'),
      token_expires_at: new Date(Date.now() + 86_400_000),
      settings: JSON.stringify({}),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done' }),
      reconcile_cursor: new Date(),
    })
    .execute()
})
afterAll(async () => {
  await t?.close()
  await hs?.close()
})

it('an acknowledged event reaches the CRM as a score though no worker polls', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/events',
    headers: { authorization: `Bearer ${t.workspace.apiKey}` },
    payload: {
      events: [
        {
          contact: { email: 'wake@acme-software.com', hubspotId: '201' },
          type: 'page.viewed',
          occurredAt: new Date().toISOString(),
          attributes: { url: 'https://acme.example/pricing' },
        },
      ],
    },
  })
  expect(res.statusCode).toBe(202)
  const update = await until('the score written to HubSpot', () => hs.batchUpdates()[0], 20_000)
  expect(update.inputs.map((i) => i.id)).toEqual(['201'])
  expect(update.inputs[0]!.properties['leadgrid_engagement']).toBe('20')
})
