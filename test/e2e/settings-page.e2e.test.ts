/**
 * The settings page and contact view in a real browser (issue 8 acceptance): Debian's Chromium
 * driven by playwright-core against the real service listening on a port, with workers running.
 *
 * One admin's journey runs in order (shared browser context): sign in with a one-time link, see the
 * Starter grid, change the pricing-page rule +20 → +30, preview (distribution and movers), publish,
 * watch a contact's score change, read the audit diff, roll back and see the score return, switch
 * to French. Then a viewer (cannot publish, in the page or through the API), another workspace's
 * session (cannot read this one's data, through the page or the API), a 390 px phone, and axe-core
 * injected from node_modules (no serious or critical violation). The console stays clean throughout.
 * Screenshots go to test/e2e/artifacts/ (gitignored).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleContacts } from '../../src/demo/sample-contacts.js'
import { createOutcomeService } from '../../src/outcomes/outcome-service.js'
import { createLoginLink } from '../../src/sessions/login-links.js'
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
const ARTIFACTS = join(process.cwd(), 'test/e2e/artifacts')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const EMAIL = 'ada.pricing@acme-software.example'

let t: TestApp
let browser: Browser
let origin: string
let adaId: string
/** Console errors and uncaught page errors, from every page of every context. */
const consoleErrors: string[] = []

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function newContext(
  options: { width?: number; locale?: string; watchConsole?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: 900 },
    locale: options.locale ?? 'en-US',
  })
  // A context that probes refusals on purpose (403, 404) makes Chromium log them: not watched.
  if (options.watchConsole !== false) context.on('page', (p) => watch(p))
  return context
}

function watch(p: Page) {
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`)
  })
  p.on('pageerror', (err) => consoleErrors.push(`${p.url()}: ${err.message}`))
}

async function signIn(
  context: BrowserContext,
  workspaceId: string,
  role: 'admin' | 'viewer' = 'admin',
  actor = `${role}@acme.example`,
) {
  const link = await createLoginLink(t.deps, { workspaceId, role, actor })
  expect(link.startsWith(`${origin}/app/login?token=`)).toBe(true)
  const p = await context.newPage()
  await p.goto(link)
  await p.waitForURL(`${origin}/app/`)
  await p.getByRole('navigation').waitFor()
  return p
}

// biome-ignore lint/suspicious/noExplicitAny: API answers inspected field by field
const json = (res: Response): Promise<any> => res.json()

/** Calls the page's API from Node with the browser context's own session cookie. */
async function apiAs<T>(
  context: BrowserContext,
  use: (call: (path: string, init?: RequestInit) => Promise<Response>) => Promise<T>,
): Promise<T> {
  const cookies = await context.cookies(`${origin}/app/`)
  let cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  return use(async (path, init = {}) => {
    const res = await fetch(`${origin}${path}`, { ...init, headers: { ...(init.headers ?? {}), cookie } })
    // The session endpoint stores the CSRF secret in the cookie: keep the renewed one.
    const set = res.headers.getSetCookie().find((c) => c.startsWith('leadgrid_session='))
    if (set) cookie = set.split(';')[0]!
    return res
  })
}

const shot = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

async function axeViolations(p: Page) {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await p.evaluate(AXE)
  const violations = (await p.evaluate(
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })))`,
  )) as { id: string; impact: string; nodes: string[] }[]
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

const pricingPoints = (p: Page) => p.locator('li[data-rule-id="pricing-page"]').getByLabel(/^(Points)$/)

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  t = await startTestApp({ workers: true, env: { PUBLIC_URL: origin } })
  const ws = t.workspace.workspaceId
  const now = new Date()
  const samples = sampleContacts(200, now)
  await t.deps.ingestion.ingestContacts(
    ws,
    [
      ...samples.map((s) => s.contact),
      {
        contact: { email: EMAIL },
        properties: { firstname: 'Ada', lastname: 'Pricing', company_size: 200, jobtitle: 'CEO' },
      },
    ],
    'demo',
  )
  const day = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString()
  const events = [
    ...samples.flatMap((s) => s.events),
    ...[1, 2, 3].map((n) => ({
      contact: { email: EMAIL },
      type: 'page.viewed' as const,
      occurredAt: day(n),
      attributes: { url: 'https://acme-software.example/pricing', title: 'Pricing' },
    })),
  ]
  for (let i = 0; i < events.length; i += 1000)
    await t.deps.ingestion.ingestEvents(ws, events.slice(i, i + 1000), 'demo')
  await t.rescoreNow()
  const row = await t.deps.db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('email', '=', EMAIL)
    .executeTakeFirstOrThrow()
  adaId = row.id
  // Outcomes for the Calibration tab: sales qualified most contacts the grid ranks high, with noise.
  const scored = await t.deps.db
    .selectFrom('scores')
    .innerJoin('contacts', (j) =>
      j
        .onRef('contacts.workspace_id', '=', 'scores.workspace_id')
        .onRef('contacts.id', '=', 'scores.contact_id'),
    )
    .select(['contacts.email', 'scores.total'])
    .where('scores.workspace_id', '=', ws)
    .orderBy('contacts.email')
    .execute()
  await createOutcomeService(t.deps).record(
    ws,
    scored.map((c, i) => ({
      contact: { email: c.email! },
      kind: c.total >= 40 !== (i % 7 === 0) ? ('sql' as const) : ('disqualified' as const),
      occurredAt: new Date(now.getTime() - 3_600_000).toISOString(),
    })),
    'api',
  )
  await t.app.listen({ port, host: '127.0.0.1' })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('an admin in Chromium', () => {
  let context: BrowserContext
  let p: Page

  beforeAll(async () => {
    context = await newContext()
  })
  afterAll(async () => {
    await context?.close()
  })

  it('signs in with a one-time link and sees the Starter grid', async () => {
    p = await signIn(context, t.workspace.workspaceId)
    await expect.poll(() => p.locator('.toolbar').textContent()).toContain('Starter grid')
    expect(await p.locator('li.rule').count()).toBe(8)
    expect(await pricingPoints(p).inputValue()).toBe('20')
    expect(await p.evaluate('document.documentElement.lang')).toBe('en')
    await shot(p, '01-grid-editor')
    expect(await axeViolations(p)).toEqual([])
  })

  it('shows a validation message beside the field, from the server schema', async () => {
    const label = p.locator('li[data-rule-id="pricing-page"]').getByLabel('Label', { exact: true })
    await label.fill('')
    await expect
      .poll(() => p.locator('li[data-rule-id="pricing-page"] .issues').first().textContent())
      .toMatch(/too_small|at least|>=|character/i)
    await shot(p, '02-validation')
    await label.fill('Pricing page')
    await p.getByText('No problem found').waitFor()
  })

  it('changes the pricing-page rule from +20 to +30 and previews it on every contact', async () => {
    await pricingPoints(p).fill('30')
    await p.getByText('No problem found').waitFor()
    await p.getByRole('link', { name: 'Preview & publish' }).click()
    await p.getByRole('button', { name: 'Preview on every contact' }).click()
    const movers = p.locator('table.movers')
    await movers.waitFor()
    // Ada moves by +30 (three pricing days), as much as anyone: her row is among the first.
    const first = movers.locator('tbody tr').filter({ hasText: 'Ada Pricing' })
    expect(await first.locator('td').nth(1).textContent()).toContain('75')
    expect(await first.locator('td').nth(2).textContent()).toContain('105')
    expect(await first.locator('td').nth(3).textContent()).toContain('+90 Pricing page (3 days)')
    expect(await p.locator('.chart canvas').count()).toBeGreaterThan(0)
    expect(await p.locator('.stat').first().textContent()).toContain('201')
    await shot(p, '03-preview')
    expect(await axeViolations(p)).toEqual([])
  })

  it('publishes with a progress bar, and the contact score changes', async () => {
    await p.getByLabel('Note for the audit log (optional)').fill('Pricing visits matter more')
    await p.getByRole('button', { name: 'Publish', exact: true }).click()
    await p.getByText('Published version 2').waitFor()
    expect(await p.locator('.published .changes').textContent()).toContain('+20 → +30 Pricing page')
    await p.getByText('Every contact is rescored.').waitFor({ timeout: 30_000 })
    await shot(p, '04-published')

    await p.getByRole('link', { name: 'Contacts' }).click()
    await p.getByLabel('Search by email or name').fill('ada.pricing')
    await p.getByRole('link', { name: 'Ada Pricing' }).click()
    await expect.poll(() => p.locator('#contact-score').textContent()).toBe('105')
    expect(await p.locator('table.contributions').textContent()).toContain('Pricing page')
    expect(await p.locator('.timeline li').count()).toBe(3)
    await shot(p, '05-contact')
    expect(await axeViolations(p)).toEqual([])
  })

  it('shows the change in the audit log, then rolls back and the previous score returns', async () => {
    await p.getByRole('link', { name: 'Versions & audit' }).click()
    const entry = p.locator('.audit-entry').first()
    await entry.waitFor()
    expect(await entry.textContent()).toContain('admin@acme.example')
    expect(await entry.textContent()).toContain('+20 → +30 Pricing page')
    await shot(p, '06-audit')

    await p.getByRole('button', { name: 'Roll back to version 1' }).click()
    await p.getByText('Rolled back: version 3 is published.').waitFor()
    await p.getByText('Every contact is rescored.').waitFor({ timeout: 30_000 })
    await expect
      .poll(() => p.locator('.audit-entry').first().textContent())
      .toContain('+30 → +20 Pricing page')

    await p.goto(`${origin}/app/#/contacts/${adaId}`)
    await expect.poll(() => p.locator('#contact-score').textContent()).toBe('75')
    await p.goto(`${origin}/app/#/grid`)
    await expect.poll(() => pricingPoints(p).inputValue()).toBe('20')
  })

  it('Calibration tab: backtest with charts, challenger promoted in one click, suggestion loaded as draft', async () => {
    await p.getByRole('link', { name: 'Calibration' }).click()
    await p.locator('#kpi-table').waitFor()
    await p.locator('#bt-result .chart canvas').first().waitFor()
    expect(await p.locator('#bt-result .figures').textContent()).toContain('Precision')
    await p.getByRole('button', { name: 'Try the draft as challenger' }).click()
    await p.locator('#ch-result').waitFor()
    await p.getByRole('button', { name: 'Promote the challenger' }).click()
    await p.getByText(/Published version \d+/).waitFor()
    await p.getByRole('button', { name: 'Suggest from outcomes' }).click()
    await p.locator('#sg-result .changes li').first().waitFor()
    await shot(p, '06b-calibration')
    expect(await axeViolations(p)).toEqual([])
    await p.getByRole('button', { name: 'Load as draft' }).click()
    await expect
      .poll(() => p.getByLabel('Name', { exact: true }).first().inputValue())
      .toContain('(suggested)')
  })

  it('switches to French: <html lang> follows, the page and numbers are in French', async () => {
    await p.getByLabel('Language').selectOption('fr')
    await p.getByRole('link', { name: 'Grille' }).waitFor()
    expect(await p.evaluate('document.documentElement.lang')).toBe('fr')
    await p.reload()
    await p.getByRole('link', { name: 'Aperçu et publication' }).click()
    expect(await p.evaluate('document.documentElement.lang')).toBe('fr')
    await p.getByRole('button', { name: 'Aperçu sur tous les contacts' }).waitFor()
    await p.getByRole('link', { name: 'Versions et journal' }).click()
    await p.getByRole('heading', { name: 'Journal d’audit' }).waitFor()
    await shot(p, '07-french-audit')
    expect(await axeViolations(p)).toEqual([])
  })
})

describe('a viewer', () => {
  it('cannot publish: nothing to click in the page, and the API refuses', async () => {
    const context = await newContext()
    try {
      const p = await signIn(context, t.workspace.workspaceId, 'viewer')
      await p.locator('li.rule').first().waitFor()
      expect(await pricingPoints(p).isDisabled()).toBe(true)
      await p.getByRole('link', { name: 'Preview & publish' }).click()
      await p.getByText('Only admins can publish.').waitFor()
      expect(await p.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0)
      await p.getByRole('link', { name: 'Versions & audit' }).click()
      await p.locator('.audit-entry').first().waitFor()
      expect(await p.getByRole('button', { name: /Roll back/ }).count()).toBe(0)
      await shot(p, '08-viewer')
      // The viewer's own session cookie and CSRF token, straight to the API: still refused.
      const status = await apiAs(context, async (call) => {
        const s = await json(await call('/app/api/session'))
        const grids = await json(await call('/app/api/grids'))
        const current = await json(await call(`/app/api/grids/${grids.grids[0].id}`))
        const res = await call('/app/api/grids/publish', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken },
          body: JSON.stringify({ definition: current.definition }),
        })
        return [res.status, (await json(res)).error.code]
      })
      expect(status).toEqual([403, 'admin_only'])
    } finally {
      await context.close()
    }
  })
})

describe('another workspace', () => {
  it("cannot read this workspace's contacts or grids, in the page or through the API", async () => {
    const other = await t.createWorkspace('Other company')
    const context = await newContext({ watchConsole: false })
    try {
      const p = await signIn(context, other.workspaceId)
      const gridId = (
        await t.deps.db
          .selectFrom('grids')
          .select('id')
          .where('workspace_id', '=', t.workspace.workspaceId)
          .executeTakeFirstOrThrow()
      ).id
      await p.goto(`${origin}/app/#/contacts`)
      await p.getByLabel('Search by email or name').fill('ada')
      await p.getByText('No contact found.').waitFor()
      await p.goto(`${origin}/app/#/contacts/${adaId}`)
      await p.getByRole('alert').waitFor()
      expect(await p.getByRole('alert').textContent()).toContain('No contact')
      const statuses = await apiAs(context, async (call) =>
        Promise.all(
          [`/app/api/contacts/${adaId}`, `/app/api/grids/${gridId}`].map(async (u) => (await call(u)).status),
        ),
      )
      expect(statuses).toEqual([404, 404])
      // The published grid this session sees is its own workspace's.
      const own = await apiAs(
        context,
        async (call) => (await json(await call('/app/api/session'))).workspace.name,
      )
      expect(own).toBe('Other company')
    } finally {
      await context.close()
    }
  })
})

describe('at 390 px wide', () => {
  it('fits the screen without sideways scrolling: grid editor, preview and contact', async () => {
    const context = await newContext({ width: 390 })
    try {
      const p = await signIn(context, t.workspace.workspaceId)
      await p.locator('li.rule').first().waitFor()
      const overflow = () => p.evaluate('document.documentElement.scrollWidth - window.innerWidth')
      expect(await overflow()).toBeLessThanOrEqual(0)
      await shot(p, '09-phone-grid')
      await pricingPoints(p).fill('25')
      await p.getByRole('link', { name: 'Preview & publish' }).click()
      await p.getByRole('button', { name: 'Preview on every contact' }).click()
      await p.locator('table.movers').waitFor()
      expect(await overflow()).toBeLessThanOrEqual(0)
      await shot(p, '10-phone-preview')
      await p.goto(`${origin}/app/#/contacts/${adaId}`)
      await p.locator('#contact-score').waitFor()
      expect(await overflow()).toBeLessThanOrEqual(0)
      await shot(p, '11-phone-contact')
      await p.goto(`${origin}/app/#/connections`)
      await p.getByRole('button', { name: 'Copy' }).waitFor()
      expect(await overflow()).toBeLessThanOrEqual(0)
      await p.goto(`${origin}/app/#/calibration`)
      await p.locator('#kpi-table').waitFor()
      await p.locator('#bt-result').waitFor()
      expect(await overflow()).toBeLessThanOrEqual(0)
      await shot(p, '12-phone-connections')
      expect(await axeViolations(p)).toEqual([])
    } finally {
      await context.close()
    }
  })
})

describe('signed out', () => {
  it('/ explains how to sign in, and a used link is refused', async () => {
    const context = await newContext({ locale: 'fr-FR' })
    try {
      const p = await context.newPage()
      await p.goto(`${origin}/`)
      expect(p.url()).toBe(`${origin}/app/`)
      await p.getByRole('heading', { name: 'Se connecter à Leadgrid' }).waitFor()
      expect(await p.evaluate('document.documentElement.lang')).toBe('fr')
      await shot(p, '13-signed-out-fr')
      expect(await axeViolations(p)).toEqual([])
    } finally {
      await context.close()
    }
  })
})

describe('the two-person rule', () => {
  it('makes a publish wait for a second admin, who approves it in the page', async () => {
    const ws = (await t.createWorkspace('Two-person')).workspaceId
    const adaContext = await newContext()
    const bobContext = await newContext()
    try {
      const ada = await signIn(adaContext, ws, 'admin', 'ada@acme.example')
      await ada.getByRole('link', { name: 'Versions & audit' }).click()
      await ada.getByLabel(/Two-person rule/).check()
      await ada.getByText('No publish awaits approval.').waitFor()
      await ada.getByRole('link', { name: 'Grid' }).click()
      await pricingPoints(ada).fill('35')
      await ada.getByText('No problem found').waitFor()
      await ada.getByRole('link', { name: 'Preview & publish' }).click()
      await ada.getByRole('button', { name: 'Publish', exact: true }).click()
      await ada.getByText(/Sent for approval/).waitFor()
      await ada.getByRole('link', { name: 'Versions & audit' }).click()
      await ada.getByText('Another admin has to approve your request.').waitFor()
      expect(await ada.getByRole('button', { name: 'Approve and publish' }).count()).toBe(0)
      await shot(ada, '14-approval-requested')

      const bob = await signIn(bobContext, ws, 'admin', 'bob@acme.example')
      await bob.getByRole('link', { name: 'Versions & audit' }).click()
      await bob.getByRole('button', { name: 'Approve and publish' }).click()
      await bob.getByText('No publish awaits approval.').waitFor()
      await expect
        .poll(() => bob.locator('.audit-entry').nth(1).textContent())
        .toContain('+20 → +35 Pricing page')
      expect(await bob.locator('.audit-entry').first().textContent()).toContain('bob@acme.example')
      await shot(bob, '15-approved')
      expect(await axeViolations(bob)).toEqual([])
    } finally {
      await adaContext.close()
      await bobContext.close()
    }
  })
})

describe('the console', () => {
  it('showed no error on any page', () => {
    expect(consoleErrors).toEqual([])
  })
})
