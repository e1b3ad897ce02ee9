/**
 * The settings page's grid workflow through its API (issue 8 §2–3): validation issues with paths,
 * a full preview of every contact, publish with an audit diff, progress, and roll back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { starterGrid } from '../../src/scoring/index.js'
import { createLoginLink } from '../../src/sessions/login-links.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
let headers: Record<string, string>
const EMAIL = 'pricing.fan@acme-software.example'

beforeAll(async () => {
  t = await startTestApp()
  const ws = t.workspace.workspaceId
  // 1,100 contacts: more than one page of the full preview's keyset walk.
  const contacts = Array.from({ length: 1100 }, (_, i) => ({
    contact: { email: i === 0 ? EMAIL : `person${i}@acme-software.example` },
    properties: { company_size: 200, jobtitle: 'CEO' },
  }))
  await t.deps.ingestion.ingestContacts(ws, contacts, 'api')
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
  await t.deps.ingestion.ingestEvents(
    ws,
    [1, 2, 3].map((n) => ({
      contact: { email: EMAIL },
      type: 'page.viewed' as const,
      occurredAt: day(n),
      attributes: { url: 'https://acme.example/pricing' },
    })),
    'api',
  )
  await t.rescoreNow()
  const link = new URL(
    await createLoginLink(t.deps, { workspaceId: ws, role: 'admin', actor: 'ada@acme.example' }),
  )
  const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
  const cookie = `leadgrid_session=${encodeURIComponent(res.cookies.find((c) => c.name === 'leadgrid_session')!.value)}`
  const session = await t.app.inject({ method: 'GET', url: '/app/api/session', headers: { cookie } })
  // Issuing the CSRF token stores its secret in the session: the cookie is set again.
  const renewed = session.cookies.find((c) => c.name === 'leadgrid_session')!.value
  headers = {
    cookie: `leadgrid_session=${encodeURIComponent(renewed)}`,
    'x-csrf-token': session.json().csrfToken,
  }
}, 180_000)
afterAll(async () => {
  await t?.close()
})

const post = (url: string, payload?: unknown) =>
  t.app.inject({ method: 'POST', url, headers, payload: payload as object })
const get = (url: string) => t.app.inject({ method: 'GET', url, headers })
const withPricing = (points: number) => {
  const g = structuredClone(starterGrid)
  g.rules.find((r) => r.id === 'pricing-page')!.points = points
  return g
}
const scoreOf = async () =>
  (await get(`/app/api/contacts?q=${encodeURIComponent(EMAIL)}`)).json().contacts[0].score

describe('grid workflow from the settings page', () => {
  it('explains an invalid grid with the path of each issue', async () => {
    const g = structuredClone(starterGrid) as unknown as {
      thresholds: { hot: number }
      rules: { points: unknown }[]
    }
    g.rules[1]!.points = 'many'
    const res = await post('/app/api/grids/validate', { definition: g })
    expect(res.json()).toEqual({
      ok: false,
      issues: [{ path: 'rules.1.points', message: 'Invalid input: expected number, received string' }],
    })
    // Cross-field checks come once every field has the right type.
    g.rules[1]!.points = 20
    g.thresholds.hot = 10
    const again = await post('/app/api/grids/validate', { definition: g })
    expect(again.json().issues).toEqual([{ path: 'thresholds.hot', message: 'must be ≥ thresholds.warm' }])
    const publish = await post('/app/api/grids/publish', { definition: g })
    expect(publish.statusCode).toBe(400)
    expect(publish.json().error.code).toBe('invalid_grid')
  })

  it('previews every contact: distribution, MQL changes and the biggest mover with reasons', async () => {
    expect(await scoreOf()).toBe(75)
    const res = await post('/app/api/grids/preview', { definition: withPricing(30) })
    expect(res.statusCode).toBe(200)
    const p = res.json()
    expect(p.contacts).toBe(1100)
    expect(p.changedScore).toBe(1)
    expect(p.newlyMql).toBe(1)
    expect(p.bandChanges).toEqual({ 'warm→hot': 1 })
    expect(p.movers[0]).toMatchObject({ email: EMAIL, before: 75, after: 105, bandAfter: 'hot' })
    expect(p.movers[0].reasonsAfter).toContain('+90 Pricing page (3 days)')
    expect(p.distribution.before.reduce((a: number, n: number) => a + n, 0)).toBe(1100)
    expect(p.distribution.after.reduce((a: number, n: number) => a + n, 0)).toBe(1100)
  })

  it('publishes a new version, rescoring and auditing it; rolls back to the previous one', async () => {
    const first = (await get('/app/api/grids')).json().grids[0]
    const published = await post('/app/api/grids/publish', {
      definition: withPricing(30),
      note: 'Pricing matters more',
    })
    expect(published.statusCode).toBe(201)
    expect(published.json().changes).toEqual(['+20 → +30 Pricing page'])
    expect((await get('/app/api/progress')).json()).toEqual({ dirty: 1100, total: 1100 })
    await t.rescoreNow()
    expect((await get('/app/api/progress')).json().dirty).toBe(0)
    expect(await scoreOf()).toBe(105)

    const audit = (await get('/app/api/audit')).json().entries
    expect(audit[0]).toMatchObject({
      actor: 'ada@acme.example',
      action: 'grid.published',
      details: { version: 2, previousVersion: 1, changes: ['+20 → +30 Pricing page'] },
    })

    const rolled = await post(`/app/api/grids/${first.id}/rollback`)
    expect(rolled.statusCode).toBe(201)
    expect(rolled.json().grid).toMatchObject({
      version: 3,
      status: 'published',
      note: 'Roll back to version 1',
    })
    expect(rolled.json().changes).toEqual(['+30 → +20 Pricing page'])
    await t.rescoreNow()
    expect(await scoreOf()).toBe(75)
    const versions = (await get('/app/api/grids')).json().grids
    expect(versions.map((g: { version: number; status: string }) => [g.version, g.status])).toEqual([
      [3, 'published'],
      [2, 'retired'],
      [1, 'retired'],
    ])
    expect((await get('/app/api/audit')).json().entries[0]).toMatchObject({
      action: 'grid.rolled_back',
      details: { restoredVersion: 1, changes: ['+30 → +20 Pricing page'] },
    })
  })

  it('shows a contact: score, contributions, history and timeline', async () => {
    const id = (await get(`/app/api/contacts?q=${encodeURIComponent('pricing.fan')}`)).json().contacts[0].id
    const c = (await get(`/app/api/contacts/${id}`)).json()
    expect(c.contact.email).toBe(EMAIL)
    expect(c.score).toMatchObject({ score: 75, band: 'warm' })
    expect(c.history.map((h: { score: number }) => h.score)).toEqual([75, 105, 75])
    expect(c.events).toHaveLength(3)
  })

  it('POST /api/v1/grids/:id/simulate?mode=full scores every contact, not a 2,000 sample', async () => {
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const draft = await t.app.inject({
      method: 'POST',
      url: '/api/v1/grids',
      headers: auth,
      payload: { definition: withPricing(30) },
    })
    const id = draft.json().id
    const full = await t.app.inject({
      method: 'POST',
      url: `/api/v1/grids/${id}/simulate?mode=full`,
      headers: auth,
    })
    expect(full.statusCode).toBe(200)
    // Ada stayed MQL after the roll back (75 ≥ 80 − 10, hysteresis): her +30 makes no new MQL.
    expect(full.json()).toMatchObject({ mode: 'full', contacts: 1100, changedScore: 1, newlyMql: 0 })
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/grids/${id}/simulate?mode=all`,
      headers: auth,
    })
    expect(bad.statusCode).toBe(400)
  })
})
