/**
 * Fault: a CRM 5xx storm (issue 9, item 7). A Pipedrive stand-in over real HTTP answers 503 to every
 * person update until the test ends the storm. A row that had already failed four flushes is tried
 * again with the client's backoff, then parked — visible in GET /api/v1/connections with the error —
 * and resumes by itself once the CRM answers again; a row the CRM had refused (not retryable) stays
 * parked and is never resent. (Through the provider-neutral flush, the same for every CRM.)
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

let t: TestApp
let crm: Server
let storm = true
const received: { personId: string; status: number; at: number }[] = []

beforeAll(async () => {
  crm = createServer((req, res) => {
    const id = /\/persons\/(\d+)/.exec(req.url ?? '')?.[1] ?? '?'
    req.resume()
    req.on('end', () => {
      const status = storm ? 503 : 200
      received.push({ personId: id, status, at: Date.now() })
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          storm
            ? { success: false, error: 'Service unavailable' }
            : { success: true, data: { id: Number(id) } },
        ),
      )
    })
  })
  await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve))
  t = await startTestApp({ workers: true })
})
afterAll(async () => {
  await t?.close()
  crm?.closeAllConnections()
  await new Promise((resolve) => crm?.close(resolve))
})

it('backs off, parks, shows it, and resumes by itself when the CRM recovers', async () => {
  const { db, secretBox } = t.deps
  const ws = t.workspace.workspaceId
  const connection = await db
    .insertInto('connections')
    .values({
      workspace_id: ws,
      provider: 'pipedrive',
      account_id: '5380474',
      api_base: `http://127.0.0.1:${(crm.address() as AddressInfo).port}`,
      access_token_enc: secretBox.encrypt('storm-access-token'),
      refresh_token_enc: secretBox.encrypt('storm-refresh-token'),
      token_expires_at: new Date(Date.now() + 86_400_000),
      settings: JSON.stringify({}),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done' }),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const row = (crmId: string, status: 'pending' | 'parked', attempts: number) => ({
    workspace_id: ws,
    connection_id: connection.id,
    contact_id: crypto.randomUUID(),
    crm_id: crmId,
    properties: JSON.stringify({ lead_score_key: 42 }),
    status,
    attempts,
  })
  // 101 failed four flushes already (the storm began earlier); 102 was refused by the CRM.
  await db
    .insertInto('outbox')
    .values([row('101', 'pending', 4), { ...row('102', 'parked', 1), last_error: 'Pipedrive answered 400' }])
    .execute()
  const health = async () => {
    const r = await t.app.inject({
      method: 'GET',
      url: '/api/v1/connections',
      headers: { authorization: `Bearer ${t.workspace.apiKey}` },
    })
    const c = (
      r.json() as {
        connections: { id: string; backlog: Record<string, number>; lastError: { message: string } | null }[]
      }
    ).connections.find((x) => x.id === connection.id)!
    return c
  }

  await t.deps.queue.send('crm-flush', { workspaceId: ws, connectionId: connection.id })
  // The client's retries with backoff, then the row's fifth failed flush parks it.
  const parked = await until(
    'the storm to park the row',
    async () => {
      const h = await health()
      // The flush parks the row, then records the error on the connection: two statements, so a
      // look in between sees the parked row without the error yet (it failed CI that way once).
      return h.backlog['writeBackParked'] === 2 && h.lastError ? h : undefined
    },
    30_000,
  )
  expect(parked.backlog['writeBackPending']).toBe(0)
  expect(parked.lastError?.message).toContain('503')
  const tries = received.filter((r) => r.personId === '101')
  expect(tries.length).toBeGreaterThanOrEqual(4)
  expect(tries.every((r) => r.status === 503)).toBe(true)

  // The CRM recovers: the deferred flush resends the parked row by itself — no one clicks "retry".
  storm = false
  await until(
    'the parked row to be written after the storm',
    () => received.some((r) => r.personId === '101' && r.status === 200),
    30_000,
  )
  const after = await until(
    'the outbox to record the write',
    async () => {
      const h = await health()
      return h.backlog['writeBackParked'] === 1 ? h : undefined
    },
    10_000,
  )
  expect(after.backlog['writeBackPending']).toBe(0)
  const left = await db
    .selectFrom('outbox')
    .select(['crm_id', 'status'])
    .where('workspace_id', '=', ws)
    .execute()
  expect(left).toEqual([{ crm_id: '102', status: 'parked' }])
  // What the CRM refused stays parked for a person to look at, and was never resent.
  expect(received.some((r) => r.personId === '102')).toBe(false)
}, 90_000)
