/**
 * POST/GET /api/v1/outcomes on a real database: validation like events (one bad item, nothing
 * stored), idempotence by id or content, contacts resolved by email or CRM id, workspaces apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
let auth: { authorization: string }
beforeAll(async () => {
  t = await startTestApp()
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
})
afterAll(async () => {
  await t?.close()
})

const post = (outcomes: unknown, headers = auth) =>
  t.app.inject({ method: 'POST', url: '/api/v1/outcomes', headers, payload: { outcomes } })
const list = (query = '', headers = auth) =>
  t.app.inject({ method: 'GET', url: `/api/v1/outcomes${query}`, headers })

describe('POST /api/v1/outcomes', () => {
  it('stores a batch once: a resend (same ids, or same content without id) is counted as duplicates', async () => {
    const batch = [
      {
        id: 'deal-1-won',
        contact: { email: 'Ada@Example.com' },
        kind: 'won',
        occurredAt: '2026-03-01T10:00:00Z',
      },
      { contact: { hubspotId: '901' }, kind: 'sql', occurredAt: '2026-03-02T10:00:00+02:00' },
    ]
    const first = await post(batch)
    expect(first.statusCode).toBe(202)
    expect(first.json()).toEqual({ accepted: 2, duplicates: 0 })
    const again = await post(batch)
    expect(again.json()).toEqual({ accepted: 0, duplicates: 2 })

    const listed = (await list('?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z')).json()
    expect(listed.outcomes).toHaveLength(2)
    expect(listed.outcomes[0]).toMatchObject({
      kind: 'sql',
      occurredAt: '2026-03-02T08:00:00.000Z',
      source: 'api',
    })
    expect(listed.outcomes[1]).toMatchObject({ id: 'id:deal-1-won', kind: 'won', email: 'ada@example.com' })
  })

  it('attaches the outcome to the contact events already created, by email', async () => {
    const ev = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: {
        events: [
          {
            contact: { email: 'bob@example.com' },
            type: 'page.viewed',
            occurredAt: '2026-02-01T00:00:00Z',
            attributes: { url: '/pricing' },
          },
        ],
      },
    })
    expect(ev.statusCode).toBe(202)
    await post([
      { contact: { email: 'BOB@example.com' }, kind: 'opportunity', occurredAt: '2026-02-10T00:00:00Z' },
    ])
    const contacts = await t.deps.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', t.workspace.workspaceId)
      .where('value', '=', 'bob@example.com')
      .execute()
    expect(contacts).toHaveLength(1)
    const listed = (await list(`?contactId=${contacts[0]!.contact_id}`)).json()
    expect(listed.outcomes.map((o: { kind: string }) => o.kind)).toEqual(['opportunity'])
  })

  it('rejects a batch with one bad item, names it, and stores nothing', async () => {
    const before = (await list('?limit=1000')).json().outcomes.length
    const res = await post([
      { contact: { email: 'carol@example.com' }, kind: 'won', occurredAt: '2026-03-05T00:00:00Z' },
      { contact: { email: 'dan@example.com' }, kind: 'closed', occurredAt: '2026-03-05T00:00:00Z' },
      { contact: {}, kind: 'lost', occurredAt: 'yesterday' },
    ])
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.error.code).toBe('invalid_items')
    expect(body.error.message).toMatch(/outcomes\[1\]\.kind: unknown outcome kind "closed"/)
    expect(body.error.message).toMatch(/outcomes\[2\]/)
    expect((await list('?limit=1000')).json().outcomes.length).toBe(before)
  })

  it('answers 400 for a body that is not a batch and for a bad query', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/outcomes',
          headers: auth,
          payload: { events: [] },
        })
      ).statusCode,
    ).toBe(400)
    expect((await post([])).json().error.message).toMatch(/the batch is empty/)
    const bad = await list('?from=last-week')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toMatch(/^from:/)
    expect((await list('?cursor=nope')).statusCode).toBe(400)
  })

  it('pages with a cursor', async () => {
    const page1 = (await list('?limit=2')).json()
    expect(page1.outcomes).toHaveLength(2)
    const page2 = (await list(`?limit=2&cursor=${page1.nextCursor}`)).json()
    const ids = [...page1.outcomes, ...page2.outcomes].map((o: { id: string }) => o.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("keeps both contacts' outcomes when they turn out to be one person (merge)", async () => {
    await post([{ contact: { email: 'merge@example.com' }, kind: 'sql', occurredAt: '2026-01-05T00:00:00Z' }])
    await post([{ contact: { hubspotId: 'm-77' }, kind: 'won', occurredAt: '2026-01-20T00:00:00Z' }])
    const merged = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: auth,
      payload: { contacts: [{ contact: { email: 'merge@example.com', hubspotId: 'm-77' } }] },
    })
    expect(merged.statusCode).toBe(200)
    const { outcomes } = (await list('?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z')).json()
    expect(outcomes.map((o: { kind: string }) => o.kind)).toEqual(['won', 'sql'])
    expect(new Set(outcomes.map((o: { contactId: string }) => o.contactId)).size).toBe(1)
  })

  it('keeps workspaces apart', async () => {
    const other = await t.createWorkspace('Other')
    const res = await list('?limit=1000', { authorization: `Bearer ${other.apiKey}` })
    expect(res.json().outcomes).toEqual([])
  })
})
