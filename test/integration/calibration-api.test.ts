/**
 * The calibration API on a real database: a suggestion learnt from the workspace's own outcomes
 * (and a clear 422 when there are too few), a challenger scored in shadow without touching the
 * champion's scores, compared and promoted in one call (audit log), the funnel KPIs per grid
 * version, and the 90-day review reminder. 80 small contacts: seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const clock = fixedClock('2026-03-01T12:00:00Z')
let t: TestApp
let auth: { authorization: string }
let championId: string

const grid = {
  name: 'Hand-made grid',
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

// The leads: conversion follows the industry (which the hand-made grid ignores), with some noise.
const N = 80
const lead = (i: number) => ({
  email: `lead${i}@x.io`,
  ceo: i % 2 === 0,
  software: i % 4 < 2,
  pricing: i % 3 === 0,
  meeting: i % 12 === 0,
  converted: i % 4 < 2 !== (i % 10 === 9),
})
const leads = Array.from({ length: N }, (_, i) => lead(i))
const mqls = leads.filter((l) => l.ceo && l.pricing)

async function api(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers = auth) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers, payload: payload as object })
}

beforeAll(async () => {
  t = await startTestApp({ clock })
  auth = { authorization: `Bearer ${t.workspace.apiKey}` }
  const created = await api('POST', '/grids', { definition: grid })
  championId = created.json().id
  expect((await api('POST', `/grids/${championId}/publish`)).statusCode).toBe(200)
  const contacts = leads.map((l) => ({
    contact: { email: l.email },
    properties: { jobtitle: l.ceo ? 'CEO' : 'Engineer', industry: l.software ? 'Software' : 'Retail' },
    createdAt: '2026-01-01T00:00:00Z',
  }))
  expect((await api('POST', '/contacts', { contacts })).statusCode).toBe(200)
  const events = leads.flatMap((l) => [
    ...(l.pricing
      ? [
          {
            contact: { email: l.email },
            type: 'page.viewed',
            occurredAt: '2026-02-20T00:00:00Z',
            attributes: { url: 'https://x.io/pricing' },
          },
        ]
      : []),
  ])
  expect((await api('POST', '/events', { events })).statusCode).toBe(202)
  // Scored at 1 March, 12:00: the MQL moment of the CEOs who saw the pricing page.
  await t.rescoreNow()
  // Later: meetings booked with some of them, then the outcomes (ingested once they happened).
  clock.set('2026-04-10T00:00:00Z')
  const meetings = leads
    .filter((l) => l.meeting)
    .map((l) => ({ contact: { email: l.email }, type: 'meeting.booked', occurredAt: '2026-03-05T12:00:00Z' }))
  expect((await api('POST', '/events', { events: meetings })).statusCode).toBe(202)
  await t.rescoreNow()
  const outcomes = leads.flatMap((l) => [
    {
      contact: { email: l.email },
      kind: l.converted ? 'sql' : 'disqualified',
      occurredAt: '2026-03-10T12:00:00Z',
    },
    ...(l.converted && l.ceo
      ? [{ contact: { email: l.email }, kind: 'won', occurredAt: '2026-04-09T12:00:00Z' }]
      : []),
  ])
  expect((await api('POST', '/outcomes', { outcomes })).statusCode).toBe(202)
})
afterAll(async () => {
  await t?.close()
})

describe('POST /api/v1/grids/:id/suggest', () => {
  it('learns from the workspace outcomes, explains each change and beats the current grid on held-out contacts', async () => {
    clock.set('2026-04-10T00:00:00Z')
    const res = await api('POST', `/grids/${championId}/suggest`, {})
    expect(res.statusCode).toBe(200)
    const s = res.json()
    expect(s.contacts).toMatchObject({ total: N, train: 60, heldOut: 20 })
    // The industry drives conversion: a rule on it appears, worth points relative to the more
    // common industry in the training split.
    const industry = s.changes.find((c: { explanation: string }) =>
      /^industry = (Software|Retail)/.test(c.explanation),
    )
    expect(industry).toMatchObject({ change: 'added' })
    expect(industry.explanation).toMatch(
      /^industry = (Retail \(new\) -\d+: converts \d+\.\d× less|Software \(new\) \+\d+: converts \d+\.\d× more) than average/,
    )
    // "Any page view" duplicates the pricing-page rule here: not proposed twice.
    expect(s.changes.map((c: { ruleId: string }) => c.ruleId)).not.toContain('event-page-viewed')
    // The CEO rule says nothing about conversion here: its points fall or go.
    const ceo = s.changes.find((c: { ruleId: string }) => c.ruleId === 'ceo')
    expect(ceo.explanation).toMatch(/^CEO \+50 → /)
    expect(s.heldOut.suggested.rocAuc).toBeGreaterThan(s.heldOut.current.rocAuc + 0.1)
    expect(s.heldOut.current.contacts).toBe(20)
    // The suggestion is a valid grid: it loads as a draft.
    expect((await api('POST', '/grids', { definition: s.suggested })).statusCode).toBe(201)
  })

  it('refuses with 422 and says how many outcomes are needed when there are too few', async () => {
    const res = await api('POST', `/grids/${championId}/suggest`, {
      from: '2026-01-01T00:00:00Z',
      to: '2026-03-01T00:00:00Z',
    })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.message).toMatch(
      /at least 50 contacts with an outcome.*10 converted.*this period has 0, 0 converted/,
    )
    expect((await api('POST', `/grids/${championId}/suggest`, { mqlShare: 2 })).statusCode).toBe(400)
  })

  it('sets the threshold for a precision goal, and takes one goal at a time', async () => {
    clock.set('2026-04-10T00:00:00Z')
    const res = await api('POST', `/grids/${championId}/suggest`, { precision: 0.6 })
    expect(res.statusCode).toBe(200)
    expect((await api('POST', '/grids', { definition: res.json().suggested })).statusCode).toBe(201)
    const both = await api('POST', `/grids/${championId}/suggest`, { precision: 0.6, mqlShare: 0.2 })
    expect(both.statusCode).toBe(400)
    expect(JSON.stringify(both.json())).toMatch(/choose one goal/)
  })
})

describe('funnel KPIs and the review reminder', () => {
  it('counts MQL → SQL → customer, time to first touch and cycle for the version that made the MQLs', async () => {
    clock.set('2026-04-10T00:00:00Z')
    const res = await api('GET', '/kpis')
    expect(res.statusCode).toBe(200)
    const k = res.json()
    const v = k.versions.find((x: { gridId: string }) => x.gridId === championId)
    const sqls = mqls.filter((l) => l.converted)
    expect(v).toMatchObject({
      mqls: mqls.length,
      sqls: sqls.length,
      customers: sqls.length,
      dealsCreated: sqls.length,
    })
    // Touch: a meeting on 5 March 12:00 (4 days) or the SQL on 10 March 12:00 (9 days) after 1 March 12:00.
    const touch = sqls.map((l) => (l.meeting ? 96 : 216)).sort((a, b) => a - b)
    const mid = touch.length / 2
    expect(v.medianHoursToFirstTouch).toBe(
      touch.length % 2 ? touch[Math.floor(mid)] : (touch[mid - 1]! + touch[mid]!) / 2,
    )
    expect(v.medianSalesCycleDays).toBe(39)
    expect(k.byMonth).toEqual([
      { month: '2026-03', mqls: mqls.length, dealsCreated: 0 },
      { month: '2026-04', mqls: 0, dealsCreated: leads.filter((l) => l.converted && l.ceo).length },
    ])
    expect(k.definitions.salesTouch).toMatch(/meeting\.booked/)
  })

  it('reminds after 90 days without review, and a review resets it', async () => {
    clock.set('2026-05-20T00:00:00Z')
    expect((await api('GET', '/review')).json().review).toMatchObject({ due: false, how: 'published' })
    clock.set('2026-06-01T00:00:00Z')
    const due = (await api('GET', '/review')).json().review
    expect(due).toMatchObject({ due: true })
    expect(due.message).toMatch(/not been reviewed for \d+ days/)
    expect((await api('GET', '/kpis')).json().review.due).toBe(true)
    const done = await api('POST', '/review', { note: 'Q3 review' })
    expect(done.json().review).toMatchObject({ due: false, how: 'marked reviewed', daysSinceReview: 0 })
  })
})

describe('champion / challenger', () => {
  it('scores the challenger in shadow only, compares both on new outcomes, and promotes in one call', async () => {
    clock.set('2026-07-02T00:00:00Z')
    const challengerDef = {
      ...grid,
      name: 'Software first',
      rules: [
        ...grid.rules,
        {
          id: 'software',
          label: 'Software',
          kind: 'fit',
          points: 60,
          when: { property: 'industry', op: 'eq', value: 'Software' },
        },
      ],
    }
    const draft = (await api('POST', '/grids', { definition: challengerDef })).json().id
    expect((await api('POST', `/grids/${championId}/challenger`)).statusCode).toBe(409)
    expect((await api('POST', `/grids/${draft}/challenger`)).statusCode).toBe(201)
    // Live traffic: lead 1 (software, not a CEO) visits the site.
    const ev = {
      contact: { email: 'lead1@x.io' },
      type: 'page.viewed',
      occurredAt: '2026-07-02T00:00:00Z',
      attributes: { url: 'https://x.io/blog' },
    }
    expect((await api('POST', '/events', { events: [ev] })).statusCode).toBe(202)
    await t.rescoreNow()
    const db = t.deps.db
    const shadow = await db
      .withTables<{
        challenger_scores: { contact_id: string; total: number; mql: boolean; workspace_id: string }
      }>()
      .selectFrom('challenger_scores')
      .select(['contact_id', 'total', 'mql'])
      .where('workspace_id', '=', t.workspace.workspaceId)
      .execute()
    expect(shadow).toHaveLength(1)
    expect(shadow[0]).toMatchObject({ total: 60, mql: false })
    const champion = await db
      .selectFrom('scores')
      .select(['grid_id', 'total'])
      .where('contact_id', '=', shadow[0]!.contact_id)
      .executeTakeFirstOrThrow()
    expect(champion).toEqual({ grid_id: championId, total: 0 })
    const foreign = await db
      .selectFrom('score_history')
      .select('grid_id')
      .where('grid_id', '=', draft)
      .execute()
    expect(foreign).toEqual([])
    expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([])

    // An outcome after the start: both grids backtested on the same contact.
    await api('POST', '/outcomes', {
      outcomes: [{ contact: { email: 'lead1@x.io' }, kind: 'won', occurredAt: '2026-07-03T00:00:00Z' }],
    })
    clock.set('2026-07-04T00:00:00Z')
    const cmp = (await api('GET', '/challenger')).json()
    expect(cmp.challenger).toMatchObject({ gridId: draft, startedBy: 'api key' })
    expect(cmp.live).toEqual({ contacts: 1, challengerMqls: 0, championMqls: 0, bothMql: 0 })
    expect(cmp.backtest.champion.contacts).toBe(1)
    expect(cmp.backtest.challenger.contacts).toBe(1)
    expect(cmp.backtest.challenger.falseNegatives.items[0].reasons).toBe('+60 Software')

    // Another workspace sees none of it, and cannot use this workspace's grid.
    const other = { authorization: `Bearer ${(await t.createWorkspace('Other')).apiKey}` }
    expect((await api('GET', '/challenger', undefined, other)).json()).toEqual({ challenger: null })
    expect((await api('GET', '/kpis', undefined, other)).json().versions).toEqual([])
    expect((await api('POST', `/grids/${draft}/challenger`, undefined, other)).statusCode).toBe(404)
    expect((await api('POST', `/grids/${championId}/suggest`, {}, other)).statusCode).toBe(404)

    const promoted = await api('POST', '/challenger/promote')
    expect(promoted.statusCode).toBe(201)
    expect(promoted.json().grid).toMatchObject({ status: 'published', name: 'Software first' })
    expect((await api('GET', '/challenger')).json()).toEqual({ challenger: null })
    const audit = await db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('workspace_id', '=', t.workspace.workspaceId)
      .orderBy('id')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['challenger.started', 'grid.published', 'challenger.promoted']),
    )
    expect((await api('POST', '/challenger/promote')).statusCode).toBe(404)

    // Under the two-person rule the page's promote becomes a publish request; once another admin
    // approves it, the published copy ends the trial (simulated here by publishing the same definition).
    const second = (
      await api('POST', '/grids', { definition: { ...challengerDef, name: 'Second challenger' } })
    ).json()
    expect((await api('POST', `/grids/${second.id}/challenger`)).statusCode).toBe(201)
    clock.set('2026-07-05T00:00:00Z')
    const copy = (await api('POST', '/grids', { definition: second.definition })).json()
    expect((await api('POST', `/grids/${copy.id}/publish`)).statusCode).toBe(200)
    expect((await api('GET', '/challenger')).json()).toEqual({ challenger: null })
  })
})
