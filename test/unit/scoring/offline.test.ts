/**
 * The offline command's line (SPEC §7): input validation naming the field, exact output keys.
 */
import { describe, expect, it } from 'vitest'
import {
  compileGrid,
  OfflineLineError,
  parseOfflineLine,
  scoreOfflineLine,
  starterGrid,
} from '../../../src/scoring/index.js'
import { NOW } from './helpers.js'

const compiled = compileGrid(starterGrid)
const line = {
  id: 'c-1',
  createdAt: '2026-01-01T00:00:00Z',
  properties: { email: 'claire@acme.io', jobtitle: 'CEO', company_size: '200', industry: 'Internet' },
  events: [
    { type: 'page.viewed', occurredAt: '2026-03-30T10:00:00Z', attributes: { url: '/pricing' } },
    {
      type: 'asset.downloaded',
      occurredAt: '2026-03-29T10:00:00Z',
      attributes: { assetId: 'wp', assetName: 'WP', assetType: 'whitepaper' },
    },
  ],
}

function errorOf(input: unknown): OfflineLineError {
  try {
    scoreOfflineLine(compiled, input, NOW)
  } catch (err) {
    if (err instanceof OfflineLineError) return err
    throw err
  }
  throw new Error('expected the line to be rejected')
}

describe('scoreOfflineLine', () => {
  it('outputs exactly the SPEC keys, score being the total', () => {
    const out = scoreOfflineLine(compiled, line, NOW)
    expect(Object.keys(out)).toEqual([
      'id',
      'fit',
      'engagement',
      'score',
      'band',
      'grade',
      'mql',
      'reasons',
      'contributions',
    ])
    expect(out).toMatchObject({
      id: 'c-1',
      fit: 15,
      engagement: 45,
      score: 60,
      band: 'warm',
      grade: 'A2',
      mql: false,
    })
    expect(out.reasons).toBe(
      '+25 Whitepapers (1) · +20 Pricing page (1 day) · +10 Company size > 50 · +5 Decision maker',
    )
  })
  it('accepts the line as a JSON string', () => {
    expect(scoreOfflineLine(compiled, JSON.stringify(line), NOW)).toEqual(
      scoreOfflineLine(compiled, line, NOW),
    )
  })
  it('applies hysteresis with a previous status', () => {
    const hovering = {
      ...line,
      events: [
        ...line.events,
        { type: 'page.viewed', occurredAt: '2026-03-28T10:00:00Z', attributes: { url: '/tarifs' } },
      ],
    }
    expect(scoreOfflineLine(compiled, hovering, NOW)).toMatchObject({ score: 80, mql: true })
    const lower = { ...line, properties: { ...line.properties, jobtitle: 'Analyst' } }
    expect(scoreOfflineLine(compiled, { ...lower, previous: { mql: true } }, NOW)).toMatchObject({
      score: 55,
      mql: false,
    })
    const near = { ...hovering, properties: { ...line.properties, jobtitle: 'Analyst' } }
    expect(scoreOfflineLine(compiled, near, NOW)).toMatchObject({ score: 75, mql: false })
    expect(scoreOfflineLine(compiled, { ...near, previous: { mql: true } }, NOW)).toMatchObject({
      score: 75,
      mql: true,
    })
  })
  it('accepts a line without properties or events', () => {
    expect(scoreOfflineLine(compiled, { id: 7, createdAt: '2026-03-30T00:00:00Z' }, NOW)).toMatchObject({
      id: 7,
      score: 0,
    })
  })
})

describe('invalid lines', () => {
  it('name the field, and carry the id when it is readable', () => {
    const bad = { ...line, createdAt: 'yesterday' }
    const err = errorOf(bad)
    expect(err.message).toMatch(/^createdAt: expected an ISO-8601 instant/)
    expect(err.id).toBe('c-1')
  })
  it('name a bad event field by index', () => {
    expect(
      errorOf({
        ...line,
        events: [{ type: 'page.viewed', occurredAt: '2026-03-30T10:00:00Z', attributes: {} }],
      }).message,
    ).toMatch(/^events\.0\.attributes\.url: /)
    expect(
      errorOf({ ...line, events: [{ type: 'page.visited', occurredAt: '2026-03-30T10:00:00Z' }] }).message,
    ).toMatch(/^events\.0\.type: /)
    expect(
      errorOf({ ...line, events: [{ type: 'custom', occurredAt: 'March 3', attributes: { name: 'x' } }] })
        .message,
    ).toMatch(/^events\.0\.occurredAt: /)
  })
  it('name a missing id, a bad property value, a bad previous', () => {
    const noId = errorOf({ createdAt: line.createdAt })
    expect(noId.message).toMatch(/^id: /)
    expect(noId.id).toBeNull()
    expect(errorOf({ ...line, properties: { x: { nested: true } } }).message).toMatch(/^properties\.x: /)
    expect(errorOf({ ...line, previous: { mql: 'yes' } }).message).toMatch(/^previous\.mql: /)
  })
  it('report invalid JSON and a non-object line', () => {
    expect(errorOf('{"id": ').message).toMatch(/^invalid JSON/)
    expect(errorOf('[]').message).toMatch(/^\(line\): /)
  })
  it('parseOfflineLine applies the defaults', () => {
    expect(parseOfflineLine({ id: 'x', createdAt: '2026-03-30T00:00:00Z' })).toMatchObject({
      properties: {},
      events: [],
    })
  })
})
