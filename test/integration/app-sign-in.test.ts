/**
 * Sign-in to the settings page (issue 8 §1): one-time links, the session cookie, CSRF on writes,
 * roles, one workspace per session, and `/`, `/app`, `/app/` no longer answering a JSON 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginLink } from '../../src/sessions/login-links.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

/** Signs in with a fresh link and returns the cookie header and a CSRF token. */
async function signIn(workspaceId: string, role: 'admin' | 'viewer' = 'admin') {
  const link = new URL(await createLoginLink(t.deps, { workspaceId, role }))
  const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
  expect(res.statusCode).toBe(303)
  const cookie = res.cookies.find((c) => c.name === 'leadgrid_session')!
  const headers = { cookie: `leadgrid_session=${encodeURIComponent(cookie.value)}` }
  const session = await t.app.inject({ method: 'GET', url: '/app/api/session', headers })
  expect(session.statusCode).toBe(200)
  const setAgain = session.cookies.find((c) => c.name === 'leadgrid_session')
  const cookieHeader = { cookie: `leadgrid_session=${encodeURIComponent((setAgain ?? cookie).value)}` }
  return { headers: cookieHeader, csrf: session.json().csrfToken as string, session: session.json() }
}

describe('createLoginLink', () => {
  it('returns an absolute one-time link under PUBLIC_URL and stores only a hash of its token', async () => {
    const link = await createLoginLink(t.deps, { workspaceId: t.workspace.workspaceId, role: 'viewer' })
    expect(link).toMatch(/^https:\/\/leadgrid\.test\/app\/login\?token=[A-Za-z0-9_-]{43}$/)
    const token = new URL(link).searchParams.get('token')!
    const rows = await t.deps.db.selectFrom('login_tokens').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(token)
    expect(rows.find((r) => r.role === 'viewer')?.workspace_id).toBe(t.workspace.workspaceId)
  })

  it('drops links expired for more than a day when it makes a new one', async () => {
    const ws = t.workspace.workspaceId
    await createLoginLink(t.deps, { workspaceId: ws, actor: 'stale', ttlMs: -2 * 86_400_000 })
    expect(
      await t.deps.db.selectFrom('login_tokens').select('actor').where('actor', '=', 'stale').execute(),
    ).toHaveLength(1)
    await createLoginLink(t.deps, { workspaceId: ws })
    expect(
      await t.deps.db.selectFrom('login_tokens').select('actor').where('actor', '=', 'stale').execute(),
    ).toEqual([])
  })

  it('refuses an unknown workspace', async () => {
    await expect(
      createLoginLink(t.deps, { workspaceId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toThrow(/No workspace/)
  })
})

describe('GET /app/login', () => {
  it('signs in once: an httpOnly, Secure, SameSite=Lax session cookie, then a redirect without the token', async () => {
    const link = new URL(await createLoginLink(t.deps, { workspaceId: t.workspace.workspaceId }))
    const url = `${link.pathname}${link.search}`
    const res = await t.app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/app/')
    const cookie = res.cookies.find((c) => c.name === 'leadgrid_session')!
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/app' })

    const again = await t.app.inject({ method: 'GET', url })
    expect(again.statusCode).toBe(401)
    expect(again.headers['content-type']).toMatch(/text\/html/)
    expect(again.body).toContain('already used')
    expect(again.cookies.find((c) => c.name === 'leadgrid_session')).toBeUndefined()
  })

  it('uses SameSite=None (Secure) only for a sign-in meant for a CRM iframe', async () => {
    const link = new URL(await createLoginLink(t.deps, { workspaceId: t.workspace.workspaceId }))
    const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}&framed=1` })
    expect(res.statusCode).toBe(303)
    expect(res.cookies.find((c) => c.name === 'leadgrid_session')).toMatchObject({
      sameSite: 'None',
      secure: true,
      httpOnly: true,
    })
  })

  it('refuses an expired link', async () => {
    const link = new URL(
      await createLoginLink(t.deps, { workspaceId: t.workspace.workspaceId, ttlMs: -1000 }),
    )
    const res = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
    expect(res.statusCode).toBe(401)
  })

  it('answers a made-up token in French when the browser asks for French', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/app/login?token=nope',
      headers: { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' },
    })
    expect(res.statusCode).toBe(401)
    expect(res.body).toContain('<html lang="fr">')
    expect(res.body).toContain('a expiré')
  })
})

describe('/, /app and /app/', () => {
  it('lead to a page that explains how to sign in (HTML, not a JSON 404)', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/' })).headers.location).toBe('/app/')
    expect((await t.app.inject({ method: 'GET', url: '/app' })).headers.location).toBe('/app/')
    const res = await t.app.inject({ method: 'GET', url: '/app/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).toContain('npx leadgrid login-link')
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self' https://app.hubspot.com")
    expect(res.headers['content-security-policy']).not.toMatch(/frame-ancestors[^;]*\*(;|\s|$)/)
  })

  it('serves the page shell and its modules once signed in', async () => {
    const { headers } = await signIn(t.workspace.workspaceId)
    const res = await t.app.inject({ method: 'GET', url: '/app/', headers })
    expect(res.body).toContain('<script type="importmap">')
    for (const url of [
      '/app/vendor/preact.mjs',
      '/app/vendor/htm.mjs',
      '/app/vendor/uPlot.esm.js',
      '/app/assets/main.js',
    ]) {
      const asset = await t.app.inject({ method: 'GET', url })
      expect(asset.statusCode, url).toBe(200)
      expect(asset.headers['content-type'], url).toMatch(/javascript/)
    }
    expect((await t.app.inject({ method: 'GET', url: '/app/vendor/package.json' })).statusCode).toBe(404)
  })
})

describe('the page API', () => {
  it('needs a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/app/api/grids' })
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('no_session')
  })

  it('refuses a write without the CSRF token, accepts it with', async () => {
    const { headers, csrf } = await signIn(t.workspace.workspaceId)
    const definition = { name: 'x', rules: [] }
    const without = await t.app.inject({
      method: 'POST',
      url: '/app/api/grids/validate',
      headers,
      payload: { definition },
    })
    expect(without.statusCode).toBe(403)
    const withToken = await t.app.inject({
      method: 'POST',
      url: '/app/api/grids/validate',
      headers: { ...headers, 'x-csrf-token': csrf },
      payload: { definition },
    })
    expect(withToken.statusCode).toBe(200)
    expect(withToken.json()).toEqual({ ok: true, issues: [] })
  })

  it('lets a viewer read but not publish or roll back', async () => {
    const { headers, csrf } = await signIn(t.workspace.workspaceId, 'viewer')
    const list = await t.app.inject({ method: 'GET', url: '/app/api/grids', headers })
    expect(list.statusCode).toBe(200)
    const published = list.json().grids.find((g: { status: string }) => g.status === 'published')
    const grid = await t.app.inject({ method: 'GET', url: `/app/api/grids/${published.id}`, headers })
    const publish = await t.app.inject({
      method: 'POST',
      url: '/app/api/grids/publish',
      headers: { ...headers, 'x-csrf-token': csrf },
      payload: { definition: grid.json().definition },
    })
    expect(publish.statusCode).toBe(403)
    expect(publish.json().error.code).toBe('admin_only')
    const rollback = await t.app.inject({
      method: 'POST',
      url: `/app/api/grids/${published.id}/rollback`,
      headers: { ...headers, 'x-csrf-token': csrf },
    })
    expect(rollback.statusCode).toBe(403)
    expect((await t.app.inject({ method: 'GET', url: '/app/api/grids', headers })).json().grids).toHaveLength(
      1,
    )
  })

  it("shows one workspace: another workspace's session cannot read this one's grids or contacts", async () => {
    const other = await t.createWorkspace('Other company')
    await t.deps.ingestion.ingestContacts(
      t.workspace.workspaceId,
      [{ contact: { email: 'secret.lead@acme.example' }, properties: { firstname: 'Secret' } }],
      'api',
    )
    const mine = await signIn(t.workspace.workspaceId)
    const theirs = await signIn(other.workspaceId)
    expect(theirs.session.workspace.id).toBe(other.workspaceId)

    const myGrids = (
      await t.app.inject({ method: 'GET', url: '/app/api/grids', headers: mine.headers })
    ).json()
    const myContacts = (
      await t.app.inject({ method: 'GET', url: '/app/api/contacts?q=secret', headers: mine.headers })
    ).json()
    expect(myContacts.contacts).toHaveLength(1)

    const gridId = myGrids.grids[0].id
    const contactId = myContacts.contacts[0].id
    for (const url of [`/app/api/grids/${gridId}`, `/app/api/contacts/${contactId}`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: theirs.headers })
      expect(res.statusCode, url).toBe(404)
    }
    const search = await t.app.inject({
      method: 'GET',
      url: '/app/api/contacts?q=secret',
      headers: theirs.headers,
    })
    expect(search.json().contacts).toEqual([])
    const rollback = await t.app.inject({
      method: 'POST',
      url: `/app/api/grids/${gridId}/rollback`,
      headers: { ...theirs.headers, 'x-csrf-token': theirs.csrf },
    })
    expect(rollback.statusCode).toBe(404)
  })

  it('signs out', async () => {
    const { headers, csrf } = await signIn(t.workspace.workspaceId)
    const out = await t.app.inject({
      method: 'POST',
      url: '/app/api/logout',
      headers: { ...headers, 'x-csrf-token': csrf },
    })
    expect(out.statusCode).toBe(200)
    const cleared = out.cookies.find((c) => c.name === 'leadgrid_session')
    expect(cleared?.value).toBe('')
  })
})
