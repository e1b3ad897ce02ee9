/**
 * POST /api/v1/grids/:id/backtest on a real database: contacts with outcomes scored as of their
 * decision (a page view AFTER the decision must not count), precision / recall / AUC, and the
 * false positives / negatives listed with their reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
let auth: { authorization: string }
let gridId: string

const grid = {
  name: 'Backtest grid',
  mqlThreshold: 80,
  rules: [
    {
      id: 'ceo',
      label: 'CEO',
      kind: 'fit',
      points: 50,
      when: { property: 'jobtitle', op: 'containsWord', value: ['ceo'] },
    },
    {
      id: 'pricing',
      label: 'Pricing page',
      kind: 'engagement',
      points: 40,
      maxCount: 1,
      events: {
        types: ['page.viewed'],
        where: { attribute: 'url.pathSegment', op: 'in', value: ['pricing'] },
      },
    },
  ],
}

async function api(method: 'GET' | 'POST', url: string, payload?: unknown, headers = auth) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers, payload: payload as object })
}

beforeAll(async () => {
  t = await startTestApp()
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
  const created = await api('POST', '/grids', { definition: grid })
  expect(created.statusCode).toBe(201)
  gridId = created.json().id
  const contact = (email: string, jobtitle?: string) => ({
    contact: { email },
    properties: jobtitle ? { jobtitle } : {},
    createdAt: '2026-02-01T00:00:00Z',
  })
  expect(
    (
      await api('POST', '/contacts', {
        contacts: [
          contact('a@x.io', 'CEO'),
          contact('b@x.io', 'CEO'),
          contact('c@x.io', 'CEO'),
          contact('d@x.io'),
          contact('e@x.io', 'CEO'),
        ],
      })
    ).statusCode,
  ).toBe(200)
  const view = (email: string, at: string) => ({
    contact: { email },
    type: 'page.viewed',
    occurredAt: at,
    attributes: { url: 'https://x.io/pricing' },
  })
  expect(
    (
      await api('POST', '/events', {
        events: [
          view('a@x.io', '2026-03-01T00:00:00Z'),
          view('b@x.io', '2026-03-20T00:00:00Z'),
          view('c@x.io', '2026-03-01T00:00:00Z'),
        ],
      })
    ).statusCode,
  ).toBe(202)
  const outcome = (email: string, kind: string, at: string) => ({ contact: { email }, kind, occurredAt: at })
  expect(
    (
      await api('POST', '/outcomes', {
        outcomes: [
          outcome('a@x.io', 'won', '2026-03-10T00:00:00Z'),
          outcome('b@x.io', 'sql', '2026-03-10T00:00:00Z'),
          outcome('b@x.io', 'won', '2026-03-25T00:00:00Z'),
          outcome('c@x.io', 'lost', '2026-03-12T00:00:00Z'),
          outcome('d@x.io', 'disqualified', '2026-03-05T00:00:00Z'),
          outcome('e@x.io', 'won', '2026-05-01T00:00:00Z'),
        ],
      })
    ).statusCode,
  ).toBe(202)
})
afterAll(async () => {
  await t?.close()
})

describe('POST /api/v1/grids/:id/backtest', () => {
  it('scores each contact as of its decision and reports the threshold figures', async () => {
    const res = await api('POST', `/grids/${gridId}/backtest`, {
      from: '2026-03-01T00:00:00Z',
      to: '2026-04-01T00:00:00Z',
    })
    expect(res.statusCode).toBe(200)
    const b = res.json()
    expect(b.grid).toMatchObject({ id: gridId, status: 'draft' })
    expect(b).toMatchObject({ contacts: 4, converted: 2, conversionRate: 0.5, truncated: false })
    expect(b.threshold).toEqual({ mqlThreshold: 80, mqls: 2, precision: 0.5, recall: 0.5, f1: 0.5 })
    // A (90, won) ties C (90, lost); both beat D (0); B scored 50 as its pricing visit came after its SQL.
    expect(b.rocAuc).toBe(0.625)
    expect(b.falseNegatives.total).toBe(1)
    expect(b.falseNegatives.items[0]).toMatchObject({
      email: 'b@x.io',
      score: 50,
      reasons: '+50 CEO',
      decidedAt: '2026-03-10T00:00:00.000Z',
    })
    expect(b.falsePositives.items.map((i: { email: string }) => i.email)).toEqual(['c@x.io'])
    expect(b.falsePositives.items[0].reasons).toBe('+50 CEO · +40 Pricing page (1)')
    expect(b.byBand.find((x: { band: string }) => x.band === 'hot')).toMatchObject({
      contacts: 2,
      converted: 1,
      lift: 1,
    })
    expect(b.byDecile[0]).toMatchObject({ decile: 1, maxScore: 90 })
    expect(b.byDecile.reduce((s: number, d: { contacts: number }) => s + d.contacts, 0)).toBe(4)
  })

  it('answers 400 for a bad period and 404 for a grid of another workspace', async () => {
    const bad = await api('POST', `/grids/${gridId}/backtest`, {
      from: '2026-04-01T00:00:00Z',
      to: '2026-03-01T00:00:00Z',
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toBe('to: must be after from')
    expect(
      (await api('POST', `/grids/${gridId}/backtest`, { from: 'March', to: '2026-03-01T00:00:00Z' }))
        .statusCode,
    ).toBe(400)
    const other = await t.createWorkspace('Other')
    const hidden = await api(
      'POST',
      `/grids/${gridId}/backtest`,
      { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' },
      {
        authorization: `Bearer ${other.apiKey}`,
      },
    )
    expect(hidden.statusCode).toBe(404)
  })
})
