/**
 * The tracking snippet in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real service listening on a port. The customer's page is served from a second origin, so the
 * snippet's cross-origin POST to /t/collect and its CORS answers are exercised for real.
 *
 * One visitor's journey runs in order (the tests share a browser context): a page view on load, an
 * SPA navigation to /pricing, a whitepaper download, a sign-up form that identifies them, a reload.
 * Then pages under Global Privacy Control / Do Not Track, and a page with a wrong key.
 */
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { sql } from 'kysely'
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Request,
  type Response,
} from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

const EMAIL = 'ada.lovelace@acme-software.example'
// Values the visitor types into the sign-up form next to their email: none may reach Leadgrid.
const PASSWORD = 'Hunter2-correct-horse-battery'
const PHONE = '+44 20 7946 0958'
const COMPANY = 'Analytical Engines Ltd'
const HOME_TITLE = 'Acme Software — lead scoring that explains itself'
const PRICING_TITLE = 'Pricing — Acme Software'

let t: TestApp
let browser: Browser
let site: Server
let leadgridOrigin: string
let siteOrigin: string
let collectUrl: string
/**
 * Every request that reached /t/collect, seen on the Leadgrid server's socket, with the status it
 * was answered (a beacon's answer never reaches the page, so it is read here).
 */
const collectHits: { method: string; origin: string | undefined; status?: number }[] = []
/** Form posts the customer's own server received (the password goes there, not to Leadgrid). */
const sitePosts: string[] = []

function page(key: string, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <script async src="${leadgridOrigin}/t.js" data-key="${key}"></script>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }</style>
</head>
<body>
  <h1>Acme Software</h1>
  <nav><a id="pricing" href="/pricing">Pricing</a></nav>
  <p><a id="guide" href="/files/guide.pdf" data-leadgrid-asset="wp-guide"
        data-leadgrid-asset-type="whitepaper" data-leadgrid-asset-name="Scoring guide">Download the
     scoring guide (PDF)</a></p>
  <form id="signup" aria-label="Create your account" method="post" action="/thanks">
    <p><label>Work email <input type="email" name="email" autocomplete="email"></label></p>
    <p><label>Password <input type="password" name="password"></label></p>
    <p><label>Phone <input type="tel" name="phone"></label></p>
    <p><label>Company <input type="text" name="company"></label></p>
    <p><button type="submit">Create my account</button></p>
  </form>
  <script>
    // The site's router: an SPA link, as React Router or Vue Router would handle it.
    document.getElementById('pricing').addEventListener('click', (e) => {
      e.preventDefault()
      history.pushState({}, '', '/pricing')
      document.title = ${JSON.stringify(PRICING_TITLE)}
      document.querySelector('h1').textContent = 'Pricing'
    })
  </script>
</body>
</html>`
}

function startSite(publicKey: string): Promise<Server> {
  const wrongKey = publicKey.slice(0, -4) + (publicKey.endsWith('0000') ? '1111' : '0000')
  const server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname
    const html = (body: string) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body)
    if (req.method === 'GET' && (path === '/' || path === '/pricing'))
      return html(page(publicKey, HOME_TITLE))
    if (req.method === 'GET' && path === '/bad-key/') return html(page(wrongKey, 'Misconfigured site'))
    if (req.method === 'GET' && path === '/files/guide.pdf') {
      return res
        .writeHead(200, { 'content-type': 'application/pdf' })
        .end('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
    }
    if (req.method === 'POST' && path === '/thanks') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => {
        body += chunk
      })
      req.on('end', () => {
        sitePosts.push(body)
        html(page(publicKey, 'Welcome aboard — Acme Software'))
      })
      return
    }
    if (path === '/favicon.ico') return res.writeHead(204).end()
    res.writeHead(404).end()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

const portOf = (server: Server) => (server.address() as AddressInfo).port

/** The answer to the next POST /t/collect this page makes with fetch. */
function nextCollect(p: Page): Promise<Response> {
  return p.waitForResponse((r) => r.url() === collectUrl && r.request().method() === 'POST')
}

/**
 * The next beacon to /t/collect: sent as the page navigates away, so the page never sees its answer
 * (Chromium reports it aborted while the browser still delivers it). Read what was sent here, and
 * what was stored in the database.
 */
function nextBeacon(p: Page): Promise<Request> {
  return p.waitForRequest((r) => r.url() === collectUrl && r.resourceType() === 'ping')
}

// biome-ignore lint/suspicious/noExplicitAny: the wire format, inspected field by field
const sentBody = (r: Response | Request): any => ('request' in r ? r.request() : r).postDataJSON()

/** Until a condition on the database holds: the server stores a beacon a few ms after it is sent. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 })

async function newContext(initScript?: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } })
  if (initScript) await context.addInitScript(initScript)
  return context
}

async function eventsOfVisitor(visitorId: string) {
  return t.deps.db
    .selectFrom('events')
    .select(['type', 'attributes', 'contact_id', 'source'])
    .where('workspace_id', '=', t.workspace.workspaceId)
    .where('dedupe_key', 'like', `id:t:${visitorId}:%`)
    .orderBy('occurred_at')
    .execute()
}

async function countEvents(): Promise<number> {
  const row = await t.deps.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', t.workspace.workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

beforeAll(async () => {
  t = await startTestApp()
  // Seen on the socket, before Fastify: counts beacons and refused requests alike.
  t.app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/t/collect')) return
    const hit: (typeof collectHits)[number] = { method: req.method ?? '', origin: req.headers.origin }
    collectHits.push(hit)
    res.on('finish', () => {
      hit.status = res.statusCode
    })
  })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  leadgridOrigin = `http://127.0.0.1:${portOf(t.app.server)}`
  collectUrl = `${leadgridOrigin}/t/collect`
  site = await startSite(t.workspace.publicKey)
  siteOrigin = `http://127.0.0.1:${portOf(site)}`
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)))
  await t?.close()
})

describe('one visitor in Chromium', () => {
  let context: BrowserContext
  let tab: Page
  let visitorId: string
  const warnings: string[] = []

  beforeAll(async () => {
    context = await newContext()
    tab = await context.newPage()
    tab.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text())
    })
  })
  afterAll(async () => {
    await context?.close()
  })

  it('records a page view on load, cross-origin, with the URL and title', async () => {
    expect(new URL(siteOrigin).origin).not.toBe(new URL(leadgridOrigin).origin)
    const collected = nextCollect(tab)
    await tab.goto(`${siteOrigin}/`)
    const res = await collected
    expect(res.status()).toBe(202)
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, unlinked: 0 })
    expect(res.headers()['access-control-allow-origin']).toBe('*')
    await eventually(async () => collectHits.at(-1)).toEqual({
      method: 'POST',
      origin: siteOrigin,
      status: 202,
    })
    // text/plain: a CORS "simple" request, so the browser sent no preflight.
    expect(collectHits.filter((h) => h.method === 'OPTIONS')).toEqual([])
    expect(res.request().headers()['content-type']).toMatch(/^text\/plain/)

    const body = sentBody(res)
    visitorId = body.visitorId
    expect(visitorId).toMatch(/^[0-9a-f]{32}$/)
    expect(await tab.evaluate('localStorage.getItem("leadgrid_vid")')).toBe(visitorId)

    const events = await eventsOfVisitor(visitorId)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'page.viewed',
      source: 'tracking',
      attributes: { url: `${siteOrigin}/`, title: HOME_TITLE },
    })

    mkdirSync(join(process.cwd(), 'test/.tmp'), { recursive: true })
    await tab.screenshot({ path: join(process.cwd(), 'test/.tmp/e2e-tracking-page.png'), fullPage: true })
  })

  it('records a second page view on an SPA navigation to /pricing', async () => {
    const collected = nextCollect(tab)
    await tab.click('#pricing')
    const res = await collected
    expect(res.status()).toBe(202)
    expect(tab.url()).toBe(`${siteOrigin}/pricing`)

    const events = await eventsOfVisitor(visitorId)
    expect(events.map((e) => e.type)).toEqual(['page.viewed', 'page.viewed'])
    expect(events[1]?.attributes).toMatchObject({
      url: `${siteOrigin}/pricing`,
      title: PRICING_TITLE,
      referrer: `${siteOrigin}/`,
    })
    // Same session, same anonymous contact.
    expect(events[1]?.attributes).toMatchObject({ sessionId: events[0]?.attributes.sessionId })
    expect(events[1]?.contact_id).toBe(events[0]?.contact_id)
  })

  it('records the whitepaper download when its link is clicked (the page navigates to the PDF)', async () => {
    const hitsBefore = collectHits.length
    const beacon = nextBeacon(tab)
    await tab.click('#guide')
    expect(sentBody(await beacon).events).toMatchObject([{ type: 'asset.downloaded' }])
    await tab.waitForURL(`${siteOrigin}/files/guide.pdf`)

    await eventually(async () =>
      (await eventsOfVisitor(visitorId))
        .filter((e) => e.type === 'asset.downloaded')
        .map((e) => e.attributes),
    ).toEqual([{ assetId: 'wp-guide', assetType: 'whitepaper', assetName: 'Scoring guide' }])
    // Answered 202 (the answer is written just after the row is committed).
    await eventually(async () => collectHits.slice(hitsBefore)).toEqual([
      { method: 'POST', origin: siteOrigin, status: 202 },
    ])
  })

  it('identifies the visitor from the form email: earlier views and the whitepaper score for the contact', async () => {
    const loaded = nextCollect(tab)
    await tab.goto(`${siteOrigin}/`)
    await loaded
    await tab.fill('input[name=email]', EMAIL)
    await tab.fill('input[name=password]', PASSWORD)
    await tab.fill('input[name=phone]', PHONE)
    await tab.fill('input[name=company]', COMPANY)

    const beacon = nextBeacon(tab)
    // The thanks page has the snippet too: its page view comes once the form's beacon is stored.
    const thanksViewed = nextCollect(tab)
    await tab.click('button[type=submit]')
    const sent = sentBody(await beacon)
    await tab.waitForURL(`${siteOrigin}/thanks`)
    expect((await thanksViewed).status()).toBe(202)
    await eventually(async () => (await eventsOfVisitor(visitorId)).map((e) => e.type)).toContain(
      'form.submitted',
    )
    // The customer's own server got the whole form; Leadgrid gets the email alone.
    expect(sitePosts.at(-1)).toContain(encodeURIComponent(PASSWORD))
    expect(sent.events[0]).toMatchObject({
      type: 'form.submitted',
      email: EMAIL,
      attributes: { formId: 'signup', formName: 'Create your account', url: `${siteOrigin}/` },
    })

    await t.rescoreNow()
    const scoreRes = await fetch(`${leadgridOrigin}/api/v1/contacts/${encodeURIComponent(EMAIL)}/score`, {
      headers: { authorization: `Bearer ${t.workspace.apiKey}` },
    })
    expect(scoreRes.status).toBe(200)
    const body = (await scoreRes.json()) as {
      contactId: string
      identities: { kind: string; value: string }[]
      score: { score: number; engagement: number; fit: number; reasons: string }
    }
    expect(body.identities).toContainEqual({ kind: 'email', value: EMAIL })
    expect(body.score).toMatchObject({ score: 45, engagement: 45, fit: 0 })
    expect(body.score.reasons).toBe('+25 Whitepapers (1) · +20 Pricing page (1 day)')

    // Every event this browser sent (anonymous views, download, form) now belongs to that contact.
    const events = await eventsOfVisitor(visitorId)
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['page.viewed', 'page.viewed', 'asset.downloaded', 'form.submitted']),
    )
    expect(new Set(events.map((e) => e.contact_id))).toEqual(new Set([body.contactId]))

    // No other field value is stored anywhere.
    const stored = await sql<{ attributes: string }>`
      SELECT attributes::text AS attributes FROM events WHERE workspace_id = ${t.workspace.workspaceId}
    `.execute(t.deps.db)
    const everything = stored.rows.map((r) => r.attributes).join('\n')
    for (const secret of [PASSWORD, PHONE, COMPANY, '7946', 'Hunter2'])
      expect(everything).not.toContain(secret)
    expect(warnings).toEqual([])
  })

  it('keeps the same visitor id across a reload (localStorage)', async () => {
    const loaded = nextCollect(tab)
    await tab.goto(`${siteOrigin}/`)
    await loaded
    const countBefore = (await eventsOfVisitor(visitorId)).length
    const collected = nextCollect(tab)
    await tab.reload()
    const res = await collected
    expect(res.status()).toBe(202)
    expect(sentBody(res).visitorId).toBe(visitorId)
    expect(await tab.evaluate('window.leadgrid.visitorId()')).toBe(visitorId)
    const events = await eventsOfVisitor(visitorId)
    expect(events).toHaveLength(countBefore + 1)
    expect(events.at(-1)).toMatchObject({ type: 'page.viewed', attributes: { url: `${siteOrigin}/` } })
    expect(new Set(events.map((e) => e.contact_id)).size).toBe(1)
  })
})

describe('privacy signals', () => {
  it.each([
    [
      'Global Privacy Control',
      `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {
        get: () => true, configurable: true })`,
    ],
    [
      'Do Not Track',
      `Object.defineProperty(Navigator.prototype, 'doNotTrack', {
        get: () => '1', configurable: true })`,
    ],
  ])('under %s the snippet sends and stores nothing', async (_name, initScript) => {
    const context = await newContext(initScript)
    try {
      const tab = await context.newPage()
      const hitsBefore = collectHits.length
      const eventsBefore = await countEvents()
      const snippetLoaded = tab.waitForResponse(`${leadgridOrigin}/t.js`)
      await tab.goto(`${siteOrigin}/`)
      expect((await snippetLoaded).status()).toBe(200)
      await tab.waitForFunction('window.leadgrid && window.leadgrid.v === 1')

      // Everything that would otherwise send: SPA navigation, the page API, a form with an email.
      await tab.click('#pricing')
      expect(
        await tab.evaluate(`[leadgrid.identify(${JSON.stringify(EMAIL)}), leadgrid.track('Demo watched')]`),
      ).toEqual([false, false])
      await tab.fill('input[name=email]', 'grace.hopper@acme-software.example')
      await Promise.all([tab.waitForURL(`${siteOrigin}/thanks`), tab.click('button[type=submit]')])
      await tab.waitForFunction('window.leadgrid && window.leadgrid.v === 1')
      // Proving an absence needs a wait: the snippet would have sent within a tick.
      await tab.waitForTimeout(300)

      expect(collectHits.length).toBe(hitsBefore)
      expect(await countEvents()).toBe(eventsBefore)
      expect(await tab.evaluate('[localStorage.length, sessionStorage.length]')).toEqual([0, 0])
    } finally {
      await context.close()
    }
  })
})

describe('a page with a wrong data-key', () => {
  it('gets 401 for its requests, warns in the console, and nothing is stored', async () => {
    const context = await newContext()
    try {
      const tab = await context.newPage()
      const warned = tab.waitForEvent(
        'console',
        (m) => m.type() === 'warning' && m.text().startsWith('[leadgrid]'),
      )
      const eventsBefore = await countEvents()
      const hitsBefore = collectHits.length
      const collected = nextCollect(tab)
      await tab.goto(`${siteOrigin}/bad-key/`)
      const res = await collected
      expect(res.status()).toBe(401)
      // The 401 carries CORS headers, so the page can read why (and does not retry).
      expect(res.headers()['access-control-allow-origin']).toBe('*')
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_key' } })
      expect((await warned).text()).toMatch(/opens no workspace/)
      expect(await countEvents()).toBe(eventsBefore)
      await eventually(async () => collectHits.slice(hitsBefore).map((h) => h.status)).toEqual([401])
    } finally {
      await context.close()
    }
  })
})
