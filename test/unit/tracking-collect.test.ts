import { describe, expect, it } from 'vitest'
import { parseCollectBody, resolveOccurredAt } from '../../src/tracking/collect-schema.js'
import { compactSnippet, etagMatches, pickEncoding } from '../../src/tracking/snippet-asset.js'

const RECEIVED = new Date('2026-03-31T12:00:00.000Z')
const visitorId = 'f'.repeat(32)
const pageView = (extra: Record<string, unknown> = {}) => ({
  id: 'a1b2c3d4e5f6',
  type: 'page.viewed',
  attributes: { url: 'https://www.acme.example/pricing' },
  ...extra,
})
const body = (extra: Record<string, unknown> = {}) => ({
  key: 'lg_pk_x',
  visitorId,
  events: [pageView()],
  ...extra,
})

function issuesOf(input: unknown) {
  const parsed = parseCollectBody(input, RECEIVED)
  if (parsed.ok) throw new Error('expected a refusal')
  return parsed.issues
}

describe('parseCollectBody', () => {
  it('maps browser events to anonymous events with visitor-namespaced ids, at receipt time when untimed', () => {
    const parsed = parseCollectBody(body(), RECEIVED)
    expect(parsed).toEqual({
      ok: true,
      key: 'lg_pk_x',
      batch: {
        visitorId,
        identify: null,
        events: [
          {
            id: `t:${visitorId}:a1b2c3d4e5f6`,
            contact: { anonymousId: visitorId },
            type: 'page.viewed',
            occurredAt: RECEIVED.toISOString(),
            attributes: { url: 'https://www.acme.example/pricing' },
          },
        ],
      },
    })
  })

  it('puts the email of a form fill and of identify next to the visitor id', () => {
    const parsed = parseCollectBody(
      body({
        identify: { email: 'ada@acme.io' },
        events: [
          { id: 'form000001', type: 'form.submitted', attributes: { formId: 'demo' }, email: 'ada@acme.io' },
        ],
      }),
      RECEIVED,
    )
    expect(parsed.ok && parsed.batch.identify).toEqual({
      contact: { anonymousId: visitorId, email: 'ada@acme.io' },
    })
    expect(parsed.ok && parsed.batch.events[0]?.contact).toEqual({
      anonymousId: visitorId,
      email: 'ada@acme.io',
    })
  })

  it('accepts an identify alone, refuses a request with nothing in it', () => {
    expect(parseCollectBody(body({ events: [], identify: { email: 'ada@acme.io' } }), RECEIVED).ok).toBe(true)
    expect(issuesOf(body({ events: [] }))).toEqual([
      { path: 'events', message: 'send at least one event (or an identify)' },
    ])
  })

  it('names the field at fault', () => {
    expect(issuesOf(body({ visitorId: 'x' }))[0]?.path).toBe('visitorId')
    expect(issuesOf({ visitorId, events: [pageView()] })[0]?.path).toBe('key')
    expect(issuesOf(body({ events: [pageView({ id: undefined })] }))[0]?.path).toBe('events[0].id')
    expect(issuesOf(body({ events: [pageView({ email: 'nope' })] }))[0]).toEqual({
      path: 'events[0].email',
      message: 'not a valid email address',
    })
    expect(issuesOf(body({ extra: 1 }))[0]?.message).toMatch(/extra/)
    const typo = issuesOf(body({ events: [pageView(), pageView({ attributes: { title: 'no url' } })] }))
    expect(typo).toEqual([{ path: 'events[1]', message: expect.stringContaining('attributes.url') }])
  })

  it('only takes the event types a web page can witness', () => {
    const [issue] = issuesOf(body({ events: [pageView({ type: 'meeting.held', attributes: {} })] }))
    expect(issue?.path).toBe('events[0].type')
    expect(issue?.message).toContain('"meeting.held" is not an event a web page may send')
  })

  it('takes at most 20 events', () => {
    const events = Array.from({ length: 21 }, (_, i) =>
      pageView({ id: `event-${String(i).padStart(4, '0')}` }),
    )
    expect(issuesOf(body({ events }))[0]).toEqual({
      path: 'events',
      message: 'at most 20 events per request',
    })
  })
})

describe('resolveOccurredAt (browser clocks are not trusted)', () => {
  const at = (occurredAt?: string, sentAt?: string) => resolveOccurredAt(occurredAt, sentAt, RECEIVED)

  it('keeps a plausible time, uses receipt time when there is none', () => {
    expect(at('2026-03-31T11:59:58Z')).toEqual({ ok: true, at: '2026-03-31T11:59:58.000Z' })
    expect(at(undefined)).toEqual({ ok: true, at: RECEIVED.toISOString() })
  })

  it('removes the skew measured by sentAt: a browser two years behind still lands right', () => {
    expect(at('2024-03-31T11:59:50Z', '2024-03-31T11:59:55Z')).toEqual({
      ok: true,
      at: '2026-03-31T11:59:55.000Z',
    })
    expect(at('2026-03-31T15:00:00Z', '2026-03-31T15:00:02+00:00')).toEqual({
      ok: true,
      at: '2026-03-31T11:59:58.000Z',
    })
  })

  it('sets a slightly future time to the receipt, refuses one more than 5 minutes ahead', () => {
    expect(at('2026-03-31T12:04:00Z')).toEqual({ ok: true, at: RECEIVED.toISOString() })
    expect(at('2026-03-31T12:06:00Z')).toMatchObject({
      ok: false,
      message: expect.stringContaining('6 minutes after'),
    })
  })

  it('refuses a time older than 24 hours', () => {
    expect(at('2026-03-30T11:59:00Z')).toMatchObject({
      ok: false,
      message: expect.stringContaining('24 hours'),
    })
    const [issue] = issuesOf(body({ events: [pageView({ occurredAt: '2026-03-01T00:00:00Z' })] }))
    expect(issue?.path).toBe('events[0].occurredAt')
  })
})

describe('snippet serving helpers', () => {
  it('compacts whole-line comments and indentation only', () => {
    expect(compactSnippet("  // why\n  const a = 'x // y'\n\n    f(a) // keep\n")).toBe(
      "const a = 'x // y'\nf(a) // keep\n",
    )
  })

  it('picks brotli, then gzip, honouring q=0', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br')
    expect(pickEncoding('gzip, br;q=0')).toBe('gzip')
    expect(pickEncoding('deflate')).toBe('identity')
    expect(pickEncoding(undefined)).toBe('identity')
  })

  it('compares ETags weakly, in lists', () => {
    expect(etagMatches('"abc"', 'W/"abc"')).toBe(true)
    expect(etagMatches('W/"x", W/"abc"', 'W/"abc"')).toBe(true)
    expect(etagMatches('*', 'W/"abc"')).toBe(true)
    expect(etagMatches('"abd"', 'W/"abc"')).toBe(false)
    expect(etagMatches(undefined, 'W/"abc"')).toBe(false)
  })
})
