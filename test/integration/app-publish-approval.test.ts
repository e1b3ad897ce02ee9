/**
 * The optional two-person rule (issue 8 §3): with it on, a publish from the settings page waits for
 * a second, different admin; the API key cannot publish; every step is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseCommands } from '../../src/commands/database-commands.js'
import { starterGrid } from '../../src/scoring/index.js'
import { createLoginLink } from '../../src/sessions/login-links.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp

async function signIn(
  actor: string,
  role: 'admin' | 'viewer' = 'admin',
  workspaceId = t.workspace.workspaceId,
) {
  const link = new URL(await createLoginLink(t.deps, { workspaceId, role, actor }))
  const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
  const first = res.cookies.find((c) => c.name === 'leadgrid_session')!
  const session = await t.app.inject({
    method: 'GET',
    url: '/app/api/session',
    headers: { cookie: `leadgrid_session=${encodeURIComponent(first.value)}` },
  })
  const renewed = session.cookies.find((c) => c.name === 'leadgrid_session') ?? first
  const headers = {
    cookie: `leadgrid_session=${encodeURIComponent(renewed.value)}`,
    'x-csrf-token': session.json().csrfToken as string,
  }
  return {
    session: session.json(),
    get: (url: string) => t.app.inject({ method: 'GET', url, headers }),
    post: (url: string, payload: unknown = {}) =>
      t.app.inject({ method: 'POST', url, headers, payload: payload as object }),
    put: (url: string, payload: unknown) =>
      t.app.inject({ method: 'PUT', url, headers, payload: payload as object }),
  }
}

const withPricing = (points: number) => {
  const g = structuredClone(starterGrid)
  g.rules.find((r) => r.id === 'pricing-page')!.points = points
  return g
}

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

describe('the two-person rule', () => {
  it('is off by default, and only an admin switches it, audited', async () => {
    const ada = await signIn('ada@acme.example')
    expect(ada.session.settings).toEqual({ publishApproval: false })
    const viewer = await signIn('val@acme.example', 'viewer')
    expect((await viewer.put('/app/api/settings', { publishApproval: true })).statusCode).toBe(403)
    expect((await ada.put('/app/api/settings', { publishApproval: 'yes' })).statusCode).toBe(400)
    const on = await ada.put('/app/api/settings', { publishApproval: true })
    expect(on.json()).toEqual({ settings: { publishApproval: true } })
    expect((await signIn('ada@acme.example')).session.settings).toEqual({ publishApproval: true })
    const audit = (await ada.get('/app/api/audit')).json().entries
    expect(audit[0]).toMatchObject({
      actor: 'ada@acme.example',
      action: 'workspace.publish_approval_enabled',
    })
  })

  it('turns a publish into a request that a different admin approves, which publishes it', async () => {
    const ada = await signIn('ada@acme.example')
    const bob = await signIn('bob@acme.example')
    const before = (await ada.get('/app/api/grids')).json().grids.length

    const asked = await ada.post('/app/api/grids/publish', { definition: withPricing(30), note: 'Q3 review' })
    expect(asked.statusCode).toBe(202)
    const request = asked.json().request
    expect(request).toMatchObject({ requestedBy: 'ada@acme.example', status: 'pending', note: 'Q3 review' })
    expect(request.changes.join('\n')).toMatch(/\+20 → \+30/)
    // Nothing published yet.
    expect((await ada.get('/app/api/grids')).json().grids).toHaveLength(before)

    const listed = (await bob.get('/app/api/publish-requests')).json().requests
    expect(listed.map((r: { id: string }) => r.id)).toEqual([request.id])

    // The requester cannot approve their own request; a viewer cannot approve at all.
    const own = await ada.post(`/app/api/publish-requests/${request.id}/approve`)
    expect(own.statusCode).toBe(403)
    expect(own.json().error.code).toBe('own_request')
    const viewer = await signIn('val@acme.example', 'viewer')
    expect((await viewer.post(`/app/api/publish-requests/${request.id}/approve`)).statusCode).toBe(403)

    const approved = await bob.post(`/app/api/publish-requests/${request.id}/approve`)
    expect(approved.statusCode).toBe(201)
    expect(approved.json().grid).toMatchObject({ status: 'published' })
    const published = (await bob.get(`/app/api/grids/${approved.json().grid.id}`)).json()
    expect(published.definition.rules.find((r: { id: string }) => r.id === 'pricing-page').points).toBe(30)

    // Decided once: a second approval is refused, and the list is empty.
    expect((await bob.post(`/app/api/publish-requests/${request.id}/approve`)).statusCode).toBe(409)
    expect((await bob.get('/app/api/publish-requests')).json().requests).toEqual([])

    const audit = (await ada.get('/app/api/audit')).json().entries.slice(0, 3)
    expect(audit.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['grid.publish_approved', 'bob@acme.example'],
      ['grid.published', 'bob@acme.example'],
      ['grid.publish_requested', 'ada@acme.example'],
    ])
    expect(audit[1].details).toMatchObject({
      requestedBy: 'ada@acme.example',
      approvedBy: 'bob@acme.example',
    })
  })

  it('lets a request be rejected, publishing nothing', async () => {
    const ada = await signIn('ada@acme.example')
    const bob = await signIn('bob@acme.example')
    const before = (await ada.get('/app/api/grids')).json().grids.length
    const { request } = (await ada.post('/app/api/grids/publish', { definition: withPricing(40) })).json()
    const rejected = await bob.post(`/app/api/publish-requests/${request.id}/reject`)
    expect(rejected.json().request).toMatchObject({ status: 'rejected', decidedBy: 'bob@acme.example' })
    expect((await ada.get('/app/api/grids')).json().grids).toHaveLength(before)
    expect((await ada.get('/app/api/audit')).json().entries[0].action).toBe('grid.publish_rejected')
  })

  it('refuses a publish with the workspace API key while the rule is on (409), and allows it when off', async () => {
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const draft = await t.app.inject({
      method: 'POST',
      url: '/api/v1/grids',
      headers: auth,
      payload: { definition: withPricing(25) },
    })
    expect(draft.statusCode).toBe(201)
    const url = `/api/v1/grids/${draft.json().id}/publish`
    const refused = await t.app.inject({ method: 'POST', url, headers: auth })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error).toMatchObject({
      code: 'approval_required',
      message: expect.stringMatching(/second admin/),
    })
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/grids/${draft.json().id}`, headers: auth })).json(),
    ).toMatchObject({ status: 'draft' })

    const ada = await signIn('ada@acme.example')
    await ada.put('/app/api/settings', { publishApproval: false })
    expect((await t.app.inject({ method: 'POST', url, headers: auth })).statusCode).toBe(200)
    // A publish with the API key is in the audit log too, with its rule diff.
    expect((await ada.get('/app/api/audit')).json().entries[0]).toMatchObject({
      action: 'grid.published',
      actor: 'API key',
      details: { gridId: draft.json().id, changes: [expect.stringMatching(/→ \+25 Pricing page$/)] },
    })
    // And the page publishes directly again.
    expect((await ada.post('/app/api/grids/publish', { definition: withPricing(20) })).statusCode).toBe(201)
  })

  it('refuses `grid import --publish` while the rule is on, storing nothing; audits it when off', async () => {
    const ada = await signIn('ada@acme.example')
    await ada.put('/app/api/settings', { publishApproval: true })
    const gridImport = databaseCommands.get('grid import')!
    const context = { deps: t.deps, host: { kind: 'local' as const } }
    const args = {
      workspace: t.workspace.workspaceId,
      file: 'q3.json',
      definition: withPricing(45),
      publish: true,
    }
    const before = (await ada.get('/app/api/grids')).json().grids.length
    await expect(gridImport.run(context, args)).rejects.toThrow(/second admin's approval.*without --publish/)
    expect((await ada.get('/app/api/grids')).json().grids).toHaveLength(before)

    await ada.put('/app/api/settings', { publishApproval: false })
    const out = await gridImport.run(context, args)
    expect(JSON.parse(out.stdout[0]!)).toMatchObject({ status: 'published' })
    expect((await ada.get('/app/api/audit')).json().entries[0]).toMatchObject({
      action: 'grid.published',
      actor: 'command line (grid import)',
      details: { changes: expect.arrayContaining([expect.stringMatching(/→ \+45 Pricing page/)]) },
    })
  })

  it('keeps each workspace’s rule and requests to itself', async () => {
    const other = await t.createWorkspace('Other')
    const ada = await signIn('ada@acme.example')
    await ada.put('/app/api/settings', { publishApproval: true })
    const { request } = (await ada.post('/app/api/grids/publish', { definition: withPricing(35) })).json()
    const stranger = await signIn('eve@other.example', 'admin', other.workspaceId)
    expect(stranger.session.settings).toEqual({ publishApproval: false })
    expect((await stranger.get('/app/api/publish-requests')).json().requests).toEqual([])
    expect((await stranger.post(`/app/api/publish-requests/${request.id}/approve`)).statusCode).toBe(404)
  })
})
