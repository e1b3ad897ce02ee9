/**
 * The tracking snippet, run as served (compacted) in a small fake browser: a vm context whose
 * globals are the window. What it sends is checked against the server's own body schema, so the
 * two cannot drift apart. A real browser test (test/e2e) covers real DOM events.
 */

import { webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import vm from 'node:vm'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseCollectBody } from '../../src/tracking/collect-schema.js'
import { buildSnippetAsset } from '../../src/tracking/snippet-asset.js'

const asset = buildSnippetAsset(
  readFileSync(new URL('../../src/tracking/snippet.js', import.meta.url), 'utf8'),
)
const code = new vm.Script(asset.text, { filename: 't.js' })

interface Sent {
  via: 'fetch' | 'beacon'
  url: string
  raw: string
  // biome-ignore lint/suspicious/noExplicitAny: the wire format, inspected field by field
  body: any
}

type Listener = (event: Record<string, unknown>) => void

class Storage {
  readonly items = new Map<string, string>()
  getItem(k: string) {
    return this.items.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.items.set(k, String(v))
  }
}

interface BrowserOptions {
  attrs?: Record<string, string>
  href?: string
  referrer?: string
  navigator?: Record<string, unknown>
  localStorage?: Storage | 'blocked'
  preQueue?: unknown[]
  statuses?: number[]
  beacon?: boolean
}

function element(attrs: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    getAttribute: (n: string) => attrs[n] ?? null,
    hasAttribute: (n: string) => n in attrs,
    ...extra,
  }
}

function browser(options: BrowserOptions = {}) {
  const sent: Sent[] = []
  const warnings: unknown[][] = []
  const listeners: Record<string, Listener[]> = {}
  const statuses = [...(options.statuses ?? [])]
  const location = { href: options.href ?? 'https://www.customer.example/pricing?plan=pro#faq' }
  const script = element(
    { 'data-key': 'lg_pk_test', ...options.attrs },
    { src: 'https://lg.example.com/t.js?v=1' },
  )
  const on = (target: string) => (type: string, fn: Listener) => {
    const key = `${target}:${type}`
    listeners[key] = [...(listeners[key] ?? []), fn]
  }
  const record = (via: Sent['via'], url: string, raw: string) =>
    sent.push({ via, url, raw, body: JSON.parse(raw) })
  const localStorage = options.localStorage ?? new Storage()
  const window: Record<string, unknown> = {
    document: {
      currentScript: script,
      querySelector: () => null,
      title: '  Pricing —  Acme ',
      referrer: options.referrer ?? 'https://search.example/?q=lead+scoring',
      addEventListener: on('document'),
    },
    navigator: {
      ...(options.beacon === false
        ? {}
        : { sendBeacon: (url: string, raw: string) => record('beacon', url, raw) > 0 }),
      ...options.navigator,
    },
    location,
    history: {
      pushState(_state: unknown, _title: string, url: string) {
        location.href = new URL(url, location.href).href
      },
    },
    sessionStorage: new Storage(),
    addEventListener: on('window'),
    fetch: (url: string, init: { body: string; keepalive: boolean; credentials: string }) => {
      expect(init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' })
      expect(typeof init.body).toBe('string') // a string body: text/plain, no CORS preflight
      record('fetch', url, init.body)
      const status = statuses.shift() ?? 202
      return Promise.resolve({
        status,
        json: () => Promise.resolve({ error: { message: `status ${status}` } }),
      })
    },
    crypto: webcrypto,
    URL,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
    console: { warn: (...args: unknown[]) => warnings.push(args) },
  }
  if (localStorage === 'blocked') {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new Error('SecurityError: storage is disabled')
      },
    })
  } else window['localStorage'] = localStorage
  window['window'] = window
  if (options.preQueue) window['leadgrid'] = options.preQueue
  const context = vm.createContext(window)
  const load = () => code.runInContext(context)
  load()
  const emit = (target: string, type: string, event: Record<string, unknown>) => {
    for (const fn of listeners[`${target}:${type}`] ?? []) fn({ type, ...event })
  }
  // biome-ignore lint/suspicious/noExplicitAny: the page-facing API, as a page would call it
  const api = () => window['leadgrid'] as any
  const events = () => sent.flatMap((s) => s.body.events)
  return { sent, events, warnings, emit, api, location, localStorage, load, window }
}

/** Lets the snippet's setTimeout(…, 0) batching run. */
const tick = () => vi.advanceTimersByTimeAsync(1)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('served snippet', () => {
  it('is small and ES2017 (no ?. ?? or catch without binding)', () => {
    expect(asset.identity.length).toBeLessThan(7000)
    expect(asset.gzip.length).toBeLessThan(3000)
    expect(asset.brotli.length).toBeLessThan(2600)
    expect(asset.text).not.toMatch(/\?\.|\?\?|catch\s*\{/)
  })
})

describe('page views', () => {
  it('sends a page view on load to <script origin>/t/collect, accepted by the server schema', async () => {
    const b = browser()
    await tick()
    expect(b.sent).toHaveLength(1)
    const [first] = b.sent
    expect(first?.via).toBe('fetch')
    expect(first?.url).toBe('https://lg.example.com/t/collect')
    expect(first?.body).toMatchObject({
      key: 'lg_pk_test',
      visitorId: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(first?.body.events).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        type: 'page.viewed',
        occurredAt: expect.any(String),
        attributes: {
          url: 'https://www.customer.example/pricing?plan=pro',
          title: 'Pricing — Acme',
          referrer: 'https://search.example/?q=lead+scoring',
          sessionId: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      },
    ])
    const parsed = parseCollectBody(first?.body, new Date())
    expect(parsed.ok).toBe(true)
  })

  it('keeps the visitor id in localStorage across page loads, and no cookie is involved', async () => {
    const storage = new Storage()
    const a = browser({ localStorage: storage })
    const b = browser({ localStorage: storage })
    await tick()
    expect(a.sent[0]?.body.visitorId).toBe(b.sent[0]?.body.visitorId)
    expect([...storage.items.keys()]).toEqual(['leadgrid_vid'])
    expect('cookie' in (a.window['document'] as object)).toBe(false)
  })

  it('still tracks with an in-memory id when storage is blocked', async () => {
    const b = browser({ localStorage: 'blocked' })
    await tick()
    expect(b.sent[0]?.body.visitorId).toMatch(/^[0-9a-f]{32}$/)
  })

  it('sends SPA navigations (pushState, popstate) with the previous page as referrer, once per URL', async () => {
    const b = browser()
    await tick()
    ;(b.window['history'] as { pushState(s: unknown, t: string, u: string): void }).pushState(
      {},
      '',
      '/product/tour',
    )
    await tick()
    b.emit('window', 'popstate', {})
    await tick()
    const views = b.events().filter((e) => e.type === 'page.viewed')
    expect(views.map((e) => e.attributes.url)).toEqual([
      'https://www.customer.example/pricing?plan=pro',
      'https://www.customer.example/product/tour',
    ])
    expect(views[1].attributes.referrer).toBe('https://www.customer.example/pricing?plan=pro')
  })

  it('blanks query values that carry an email', async () => {
    const b = browser({ href: 'https://www.customer.example/thanks?e=ada%40acme.io&step=2' })
    await tick()
    expect(b.events()[0].attributes.url).toBe('https://www.customer.example/thanks?e=&step=2')
  })

  it('blanks query values whose names look personal or secret (a form sent with GET)', async () => {
    const b = browser({
      href: 'https://www.customer.example/thanks?first_name=Ada&password=hunter2&phone=0612&plan=pro&utm_source=ads',
    })
    await tick()
    expect(b.events()[0].attributes.url).toBe(
      'https://www.customer.example/thanks?first_name=&password=&phone=&plan=pro&utm_source=ads',
    )
  })

  it('counts once when the snippet is included twice', async () => {
    const b = browser()
    b.load()
    await tick()
    expect(b.events()).toHaveLength(1)
  })
})

describe('privacy', () => {
  it.each([
    ['Do Not Track', { doNotTrack: '1' }],
    ['Global Privacy Control', { globalPrivacyControl: true }],
  ])('sends nothing under %s, and the API stays callable', async (_name, navigator) => {
    const b = browser({ navigator })
    expect(b.api().identify('ada@acme.io')).toBe(false)
    expect(b.api().track('Demo watched')).toBe(false)
    await tick()
    expect(b.sent).toEqual([])
    expect(b.localStorage instanceof Storage && b.localStorage.items.size).toBe(0)
  })

  it('waits for consent when data-consent="required", then sends what was asked meanwhile', async () => {
    const b = browser({ attrs: { 'data-consent': 'required' } })
    b.api().identify('ada@acme.io')
    await tick()
    expect(b.sent).toEqual([])
    expect(b.localStorage instanceof Storage && b.localStorage.items.size).toBe(0)
    b.api().consent()
    await tick()
    expect(b.sent).toHaveLength(1)
    expect(b.sent[0]?.body.events.map((e: { type: string }) => e.type)).toEqual(['page.viewed'])
    expect(b.sent[0]?.body.identify).toEqual({ email: 'ada@acme.io' })
  })

  it('warns without a data-key and sends nothing', async () => {
    const b = browser({ attrs: { 'data-key': '' } })
    await tick()
    expect(b.sent).toEqual([])
    expect(String(b.warnings[0])).toContain('data-key')
  })
})

describe('forms', () => {
  const fields = [
    { type: 'text', name: 'firstname', value: 'Ada' },
    { type: 'email', name: 'work', value: ' ada@acme.io ' },
    { type: 'password', name: 'pw', value: 's3cret' },
    { type: 'tel', name: 'phone', value: '+33 6 12 34 56 78' },
  ]

  it('sends form.submitted with the form names, the email to identify the visitor, and no other value', async () => {
    const b = browser()
    await tick()
    // A field named "name" shadows form.name in a real DOM; the snippet reads attributes.
    const form = element(
      { id: 'wp-form', 'aria-label': 'Whitepaper download' },
      { tagName: 'FORM', elements: fields, name: { shadowed: true } },
    )
    b.emit('document', 'submit', { target: form })
    const last = b.sent.at(-1)
    expect(last?.via).toBe('beacon') // sent before the page navigates away
    expect(last?.body.events).toEqual([
      {
        id: expect.any(String),
        type: 'form.submitted',
        occurredAt: expect.any(String),
        attributes: {
          formId: 'wp-form',
          formName: 'Whitepaper download',
          url: 'https://www.customer.example/pricing?plan=pro',
        },
        email: 'ada@acme.io',
      },
    ])
    for (const secret of ['Ada', 's3cret', '12 34']) expect(last?.raw).not.toContain(secret)
    expect(parseCollectBody(last?.body, new Date()).ok).toBe(true)
  })

  it('finds the email by field name too, and ignores a value that is not an email', async () => {
    const b = browser()
    const byName = element(
      { 'data-leadgrid-form': 'contact-us' },
      { tagName: 'FORM', elements: [{ type: 'text', name: 'user_Email', value: 'bob@corp.example' }] },
    )
    const bad = element(
      { name: 'newsletter' },
      { tagName: 'FORM', elements: [{ type: 'email', name: 'email', value: 'not an email' }] },
    )
    b.emit('document', 'submit', { target: byName })
    b.emit('document', 'submit', { target: bad })
    const forms = b.events().filter((e) => e.type === 'form.submitted')
    expect(forms[0]).toMatchObject({
      email: 'bob@corp.example',
      attributes: { formId: 'contact-us', formName: 'contact-us' },
    })
    expect(forms[1]).not.toHaveProperty('email')
    expect(forms[1].attributes).toMatchObject({ formId: 'newsletter', formName: 'newsletter' })
  })

  it('skips forms marked data-leadgrid-ignore', async () => {
    const b = browser()
    await tick()
    b.emit('document', 'submit', {
      target: element({ 'data-leadgrid-ignore': '' }, { tagName: 'FORM', elements: fields }),
    })
    await tick()
    expect(b.events().map((e) => e.type)).toEqual(['page.viewed'])
  })
})

describe('downloads', () => {
  it('sends asset.downloaded for a click inside a data-leadgrid-asset link', async () => {
    const b = browser()
    const link = element(
      { 'data-leadgrid-asset': 'wp-2026', 'data-leadgrid-asset-type': 'whitepaper', href: '/files/wp.pdf' },
      { textContent: '\n  The 2026   lead scoring guide\n' },
    )
    const icon = { closest: (selector: string) => (selector === '[data-leadgrid-asset]' ? link : null) }
    b.emit('document', 'click', { target: icon })
    b.emit('document', 'click', { target: element({ 'data-leadgrid-asset': '' }, { closest: () => null }) })
    const plain = element({
      'data-leadgrid-asset': '',
      'data-leadgrid-asset-type': 'pamphlet',
      'data-leadgrid-asset-name': 'Price list',
      href: '/p.pdf',
    })
    b.emit('document', 'auxclick', { button: 1, target: { closest: () => plain } })
    b.emit('document', 'auxclick', { button: 2, target: { closest: () => plain } })
    const downloads = b.events().filter((e) => e.type === 'asset.downloaded')
    expect(downloads.map((e) => e.attributes)).toEqual([
      { assetId: 'wp-2026', assetName: 'The 2026 lead scoring guide', assetType: 'whitepaper' },
      { assetId: '/p.pdf', assetName: 'Price list', assetType: 'other' },
    ])
  })
})

describe('page API', () => {
  it('identify(email) links the visitor; a non-email is refused', async () => {
    const b = browser()
    expect(b.api().identify('not-an-email')).toBe(false)
    expect(b.api().identify('Ada@Acme.io')).toBe(true)
    await tick()
    expect(b.sent).toHaveLength(1)
    expect(b.sent[0]?.body.identify).toEqual({ email: 'Ada@Acme.io' })
  })

  it('track(name, attributes) sends a custom event with scalar attributes only', async () => {
    const b = browser()
    b.api().track('Demo video watched', { seconds: 42, plan: 'pro', nested: { no: 1 }, list: [1] })
    b.api().track('custom', { nope: true }) // a custom event needs a name
    b.api().track('asset.downloaded', { assetId: 'calc', assetType: 'calculator' })
    await tick()
    const custom = b.events().filter((e) => e.type !== 'page.viewed')
    expect(custom.map((e) => [e.type, e.attributes])).toEqual([
      ['custom', { seconds: 42, plan: 'pro', name: 'Demo video watched' }],
      ['asset.downloaded', { assetId: 'calc', assetType: 'other' }],
    ])
    expect(parseCollectBody(b.sent[0]?.body, new Date()).ok).toBe(true)
  })

  it('replays calls queued before the async script loaded', async () => {
    const b = browser({
      preQueue: [
        ['identify', 'early@acme.io'],
        ['track', 'Chat opened'],
      ],
    })
    await tick()
    expect(b.sent[0]?.body.identify).toEqual({ email: 'early@acme.io' })
    expect(b.events().map((e) => e.type)).toEqual(['page.viewed', 'custom'])
    b.api().push(['track', 'Late'])
    await tick()
    expect(b.events().at(-1).attributes.name).toBe('Late')
  })
})

describe('delivery', () => {
  it('retries a 5xx or 429 with the same event ids, and does not retry a 4xx', async () => {
    const b = browser({ statuses: [503, 429, 202] })
    await tick()
    await vi.advanceTimersByTimeAsync(1000)
    await vi.advanceTimersByTimeAsync(4000)
    expect(b.sent).toHaveLength(3)
    const ids = b.sent.map((s) => s.body.events[0].id)
    expect(new Set(ids).size).toBe(1)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(b.sent).toHaveLength(3)

    const refused = browser({ statuses: [401] })
    await tick()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(refused.sent).toHaveLength(1)
    expect(refused.warnings).toEqual([['[leadgrid]', 'status 401']])
  })

  it('flushes what is queued by beacon when the page is hidden, and uses fetch when there is no beacon', async () => {
    const b = browser()
    b.emit('window', 'pagehide', {})
    expect(b.sent.map((s) => s.via)).toEqual(['beacon'])
    const noBeacon = browser({ beacon: false })
    noBeacon.emit('document', 'submit', { target: element({ id: 'f' }, { tagName: 'FORM', elements: [] }) })
    expect(noBeacon.sent.map((s) => s.via)).toEqual(['fetch'])
  })
})
