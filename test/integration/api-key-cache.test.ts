/**
 * A valid API key is remembered for a few seconds (one statement less per ingest batch): a key
 * revoked in the database stops working within API_KEY_CACHE_MS, never later, and a revoked or
 * unknown key is never remembered as valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { API_KEY_CACHE_MS } from '../../src/http/api-key-auth.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ clock })
})
afterAll(async () => {
  await t?.close()
})

const grids = (key: string) =>
  t.app.inject({ method: 'GET', url: '/api/v1/grids', headers: { authorization: `Bearer ${key}` } })

const revoke = (workspaceId: string, revokedAt: string | null) =>
  t.deps.db
    .updateTable('api_keys')
    .set({ revoked_at: revokedAt === null ? null : new Date(revokedAt) })
    .where('workspace_id', '=', workspaceId)
    .execute()

describe('a revoked API key', () => {
  it('keeps working at most API_KEY_CACHE_MS after its last use, then answers 401', async () => {
    const ws = await t.createWorkspace('revoked key')
    expect((await grids(ws.apiKey)).statusCode).toBe(200)
    await revoke(ws.workspaceId, '2026-03-31T12:00:00Z')
    clock.set(new Date(clock.now().getTime() + API_KEY_CACHE_MS - 1))
    expect((await grids(ws.apiKey)).statusCode).toBe(200)
    clock.set(new Date(clock.now().getTime() + 2))
    const refused = await grids(ws.apiKey)
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } })
  })

  it('is not remembered as refused either: restored, it works at once', async () => {
    const ws = await t.createWorkspace('restored key')
    await revoke(ws.workspaceId, '2026-03-31T12:00:00Z')
    expect((await grids(ws.apiKey)).statusCode).toBe(401)
    await revoke(ws.workspaceId, null)
    expect((await grids(ws.apiKey)).statusCode).toBe(200)
  })
})
