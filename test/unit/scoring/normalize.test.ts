/**
 * Normalization helpers and event preparation: strings, numbers, URLs, instants, days, rounding.
 */
import { describe, expect, it } from 'vitest'
import { normalizeText, parseUrl, roundHalfAway, toNumber, wordsOf } from '../../../src/scoring/normalize.js'
import { prepareEvents } from '../../../src/scoring/prepare.js'
import { isoDay, parseInstant } from '../../../src/scoring/time.js'
import { event } from './helpers.js'

describe('normalizeText', () => {
  it.each([
    ['COMPUTER_SOFTWARE', 'computer software'],
    ['  Computer -  Software ', 'computer software'],
    ['Vice‑President', 'vice president'], // non-breaking hyphen
    ['Co—Founder', 'co founder'], // em dash
    ['a\u00a0b\tc\nd', 'a b c d'],
    ['Gérant', 'gérant'],
    ['already clean', 'already clean'],
    ['', ''],
    ['   ', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizeText(input)).toBe(expected)
  })
})

describe('wordsOf', () => {
  it('splits on anything but letters, digits and marks', () => {
    expect(wordsOf('ceo & founder')).toEqual(['ceo', 'founder'])
    expect(wordsOf("directeur d'agence")).toEqual(['directeur', 'd', 'agence'])
    expect(wordsOf('gérante / pdg')).toEqual(['gérante', 'pdg'])
    expect(wordsOf('vp2 (emea)')).toEqual(['vp2', 'emea'])
    expect(wordsOf('')).toEqual([])
  })
})

describe('toNumber', () => {
  it.each([
    [200, 200],
    ['200', 200],
    [' 75 ', 75],
    ['1,000', 1000],
    ['1 000', 1000],
    ['12,345,678.5', 12345678.5],
    ['-3.5', -3.5],
    ['.5', 0.5],
  ])('%j → %j', (input, expected) => expect(toNumber(input)).toBe(expected))
  it.each([
    '1,5',
    '1,00',
    'n/a',
    '50-200',
    '0x10',
    '1e3',
    '',
    'Infinity',
    true,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])('%j is not numeric', (input) => expect(toNumber(input)).toBeNaN())
})

describe('parseUrl', () => {
  it('reads web URLs as browsers do: backslashes are slashes, dot segments resolved', () => {
    expect(parseUrl('https://acme.com/pricing/../blog')).toMatchObject({ path: '/blog', segments: ['blog'] })
    expect(parseUrl('/pricing/%2E%2E/blog/./x')).toMatchObject({ path: '/blog/x', segments: ['blog', 'x'] })
    expect(parseUrl('https://acme.com\\pricing')).toMatchObject({ host: 'acme.com', segments: ['pricing'] })
    expect(parseUrl('/..')).toMatchObject({ path: '/', segments: [] })
  })

  it('takes the path of a full URL, a protocol-relative URL or a bare path', () => {
    expect(parseUrl('https://www.Acme.io:443/Fr/Tarifs/?a=1#b')).toEqual({
      host: 'www.acme.io',
      path: '/fr/tarifs/',
      segments: ['fr', 'tarifs'],
    })
    expect(parseUrl('//cdn.acme.io/x')).toMatchObject({ host: 'cdn.acme.io', segments: ['x'] })
    expect(parseUrl('/pricing#plans')).toEqual({ host: null, path: '/pricing', segments: ['pricing'] })
    expect(parseUrl('?only=query')).toEqual({ host: null, path: '', segments: [] })
  })
  it('percent-decodes segments, keeping a malformed one as written', () => {
    expect(parseUrl('/produits/%C3%A9t%C3%A9').segments).toEqual(['produits', 'été'])
    expect(parseUrl('/prix%zz').segments).toEqual(['prix%zz'])
  })
})

describe('parseInstant', () => {
  it('agrees with Date.parse on zoned ISO instants', () => {
    for (const s of [
      '2026-03-31T12:00:00Z',
      '2026-03-31T12:00:00.5Z',
      '2026-03-31T12:00:00.123+02:00',
      '2024-02-29T23:59:59.999-05:30',
      '1970-01-01T00:00:00Z',
    ]) {
      expect(parseInstant(s), s).toBe(Date.parse(s))
    }
  })
  it('reads a date-time without a zone as UTC, never as local time', () => {
    expect(parseInstant('2026-03-31T12:00:00')).toBe(Date.parse('2026-03-31T12:00:00Z'))
    expect(parseInstant('2026-03-31 12:00:00')).toBe(Date.parse('2026-03-31T12:00:00Z'))
    expect(parseInstant('2026-03-31')).toBe(Date.parse('2026-03-31T00:00:00Z'))
  })
  it('returns NaN for garbage', () => {
    expect(parseInstant('yesterday')).toBeNaN()
    expect(parseInstant('2026-13-01T00:00:00Z')).toBeNaN()
  })
})

describe('isoDay and roundHalfAway', () => {
  it('formats UTC day numbers', () => {
    expect(isoDay(0)).toBe('1970-01-01')
    expect(isoDay(Math.floor(Date.parse('2024-02-29T10:00:00Z') / 86_400_000))).toBe('2024-02-29')
    expect(isoDay(-1)).toBe('1969-12-31')
  })
  it('rounds halves away from zero, after removing floating noise', () => {
    expect(roundHalfAway(2.5)).toBe(3)
    expect(roundHalfAway(-2.5)).toBe(-3)
    expect(roundHalfAway(2.4999999999)).toBe(3) // noise below 1e-9 ignored
    expect(roundHalfAway(2.49)).toBe(2)
    expect(roundHalfAway(0.1 + 0.2, 1)).toBe(0.3)
    expect(roundHalfAway(1.005, 2)).toBe(1.01)
    expect(roundHalfAway(-1.005, 2)).toBe(-1.01)
    expect(Object.is(roundHalfAway(-0.4), 0)).toBe(true)
  })
})

describe('prepareEvents', () => {
  it('sorts by time, parses once and keeps the original event', () => {
    const raw = [
      event('page.viewed', '2026-03-30T10:00:00Z', { url: 'https://a.io/Pricing?x', title: ' Pricing ' }),
      event('email.delivered', '2026-03-29T10:00:00+01:00', { campaignId: 'C-1', category: 'newsletter' }),
    ]
    const [first, second] = prepareEvents(raw)
    expect(first?.type).toBe('email.delivered')
    expect(first?.activity).toBe(false)
    expect(first?.t).toBe(Date.parse('2026-03-29T09:00:00Z'))
    expect(first?.norms['campaignId']).toBe('c 1')
    expect(second?.segments).toEqual(['pricing'])
    expect(second?.path).toBe('/pricing')
    expect(second?.label).toBe('Pricing')
    expect(second?.source).toBe(raw[0])
    expect(second?.day).toBe(Math.floor(Date.parse('2026-03-30T10:00:00Z') / 86_400_000))
  })
  it('drops events whose instant cannot be parsed, and unknown attribute values', () => {
    const prepared = prepareEvents([
      event('custom', 'not a date', { name: 'x' }),
      event('custom', '2026-03-30T10:00:00Z', { name: 'x', empty: '  ', none: null }),
    ])
    expect(prepared).toHaveLength(1)
    expect(Object.keys(prepared[0]!.norms)).toEqual(['name'])
  })
  it('returns a frozen list', () => {
    expect(Object.isFrozen(prepareEvents([]))).toBe(true)
  })
})
