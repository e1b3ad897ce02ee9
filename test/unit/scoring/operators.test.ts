/**
 * Condition operators and their edges (glossary in src/scoring/types.ts): normalization, numeric
 * coercion, unknown values, whole words, regexes, email domains, combinators, event subjects.
 */
import { describe, expect, it } from 'vitest'
import { ago, DAY, event, eventMatches, fitMatches, pageView } from './helpers.js'

const p = (property: string, op: string, value?: unknown) =>
  value === undefined ? { property, op } : { property, op, value }

describe('eq / neq', () => {
  it('compares normalized strings: case, "_" and "-" as spaces, whitespace collapsed', () => {
    expect(fitMatches(p('industry', 'eq', 'Computer Software'), { industry: 'COMPUTER_SOFTWARE' })).toBe(true)
    expect(fitMatches(p('industry', 'eq', 'computer-software'), { industry: '  Computer   Software ' })).toBe(
      true,
    )
    expect(fitMatches(p('industry', 'eq', 'Computer Software'), { industry: 'Computer Softwares' })).toBe(
      false,
    )
  })
  it('keeps accents', () => {
    expect(fitMatches(p('jobtitle', 'eq', 'gerant'), { jobtitle: 'Gérant' })).toBe(false)
    expect(fitMatches(p('jobtitle', 'eq', 'GÉRANT'), { jobtitle: 'gérant' })).toBe(true)
  })
  it('compares numerically with a number operand, coercing numeric strings', () => {
    expect(fitMatches(p('company_size', 'eq', 50), { company_size: '50' })).toBe(true)
    expect(fitMatches(p('company_size', 'eq', 1000), { company_size: '1,000' })).toBe(true)
    expect(fitMatches(p('company_size', 'eq', 50), { company_size: 'fifty' })).toBe(false)
  })
  it('compares booleans', () => {
    expect(fitMatches(p('hubspot.opted_in', 'eq', true), { 'hubspot.opted_in': true })).toBe(true)
    expect(fitMatches(p('hubspot.opted_in', 'eq', true), { 'hubspot.opted_in': 'TRUE' })).toBe(true)
    expect(fitMatches(p('hubspot.opted_in', 'eq', true), { 'hubspot.opted_in': false })).toBe(false)
  })
  it('eq is false and neq true on an unknown value', () => {
    for (const value of [null, '', '   ']) {
      expect(fitMatches(p('industry', 'eq', 'Retail'), { industry: value })).toBe(false)
      expect(fitMatches(p('industry', 'neq', 'Retail'), { industry: value })).toBe(true)
    }
    expect(fitMatches(p('industry', 'neq', 'Retail'), {})).toBe(true)
    expect(fitMatches(p('industry', 'neq', 'Retail'), { industry: 'retail' })).toBe(false)
  })
})

describe('in / notIn', () => {
  const sectors = ['Computer Software', 'Internet', 42]
  it('matches any listed value, normalized', () => {
    expect(fitMatches(p('industry', 'in', sectors), { industry: 'computer_software' })).toBe(true)
    expect(fitMatches(p('industry', 'in', sectors), { industry: 'INTERNET' })).toBe(true)
    expect(fitMatches(p('industry', 'in', sectors), { industry: 'Retail' })).toBe(false)
    expect(fitMatches(p('industry', 'in', sectors), { industry: '42' })).toBe(true)
  })
  it('notIn is true on an unknown value (require isKnown to exclude it)', () => {
    expect(fitMatches(p('industry', 'notIn', sectors), {})).toBe(true)
    expect(fitMatches(p('industry', 'notIn', sectors), { industry: 'Retail' })).toBe(true)
    expect(fitMatches(p('industry', 'notIn', sectors), { industry: 'Internet' })).toBe(false)
  })
})

describe('contains / notContains / startsWith / endsWith', () => {
  it('work on normalized strings and accept a list (any of)', () => {
    expect(fitMatches(p('jobtitle', 'contains', 'market'), { jobtitle: 'Head of MARKETING' })).toBe(true)
    expect(fitMatches(p('jobtitle', 'contains', ['sales', 'growth']), { jobtitle: 'Growth_Lead' })).toBe(true)
    expect(fitMatches(p('jobtitle', 'contains', 'growth lead'), { jobtitle: 'Growth-Lead' })).toBe(true)
    expect(fitMatches(p('jobtitle', 'startsWith', 'head of'), { jobtitle: 'Head_of Sales' })).toBe(true)
    expect(fitMatches(p('jobtitle', 'startsWith', 'of'), { jobtitle: 'Head of Sales' })).toBe(false)
    expect(fitMatches(p('email', 'endsWith', '.fr'), { email: 'luc@ACME.FR' })).toBe(true)
  })
  it('notContains is true on an unknown value', () => {
    expect(fitMatches(p('jobtitle', 'notContains', 'intern'), { jobtitle: null })).toBe(true)
    expect(fitMatches(p('jobtitle', 'notContains', 'intern'), { jobtitle: 'Internal auditor' })).toBe(false)
  })
})

describe('containsWord', () => {
  const words = ['manager', 'head', 'vice president', 'co-founder', 'founder', 'ceo', 'gérant', 'vp']
  const cases: [string, boolean][] = [
    ['Marketing Manager', true],
    ['Managerial accountant', false],
    ['Headhunter', false],
    ['Head of Growth', true],
    ['Vice-President of Sales', true],
    ['President', false],
    ['CEO & Founder', true],
    ['co-founder', true],
    ['Co_Founder', true],
    ['Gérant', true],
    ['Gérante', false],
    ['ex-VP/Sales', true],
    ['VPN engineer', false],
    ['', false],
  ]
  it.each(cases)('%s → %s', (title, expected) => {
    expect(fitMatches(p('jobtitle', 'containsWord', words), { jobtitle: title })).toBe(expected)
  })
  it('treats accented letters as letters (no boundary inside "directeur général")', () => {
    expect(fitMatches(p('jobtitle', 'containsWord', 'g'), { jobtitle: 'Directeur général' })).toBe(false)
    expect(fitMatches(p('jobtitle', 'containsWord', 'général'), { jobtitle: 'Directeur général' })).toBe(true)
  })
})

describe('matches', () => {
  it('tests the value as written or normalized, case-insensitively', () => {
    const when = p('formName', 'matches', 'white ?paper|livre blanc')
    expect(fitMatches(when, { formName: 'Download our WHITEPAPER' })).toBe(true)
    expect(fitMatches(when, { formName: 'White-Paper 2026' })).toBe(true)
    expect(fitMatches(when, { formName: 'livre_blanc' })).toBe(true)
    expect(fitMatches(when, { formName: 'Paper white' })).toBe(false)
    expect(fitMatches(p('jobtitle', 'matches', '^vp-'), { jobtitle: 'VP-Sales' })).toBe(true)
  })
  it('caps the input at 512 characters', () => {
    const when = p('jobtitle', 'matches', 'needle')
    expect(fitMatches(when, { jobtitle: `${'x'.repeat(500)} needle` })).toBe(true)
    expect(fitMatches(when, { jobtitle: `${'x'.repeat(520)} needle` })).toBe(false)
  })
  it('is false on an unknown value', () => {
    expect(fitMatches(p('jobtitle', 'matches', '.*'), { jobtitle: null })).toBe(false)
  })
})

describe('numeric operators', () => {
  it('coerce numeric strings; a non-numeric value makes them false', () => {
    expect(fitMatches(p('company_size', 'gt', 50), { company_size: 200 })).toBe(true)
    expect(fitMatches(p('company_size', 'gt', 50), { company_size: '200' })).toBe(true)
    expect(fitMatches(p('company_size', 'gt', 50), { company_size: ' 75 ' })).toBe(true)
    expect(fitMatches(p('company_size', 'gt', 500), { company_size: '1,000' })).toBe(true)
    expect(fitMatches(p('company_size', 'gt', 500), { company_size: '1 000' })).toBe(true)
    expect(fitMatches(p('company_size', 'gt', 10), { company_size: '1,5' })).toBe(false)
    expect(fitMatches(p('company_size', 'gt', 10), { company_size: '50-200' })).toBe(false)
    expect(fitMatches(p('company_size', 'gt', 0), { company_size: 'n/a' })).toBe(false)
    expect(fitMatches(p('company_size', 'gt', 0), { company_size: true })).toBe(false)
    expect(fitMatches(p('company_size', 'lt', 1e9), { company_size: null })).toBe(false)
  })
  it('gt/gte/lt/lte boundaries', () => {
    expect(fitMatches(p('company_size', 'gt', 50), { company_size: 50 })).toBe(false)
    expect(fitMatches(p('company_size', 'gte', 50), { company_size: 50 })).toBe(true)
    expect(fitMatches(p('company_size', 'lt', 50), { company_size: 50 })).toBe(false)
    expect(fitMatches(p('company_size', 'lte', 50), { company_size: '50' })).toBe(true)
  })
  it('between is inclusive', () => {
    const when = p('company_size', 'between', [10, 50])
    expect(fitMatches(when, { company_size: 10 })).toBe(true)
    expect(fitMatches(when, { company_size: 50 })).toBe(true)
    expect(fitMatches(when, { company_size: 9.99 })).toBe(false)
    expect(fitMatches(when, { company_size: 51 })).toBe(false)
  })
})

describe('isKnown / isUnknown', () => {
  it('null, missing and blank strings are unknown; 0 and false are known', () => {
    for (const value of [null, '', ' \t ']) expect(fitMatches(p('x', 'isKnown'), { x: value })).toBe(false)
    expect(fitMatches(p('x', 'isKnown'), {})).toBe(false)
    expect(fitMatches(p('x', 'isUnknown'), {})).toBe(true)
    for (const value of [0, false, 'a']) {
      expect(fitMatches(p('x', 'isKnown'), { x: value })).toBe(true)
      expect(fitMatches(p('x', 'isUnknown'), { x: value })).toBe(false)
    }
  })
})

describe('email domains', () => {
  it('isFreeEmail uses the maintained list, case-insensitively', () => {
    for (const email of [
      'joe@gmail.com',
      'Joe@GMAIL.COM',
      'a@yahoo.fr',
      'b@orange.fr',
      'c@laposte.net',
      'd@free.fr',
      'e@hotmail.fr',
      'f@outlook.com',
      'g@icloud.com',
    ]) {
      expect(fitMatches(p('email', 'isFreeEmail'), { email })).toBe(true)
    }
    for (const email of ['jane@acme.io', 'jane@eu.gmail.com.acme.io', '', 'not-an-email']) {
      expect(fitMatches(p('email', 'isFreeEmail'), { email })).toBe(false)
    }
    expect(fitMatches(p('email', 'isFreeEmail'), { email: null })).toBe(false)
  })
  it('takes the domain after the last @', () => {
    expect(fitMatches(p('email', 'isFreeEmail'), { email: '"odd@acme.io"@gmail.com' })).toBe(true)
  })
  it('emailDomainIn matches the domain or a subdomain of it', () => {
    const when = p('email', 'emailDomainIn', ['acme.io', '@Globex.com'])
    expect(fitMatches(when, { email: 'jane@acme.io' })).toBe(true)
    expect(fitMatches(when, { email: 'jane@eu.ACME.io' })).toBe(true)
    expect(fitMatches(when, { email: 'jane@globex.com' })).toBe(true)
    expect(fitMatches(when, { email: 'jane@notacme.io' })).toBe(false)
    expect(fitMatches(when, { email: 'jane@acme.io.evil.com' })).toBe(false)
  })
})

describe('combinators', () => {
  const size = p('company_size', 'gt', 50)
  const retail = p('industry', 'eq', 'retail')
  it('all / any / not', () => {
    expect(fitMatches({ all: [size, retail] }, { company_size: 60, industry: 'Retail' })).toBe(true)
    expect(fitMatches({ all: [size, retail] }, { company_size: 60, industry: 'Food' })).toBe(false)
    expect(fitMatches({ any: [size, retail] }, { company_size: 6, industry: 'Retail' })).toBe(true)
    expect(fitMatches({ any: [size, retail] }, { company_size: 6, industry: 'Food' })).toBe(false)
    expect(fitMatches({ not: retail }, { industry: 'Food' })).toBe(true)
    expect(fitMatches({ not: { any: [size, { all: [retail] }] } }, { company_size: 1 })).toBe(true)
  })
})

describe('event subjects', () => {
  const pricing = {
    types: ['page.viewed'],
    where: { attribute: 'url.pathSegment', op: 'in', value: ['pricing', 'tarifs'] },
  }
  it('url.pathSegment: any segment of the path, full URL or bare path, query and fragment ignored', () => {
    expect(eventMatches(pricing, [pageView(ago(DAY), 'https://acme.io/fr/Tarifs/?utm=pricing#top')])).toBe(1)
    expect(eventMatches(pricing, [pageView(ago(DAY), '/pricing')])).toBe(1)
    expect(eventMatches(pricing, [pageView(ago(DAY), '/blog/pricing-strategy')])).toBe(0)
    expect(eventMatches(pricing, [pageView(ago(DAY), '/blog?topic=pricing')])).toBe(0)
    expect(eventMatches(pricing, [pageView(ago(DAY), 'https://pricing.acme.io/')])).toBe(0)
  })
  it('a negated operator on url.pathSegment holds when no segment satisfies it', () => {
    const notPricing = {
      types: ['page.viewed'],
      where: { attribute: 'url.pathSegment', op: 'notIn', value: ['pricing'] },
    }
    expect(eventMatches(notPricing, [pageView(ago(DAY), '/blog/x')])).toBe(1)
    expect(eventMatches(notPricing, [pageView(ago(DAY), '/en/pricing')])).toBe(0)
  })
  it('url.path and url.host', () => {
    const blog = {
      types: ['page.viewed'],
      where: { attribute: 'url.path', op: 'startsWith', value: '/blog/' },
    }
    expect(eventMatches(blog, [pageView(ago(DAY), 'https://acme.io/Blog/x?y')])).toBe(1)
    const host = { types: ['page.viewed'], where: { attribute: 'url.host', op: 'eq', value: 'docs.acme.io' } }
    expect(eventMatches(host, [pageView(ago(DAY), 'https://DOCS.acme.io/a')])).toBe(1)
    expect(eventMatches(host, [pageView(ago(DAY), '/a')])).toBe(0)
  })
  it('selects by type, and a list of selectors matches any', () => {
    const either = [
      { types: ['asset.downloaded'], where: { attribute: 'assetType', op: 'eq', value: 'whitepaper' } },
      { types: ['webinar.attended'] },
    ]
    const events = [
      event('asset.downloaded', ago(DAY), { assetId: 'a', assetType: 'whitepaper' }),
      event('asset.downloaded', ago(DAY), { assetId: 'b', assetType: 'ebook' }),
      event('webinar.attended', ago(DAY), { eventId: 'w' }),
      event('webinar.registered', ago(DAY), { eventId: 'w' }),
    ]
    expect(eventMatches(either, events)).toBe(2)
  })
  it('custom events by name', () => {
    const trial = { types: ['custom'], where: { attribute: 'name', op: 'eq', value: 'trial started' } }
    expect(eventMatches(trial, [event('custom', ago(DAY), { name: 'trial_started', plan: 'pro' })])).toBe(1)
  })
})
