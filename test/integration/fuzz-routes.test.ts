/**
 * A bounded fuzz test of every public route (issue 6, "Tests that keep it fixed"): random and
 * adversarial requests — deep nesting, NUL and lone surrogates, huge strings and arrays, wrong
 * types, duplicated keys, invalid UTF-8, odd content types and query strings, garbage headers —
 * get a 4xx with the usual error shape (or the route's documented 2xx/3xx), never a 5xx, and the
 * service still answers /healthz afterwards.
 *
 * Bodies come from each route's valid template, mutated (a field replaced, removed or added, a key
 * duplicated), so the cases reach the validation and storage behind the parser, not only the parser.
 * HubSpot routes are fuzzed signed (the signature is computed over the fuzzed bytes) and unsigned.
 *
 * Size: FUZZ_COUNT cases in all (default 2,000, spread over the routes); `npm run fuzz -- --count
 * 10000` runs more. FUZZ_SEED replays a failure (fast-check prints the seed and the shrunk case).
 */
import fc from 'fast-check'
import nock from 'nock'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { computeV3Signature } from '../../src/crm/hubspot/signature.js'
import { starterGrid } from '../../src/scoring/starter-grid.js'
import { startTestApp, TEST_ENV, type TestApp } from '../helpers/test-app.js'

const TOTAL = Number(process.env['FUZZ_COUNT'] ?? 2000)
const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : undefined
const NOW = '2026-03-31T12:00:00.000Z'
const clock = fixedClock(NOW)
const PORTAL = 62577
let t: TestApp
let apiKey = ''
let publicKey = ''
let connectionId = ''

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** A placeholder string replaced, in the JSON text, by a document too deep to build as a value. */
const DEEP = '\u0001deep\u0001'

const deepText = fc
  .record({
    levels: fc.integer({ min: 60, max: 20_000 }),
    open: fc.constantFrom('[', '{"a":', '{"":', '[1,'),
    core: fc.constantFrom('"\\u0000"', '"\\ud800"', '"\\udfff x"', 'null', '{}', '[]', '"ok"'),
  })
  .map(({ levels, open, core }) => {
    const close = open.startsWith('[') ? ']' : '}'
    return open.repeat(levels) + core + close.repeat(levels)
  })

const specialValue = fc.constantFrom<unknown>(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00\ud800',
  '\ud83d\ude00',
  '\u2028\u2029',
  '\ufeff',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE contacts; --",
  '__proto__',
  'constructor',
  'x'.repeat(70_000),
  -1,
  0,
  -0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  '9'.repeat(40),
  '2099-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2026-02-30T00:00:00Z',
  '2026-03-31T12:00:00.000+14:00',
  'not-a-date',
  '00000000-0000-0000-0000-000000000000',
  null,
  true,
  false,
  [],
  {},
  Array.from({ length: 2000 }, () => 'a'),
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  DEEP,
)

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: specialValue },
  { weight: 2, arbitrary: fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.double() },
)

type Path = (string | number)[]

/** Every path of a JSON value, root included, walked without recursion. */
function pathsOf(value: unknown): Path[] {
  const out: Path[] = [[]]
  const stack: [unknown, Path][] = [[value, []]]
  while (stack.length > 0) {
    const [v, path] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    for (const [k, child] of Object.entries(v)) {
      const p = [...path, Array.isArray(v) ? Number(k) : k]
      out.push(p)
      stack.push([child, p])
    }
  }
  return out
}

type Op = 'replace' | 'delete' | 'add' | 'duplicate'

function mutate(template: unknown, path: Path, op: Op, value: unknown, key: string): unknown {
  const root = structuredClone(template)
  if (path.length === 0) return op === 'replace' ? value : root
  let parent = root as Record<string | number, unknown>
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  const target = parent[last]
  if (op === 'replace') parent[last] = value
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else if (op === 'add' && target && typeof target === 'object') {
    if (Array.isArray(target)) target.push(value)
    else Object.defineProperty(target, key, { value, enumerable: true, writable: true })
  } else if (op === 'duplicate' && Array.isArray(parent)) {
    parent.push(structuredClone(target))
  } else parent[last] = value
  return root
}

/** JSON text of a mutated template, with the deep placeholder expanded and maybe a key duplicated. */
function bodyFrom(template: unknown): fc.Arbitrary<string> {
  const paths = pathsOf(template)
  return fc
    .record({
      index: fc.nat(),
      op: fc.constantFrom<Op>('replace', 'delete', 'add', 'duplicate'),
      value: weirdValue,
      key: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.constantFrom('__proto__', 'constructor'),
      ),
      deep: deepText,
      dupKey: fc.constantFrom('none', 'before', 'after'),
      dupValue: fc.jsonValue({ maxDepth: 2 }),
    })
    .map(({ index, op, value, key, deep, dupKey, dupValue }) => {
      const mutated = mutate(template, paths[index % paths.length]!, op, value, key)
      let text = JSON.stringify(mutated) ?? 'null'
      text = text.replaceAll(JSON.stringify(DEEP), deep)
      // JSON.parse keeps the last of duplicated keys: send the odd value first, then last.
      const first = /^\{"((?:[^"\\]|\\.)*)":/.exec(text)?.[1]
      const dup = JSON.stringify(dupValue) ?? 'null'
      if (first !== undefined && dupKey === 'before') text = `{"${first}":${dup},${text.slice(1)}`
      if (first !== undefined && dupKey === 'after' && text.endsWith('}'))
        text = `${text.slice(0, -1)},"${first}":${dup}}`
      return text
    })
}

const rawBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.json({ stringUnit: 'binary', maxDepth: 5 }),
  deepText,
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '"x"',
    '[]',
    '{}',
    '{',
    '[1,]',
    '1e400',
    '\ufeff{}',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"a":1,"a":{"b":2}}',
    '"\\ud800"',
    '{"\\u0000":"\\u0000"}',
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]),
  ),
  fc.integer({ min: 1, max: 200_000 }).map((n) => JSON.stringify({ events: new Array(n).fill(0) })),
  fc.constantFrom(5 * 1024 * 1024).map((n) => JSON.stringify({ x: 'x'.repeat(n) })),
)

function bodies(template: unknown): fc.Arbitrary<string | Buffer> {
  return fc.oneof({ weight: 3, arbitrary: bodyFrom(template) }, { weight: 1, arbitrary: rawBody })
}

function contentTypes(usual: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(usual) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        'application/json',
        'text/plain',
        'APPLICATION/JSON',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json;;;',
        'application/json, text/plain',
        'text/plain; charset=utf-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/vnd.api+json',
        'application/jsonx',
        '*/*',
        'json',
        '\u0000',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  )
}

const oddQuery = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '?a=1',
      '?a[b]=1',
      '?__proto__[x]=1',
      '?constructor=x',
      '?%',
      '?%zz=%ff',
      '?%00=%00',
      '?a=%ED%A0%80',
      '?portalId=1&portalId=2',
      '?portalId=abc',
      `?x=${'y'.repeat(5000)}`,
      '?&&&==',
      '#frag',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `?${encodeURIComponent(s)}=${s.length}`) },
)

const clientAddress = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`)

const garbageHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        cookie: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(`a=${'b'.repeat(4000)}; ; =;`)),
        'x-forwarded-for': fc.constantFrom('1.2.3.4', 'nonsense', '::1, 10.0.0.1'),
        'x-request-id': fc.string({ maxLength: 200 }),
        'accept-encoding': fc.constantFrom('br', 'gzip;q=0', '*'),
      },
      { requiredKeys: [] },
    ),
  },
)

// ---------------------------------------------------------------------------------------------
// The routes
// ---------------------------------------------------------------------------------------------

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'
interface Case {
  method: Method
  url: string
  contentType?: string | undefined
  body?: string | Buffer | undefined
  headers: Record<string, string>
  remoteAddress: string
}
interface RouteSpec {
  name: string
  /** Statuses below 400 the route documents; anything else must be a 4xx. */
  ok: number[]
  cases: fc.Arbitrary<Case>
}

function authHeader(): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant({ authorization: `Bearer ${apiKey}` }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { authorization: 'Bearer ' },
        { authorization: `Bearer ${apiKey}x` },
        { authorization: `Basic ${apiKey}` },
        { authorization: 'Bearer \u0000' },
        { authorization: `Bearer ${'k'.repeat(5000)}` },
      ),
    },
  )
}

function apiRoute(
  name: string,
  method: Method,
  path: fc.Arbitrary<string>,
  template: unknown,
  ok: number[],
): RouteSpec {
  return {
    name,
    ok,
    cases: fc
      .record({
        path,
        query: oddQuery,
        auth: authHeader(),
        extra: garbageHeaders,
        contentType: contentTypes('application/json'),
        body: template === undefined ? fc.constant(undefined) : bodies(template),
        remoteAddress: clientAddress,
      })
      .map(({ path, query, auth, extra, contentType, body, remoteAddress }) => ({
        method,
        url: `${path}${query}`,
        contentType: body === undefined ? undefined : contentType,
        body,
        headers: { ...extra, ...auth },
        remoteAddress,
      })),
  }
}

/** A signed HubSpot request: v3 over the exact bytes sent, most of the time with a right signature. */
function hubspotRoute(
  name: string,
  path: string,
  template: unknown,
  ok: number[],
  signed: boolean,
  /** What HubSpot's proxy adds to a hubspot.fetch URL (the portal it signs), before the odd query. */
  hubspotQuery = '',
): RouteSpec {
  return {
    name,
    ok,
    cases: fc
      .record({
        query: oddQuery,
        extra: garbageHeaders,
        contentType: contentTypes('application/json'),
        body: bodies(template),
        signature: signed
          ? fc.oneof(
              { weight: 9, arbitrary: fc.constant('right') },
              { weight: 1, arbitrary: fc.constant('stale') },
            )
          : fc.constantFrom('none', 'garbage', 'v2-only'),
        remoteAddress: clientAddress,
      })
      .map(({ query, extra, contentType, body, signature, remoteAddress }) => {
        const url = hubspotQuery ? `${path}?${hubspotQuery}${query.replace(/^\?/, '&')}` : `${path}${query}`
        const text = typeof body === 'string' ? body : body.toString('utf8')
        const timestamp = String(clock.now().getTime() - (signature === 'stale' ? 10 * 60_000 : 1000))
        const headers: Record<string, string> = { ...extra }
        if (signature === 'right' || signature === 'stale') {
          headers['x-hubspot-signature-v3'] = computeV3Signature({
            clientSecret: TEST_ENV.HUBSPOT_CLIENT_SECRET,
            method: 'POST',
            uri: `${TEST_ENV.PUBLIC_URL}${url}`,
            rawBody: text,
            timestamp,
          })
          headers['x-hubspot-request-timestamp'] = timestamp
        } else if (signature === 'garbage') {
          headers['x-hubspot-signature-v3'] = '\u0000garbage'
          headers['x-hubspot-request-timestamp'] = 'soon'
        } else if (signature === 'v2-only') headers['x-hubspot-signature'] = 'ab'.repeat(32)
        return { method: 'POST' as const, url, contentType, body, headers, remoteAddress }
      }),
  }
}

function getRoute(name: string, path: string, ok: number[], query: fc.Arbitrary<string>): RouteSpec {
  return {
    name,
    ok,
    cases: fc
      .record({ query, extra: garbageHeaders, remoteAddress: clientAddress })
      .map(({ query, extra, remoteAddress }) => ({
        method: 'GET' as const,
        url: `${path}${query}`,
        headers: extra,
        remoteAddress,
      })),
  }
}

const oddId = fc.oneof(
  fc.uuid(),
  fc.constantFrom('nope', '0', '-1', '%00', '%ED%A0%80', '..%2F..', 'x'.repeat(3000), '%E2%82%AC', "1'--"),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
)

const oauthQuery = fc.oneof(
  oddQuery,
  fc
    .record(
      {
        code: fc.oneof(fc.string({ maxLength: 50 }), fc.constant('c'.repeat(3000))),
        state: fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.base64String({ maxLength: 200 }),
          fc.constant('a.b.c'),
        ),
        error: fc.constantFrom('access_denied', '\u0000', 'x'.repeat(300)),
        returnTo: fc.constantFrom('/app/', '//evil.example', 'https://evil.example'),
      },
      { requiredKeys: [] },
    )
    .map((q) => `?${new URLSearchParams(q as Record<string, string>).toString()}`),
)

function routes(): RouteSpec[] {
  const event = {
    contact: { email: 'fuzz@acme.example' },
    type: 'page.viewed',
    occurredAt: NOW,
    attributes: { url: 'https://acme.example/pricing' },
  }
  const hubspotEvent = {
    eventId: 1,
    subscriptionId: 2,
    portalId: PORTAL,
    appId: Number(TEST_ENV.HUBSPOT_APP_ID),
    occurredAt: clock.now().getTime() - 5000,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 901,
    propertyName: 'jobtitle',
    propertyValue: 'CEO',
  }
  const card = { portalId: PORTAL, objectId: 901 }
  const signedPortal = `userId=7&portalId=${PORTAL}&userEmail=admin%40acme.example&appId=1`
  const workflow = {
    callbackId: 'cb-1',
    origin: { portalId: PORTAL },
    object: { objectId: 901 },
    inputFields: { eventType: 'meeting.booked', reference: 'm-1' },
  }
  return [
    apiRoute('POST /api/v1/events', 'POST', fc.constant('/api/v1/events'), { events: [event, event] }, [202]),
    apiRoute(
      'POST /api/v1/contacts',
      'POST',
      fc.constant('/api/v1/contacts'),
      {
        contacts: [
          {
            contact: { email: 'fuzz@acme.example', hubspotId: '901' },
            properties: { jobtitle: 'CEO', company_size: 200 },
            createdAt: '2026-01-10T09:00:00Z',
          },
        ],
      },
      [200],
    ),
    apiRoute(
      'POST /api/v1/grids',
      'POST',
      fc.constant('/api/v1/grids'),
      { definition: starterGrid, note: 'n' },
      [201],
    ),
    apiRoute(
      'GET /api/v1/grids(/:id)',
      'GET',
      fc.oneof(
        fc.constant('/api/v1/grids'),
        oddId.map((id) => `/api/v1/grids/${id}`),
      ),
      undefined,
      [200],
    ),
    apiRoute(
      'POST /api/v1/grids/:id/publish|simulate',
      'POST',
      fc.tuple(oddId, fc.constantFrom('publish', 'simulate')).map(([id, a]) => `/api/v1/grids/${id}/${a}`),
      {},
      [200],
    ),
    apiRoute(
      'GET /api/v1/contacts/:key/score',
      'GET',
      fc
        .oneof(oddId, fc.constantFrom('fuzz%40acme.example', '901', 'FUZZ%40ACME.EXAMPLE', '%40', '%20'))
        .map((k) => `/api/v1/contacts/${k}/score`),
      undefined,
      [200],
    ),
    apiRoute('GET /api/v1/connections', 'GET', fc.constant('/api/v1/connections'), undefined, [200]),
    apiRoute(
      'PATCH /api/v1/connections/:id',
      'PATCH',
      fc.oneof(
        fc.constant(`/api/v1/connections/${connectionId}`),
        oddId.map((id) => `/api/v1/connections/${id}`),
      ),
      { lifecycleOnMql: false },
      [200],
    ),
    {
      name: 'POST /t/collect',
      ok: [202, 204],
      cases: fc
        .record({
          query: oddQuery,
          extra: garbageHeaders,
          contentType: contentTypes('text/plain'),
          body: bodies({
            key: publicKey,
            visitorId: 'visitor-fuzz-1',
            sentAt: NOW,
            identify: { email: 'visitor@acme.example' },
            events: [
              {
                id: 'ev-fuzz-0001',
                type: 'page.viewed',
                occurredAt: NOW,
                attributes: { url: 'https://a.example/pricing' },
              },
            ],
          }),
          remoteAddress: clientAddress,
          origin: fc.constantFrom(undefined, 'https://customer.example', 'null'),
        })
        .map(({ query, extra, contentType, body, remoteAddress, origin }) => ({
          method: 'POST' as const,
          url: `/t/collect${query}`,
          contentType,
          body,
          headers: { ...extra, ...(origin ? { origin } : {}) },
          remoteAddress,
        })),
    },
    hubspotRoute(
      'POST /webhooks/hubspot (signed)',
      '/webhooks/hubspot',
      [hubspotEvent, { ...hubspotEvent, eventId: 2 }],
      [200],
      true,
    ),
    hubspotRoute('POST /webhooks/hubspot (unsigned)', '/webhooks/hubspot', [hubspotEvent], [], false),
    hubspotRoute('POST /hubspot/card (signed)', '/hubspot/card', card, [200], true, signedPortal),
    hubspotRoute('POST /hubspot/card (unsigned)', '/hubspot/card', card, [], false, signedPortal),
    hubspotRoute(
      'POST /hubspot/app-link (signed)',
      '/hubspot/app-link',
      { portalId: PORTAL, userId: 7 },
      [200],
      true,
      signedPortal,
    ),
    hubspotRoute(
      'POST /hubspot/app-link (unsigned)',
      '/hubspot/app-link',
      { portalId: PORTAL },
      [],
      false,
      signedPortal,
    ),
    hubspotRoute('POST /hubspot/workflow-action (signed)', '/hubspot/workflow-action', workflow, [200], true),
    hubspotRoute('POST /hubspot/workflow-action (unsigned)', '/hubspot/workflow-action', workflow, [], false),
    getRoute('GET /oauth/hubspot/install', '/oauth/hubspot/install', [302, 303], oauthQuery),
    getRoute('GET /oauth/hubspot/callback', '/oauth/hubspot/callback', [302, 303], oauthQuery),
  ]
}

function describeCase(c: Case): string {
  const body =
    c.body === undefined ? '' : typeof c.body === 'string' ? c.body : `<bytes ${c.body.toString('hex')}>`
  return `${c.method} ${c.url.slice(0, 200)} [${c.contentType}] ${body.length} chars: ${body.slice(0, 300)}`
}

async function send(spec: RouteSpec, c: Case): Promise<void> {
  const headers: Record<string, string> = { ...c.headers }
  if (c.contentType !== undefined) headers['content-type'] = c.contentType
  const res = await t.app.inject({
    method: c.method,
    url: c.url,
    headers,
    remoteAddress: c.remoteAddress,
    ...(c.body !== undefined ? { payload: c.body } : {}),
  })
  const status = res.statusCode
  if (status >= 500 || (status < 400 && !spec.ok.includes(status)))
    throw new Error(`${spec.name} answered ${status}: ${res.body.slice(0, 300)}\n  for ${describeCase(c)}`)
  if (status >= 400) {
    const answer = res.json() as { error?: { code?: unknown; message?: unknown }; requestId?: unknown }
    if (
      typeof answer.error?.code !== 'string' ||
      typeof answer.error.message !== 'string' ||
      !answer.requestId
    )
      throw new Error(`${spec.name} answered ${status} without the error shape: ${res.body.slice(0, 300)}`)
  }
}

async function healthy(): Promise<void> {
  const res = await t.app.inject({ method: 'GET', url: '/healthz' })
  expect(res.statusCode).toBe(200)
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  nock.disableNetConnect()
  nock.enableNetConnect(/127\.0\.0\.1|localhost/)
  t = await startTestApp({ clock })
  apiKey = t.workspace.apiKey
  publicKey = t.workspace.publicKey
  const row = await t.deps.db
    .insertInto('connections')
    .values({
      workspace_id: t.workspace.workspaceId,
      provider: 'hubspot',
      account_id: String(PORTAL),
      access_token_enc: t.deps.secretBox.encrypt('token'),
      refresh_token_enc: t.deps.secretBox.encrypt('refresh'),
      token_expires_at: new Date('2026-03-31T13:00:00.000Z'),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done', processed: 0 }),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  connectionId = row.id
})
afterAll(async () => {
  await t?.close()
  nock.cleanAll()
  nock.enableNetConnect()
})

describe(`fuzzing every public route (${TOTAL} cases)`, () => {
  // The specs need the keys made in beforeAll, so they are built lazily, once.
  let specs: RouteSpec[] | undefined
  const names = [
    'POST /api/v1/events',
    'POST /api/v1/contacts',
    'POST /api/v1/grids',
    'GET /api/v1/grids(/:id)',
    'POST /api/v1/grids/:id/publish|simulate',
    'GET /api/v1/contacts/:key/score',
    'GET /api/v1/connections',
    'PATCH /api/v1/connections/:id',
    'POST /t/collect',
    'POST /webhooks/hubspot (signed)',
    'POST /webhooks/hubspot (unsigned)',
    'POST /hubspot/card (signed)',
    'POST /hubspot/card (unsigned)',
    'POST /hubspot/app-link (signed)',
    'POST /hubspot/app-link (unsigned)',
    'POST /hubspot/workflow-action (signed)',
    'POST /hubspot/workflow-action (unsigned)',
    'GET /oauth/hubspot/install',
    'GET /oauth/hubspot/callback',
  ]
  const perRoute = Math.max(1, Math.ceil(TOTAL / names.length))

  for (const name of names) {
    it(
      `${name}: never a 5xx (${perRoute} cases)`,
      async () => {
        specs ??= routes()
        const spec = specs.find((s) => s.name === name)
        expect(spec, name).toBeDefined()
        await fc.assert(
          fc.asyncProperty(spec!.cases, (c) => send(spec!, c)),
          { numRuns: perRoute, ...(SEED !== undefined ? { seed: SEED } : {}) },
        )
        await healthy()
      },
      30_000 + perRoute * 100,
    )
  }

  it('the service still answers after the fuzzing', async () => {
    await healthy()
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/grids',
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect(res.statusCode).toBe(200)
  })
})
