/**
 * SPEC §5's Starter grid, rule by rule, and its two worked examples.
 */
import { describe, expect, it } from 'vitest'
import { compileGrid, evaluate, prepareEvents, starterGrid } from '../../../src/scoring/index.js'
import { ago, contribution, DAY, event, HOUR, iso, NOW, pageView, score } from './helpers.js'

const fired = (r: ReturnType<typeof score>) =>
  Object.fromEntries(r.contributions.map((c) => [c.ruleId, c.points]))
const fitOf = (profile: Record<string, string | number | boolean | null>) =>
  fired(score(starterGrid, { profile }))
// A recent visit keeps `inactive-30-days` quiet in event tests.
const active = pageView(ago(HOUR), '/blog')
const engagementOf = (events: ReturnType<typeof event>[]) =>
  fired(score(starterGrid, { events: [active, ...events] }))

describe('starter grid definition', () => {
  it('has the SPEC rules, in order, with their ids, labels and points', () => {
    expect(starterGrid.name).toBe('Starter grid')
    expect(starterGrid.rules.map((r) => [r.id, r.kind, r.label, r.points])).toEqual([
      ['whitepaper', 'engagement', 'Whitepapers', 25],
      ['pricing-page', 'engagement', 'Pricing page', 20],
      ['newsletter-streak', 'streak', 'Newsletter streak', 15],
      ['company-size', 'fit', 'Company size > 50', 10],
      ['decision-maker', 'fit', 'Decision maker', 5],
      ['non-priority-sector', 'fit', 'Non-priority sector', -10],
      ['personal-email', 'fit', 'Personal email', -20],
      ['inactive-30-days', 'inactivity', 'Inactive 30 days', -30],
    ])
    expect(starterGrid).toMatchObject({
      lookbackDays: 90,
      mqlThreshold: 80,
      thresholds: { warm: 40, hot: 80 },
    })
    expect(starterGrid.rules.some((r) => r.kind === 'engagement' && r.halfLifeDays !== undefined)).toBe(false)
  })
})

describe('whitepaper: +25 per distinct asset', () => {
  const download = (assetId: string | undefined, assetName: string, assetType = 'whitepaper', age = DAY) =>
    event('asset.downloaded', ago(age), { ...(assetId ? { assetId } : {}), assetName, assetType })
  const form = (formName: string, formId?: string) =>
    event('form.submitted', ago(DAY), { formName, ...(formId ? { formId } : {}) })
  it('counts whitepaper downloads, not other asset types', () => {
    expect(engagementOf([download('wp1', 'A'), download('eb1', 'E', 'ebook')]).whitepaper).toBe(25)
  })
  it('counts each asset once, by id, else by name', () => {
    expect(
      engagementOf([
        download('wp1', 'A'),
        download('wp1', 'A (v2)', 'whitepaper', 3 * DAY),
        download('wp2', 'B'),
      ]).whitepaper,
    ).toBe(50)
    expect(
      engagementOf([
        download(undefined, 'Guide X'),
        download(undefined, 'GUIDE_X'),
        download(undefined, 'Guide Y'),
      ]).whitepaper,
    ).toBe(50)
  })
  it('counts forms whose name matches white ?paper|livre blanc', () => {
    expect(engagementOf([form('Download our White Paper', 'f1')]).whitepaper).toBe(25)
    expect(engagementOf([form('Livre-Blanc 2026', 'f2')]).whitepaper).toBe(25)
    expect(engagementOf([form('whitepaper: AI')]).whitepaper).toBe(25)
    expect(
      engagementOf([form('Contact us', 'f3'), form('Paper white', 'f4'), form('Blanc livre')]).whitepaper,
    ).toBeUndefined()
  })
  it('keeps form and download keys apart, and dedupes forms by id', () => {
    const same = [download('x1', 'A'), form('White paper', 'x1')]
    expect(engagementOf(same).whitepaper).toBe(50)
    expect(engagementOf([form('White paper', 'f1'), form('White paper (FR)', 'f1')]).whitepaper).toBe(25)
  })
  it('gives evidence by asset name', () => {
    const r = score(starterGrid, { events: [download('wp1', 'State of B2B'), form('Livre blanc ABM', 'f9')] })
    expect(contribution(r, 'whitepaper')).toMatchObject({
      count: 2,
      points: 50,
      evidence: ['Livre blanc ABM', 'State of B2B'],
    })
    expect(r.reasons).toMatch(/^\+50 Whitepapers \(2\)/)
  })
})

describe('pricing-page: +20 per day, at most 3 days', () => {
  it('matches a pricing or product segment in a full URL or a bare path', () => {
    for (const url of [
      '/pricing',
      'https://acme.io/fr/TARIFS?utm=x',
      '/tarif',
      '/prix/',
      '/product/scoring',
      '/products',
      '/produit',
      '/fr/produits#crm',
    ]) {
      expect(engagementOf([pageView(ago(DAY), url)])['pricing-page'], url).toBe(20)
    }
    for (const url of [
      '/blog/pricing-tips',
      '/pricingplans',
      '/docs?page=pricing',
      '/blog#pricing',
      'https://pricing.acme.io/',
    ]) {
      expect(engagementOf([pageView(ago(DAY), url)])['pricing-page'], url).toBeUndefined()
    }
  })
  it('counts UTC days and caps at 3', () => {
    const days = (n: number) =>
      Array.from({ length: n }, (_, i) => pageView(iso(NOW - i * DAY - HOUR), '/pricing'))
    expect(
      engagementOf(
        [pageView(ago(HOUR)), pageView(ago(2 * HOUR))].map((e) => ({
          ...e,
          attributes: { url: '/pricing' },
        })),
      )['pricing-page'],
    ).toBe(20)
    expect(engagementOf(days(2))['pricing-page']).toBe(40)
    expect(engagementOf(days(5))['pricing-page']).toBe(60)
    expect(contribution(score(starterGrid, { events: days(5) }), 'pricing-page')?.count).toBe(3)
  })
})

describe('newsletter-streak: +15 once', () => {
  it('awards three newsletters in a row opened', () => {
    const events = ['a', 'b', 'c'].flatMap((id, i) => [
      event('email.delivered', ago((10 - i) * DAY), { campaignId: id, category: 'newsletter' }),
      event('email.opened', ago((9 - i) * DAY), { campaignId: id, category: 'newsletter' }),
    ])
    expect(engagementOf(events)['newsletter-streak']).toBe(15)
  })
  it('not for nurture emails', () => {
    const events = ['a', 'b', 'c'].map((id) =>
      event('email.opened', ago(DAY), { campaignId: id, category: 'nurture' }),
    )
    expect(engagementOf(events)['newsletter-streak']).toBeUndefined()
  })
})

describe('company-size: +10 when company_size > 50', () => {
  it.each([
    [51, 10],
    ['200', 10],
    ['1,000', 10],
    [50, undefined],
    ['50', undefined],
    ['n/a', undefined],
    [null, undefined],
  ] as const)('%s → %s', (size, points) => {
    expect(fitOf({ company_size: size })['company-size']).toBe(points)
  })
})

describe('decision-maker: +5 for a whole decision word in jobtitle or seniority', () => {
  it.each([
    ['CEO', true],
    ['Marketing Manager', true],
    ['Head of Growth', true],
    ['Vice-President of Sales', true],
    ['VP Sales', true],
    ['Co-Founder & CTO', true],
    ['CEO & Founder', true],
    ['Directrice commerciale', true],
    ['Gérante', true],
    ['Responsable marketing', true],
    ['PDG', true],
    ['DG adjoint', true],
    ['Managing Partner', true],
    ['Managerial accountant', false],
    ['Headhunter', false],
    ['Ownership analyst', false],
    ['Partnerships lead', false],
    ['Software Engineer', false],
    ['Chiefly an engineer', false],
  ])('jobtitle %s → %s', (jobtitle, expected) => {
    expect(fitOf({ jobtitle })['decision-maker'] === 5).toBe(expected)
  })
  it('also reads seniority', () => {
    expect(fitOf({ jobtitle: 'Analyst', seniority: 'Director' })['decision-maker']).toBe(5)
    expect(fitOf({ jobtitle: null, seniority: 'C-level' })['decision-maker']).toBeUndefined()
  })
})

describe('non-priority-sector: −10 when the industry is known and not a priority', () => {
  it.each([
    ['Retail', -10],
    ['COMPUTER_SOFTWARE', undefined],
    ['information technology and services', undefined],
    ['Marketing-and-Advertising', undefined],
    ['  Internet ', undefined],
    ['Financial Services', undefined],
    ['Management Consulting', undefined],
    ['Internet Services', -10],
    ['', undefined],
    [null, undefined],
  ] as const)('%s → %s', (industry, points) => {
    expect(fitOf({ industry })['non-priority-sector']).toBe(points)
  })
})

describe('personal-email: −20 for a free email provider', () => {
  it.each([
    ['joe@gmail.com', -20],
    ['Joe@Yahoo.FR', -20],
    ['luc@orange.fr', -20],
    ['max@laposte.net', -20],
    ['ann@hotmail.fr', -20],
    ['zoe@icloud.com', -20],
    ['jane@acme.io', undefined],
    ['jane@sub.gmail.com', undefined],
    [null, undefined],
  ] as const)('%s → %s', (email, points) => {
    expect(fitOf({ email })['personal-email']).toBe(points)
  })
})

describe('inactive-30-days: −30 engagement', () => {
  it('after more than 30 days without activity', () => {
    expect(
      fired(score(starterGrid, { events: [pageView(ago(31 * DAY), '/blog')] }))['inactive-30-days'],
    ).toBe(-30)
    expect(
      fired(score(starterGrid, { events: [pageView(ago(29 * DAY), '/blog')] }))['inactive-30-days'],
    ).toBeUndefined()
  })
})

describe('SPEC §5 worked examples, on 2026-03-31T12:00Z', () => {
  const compiled = compileGrid(starterGrid)
  it('a CEO of a 200-person software company with two whitepapers and pricing on two days: 15 + 90 = 105, hot, A1, MQL', () => {
    const result = evaluate(
      compiled,
      {
        profile: {
          jobtitle: 'CEO',
          company_size: 200,
          industry: 'Computer Software',
          email: 'claire@acme-software.com',
        },
        createdAt: Date.parse('2026-01-10T09:00:00Z'),
        events: prepareEvents([
          event('asset.downloaded', '2026-03-26T10:00:00Z', {
            assetId: 'wp-abm',
            assetName: 'ABM playbook',
            assetType: 'whitepaper',
          }),
          event('asset.downloaded', '2026-03-27T10:00:00Z', {
            assetId: 'wp-scoring',
            assetName: 'Lead scoring 101',
            assetType: 'whitepaper',
          }),
          event('page.viewed', '2026-03-29T15:00:00Z', { url: 'https://acme-software.com/pricing' }),
          event('page.viewed', '2026-03-30T08:00:00Z', { url: 'https://acme-software.com/pricing?plan=pro' }),
          event('page.viewed', '2026-03-30T08:05:00Z', { url: 'https://acme-software.com/pricing' }),
        ]),
      },
      NOW,
    )
    expect(result).toMatchObject({ fit: 15, engagement: 90, total: 105, band: 'hot', grade: 'A1', mql: true })
    expect(result.mqlSince).toBe('2026-03-31T12:00:00.000Z')
    expect(result.reasons).toBe(
      '+50 Whitepapers (2) · +40 Pricing page (2 days) · +10 Company size > 50 · +5 Decision maker',
    )
  })

  it('a Gmail user without a title at a 10-person retail shop, last seen 45 days ago: −30 − 30 = −60, cold, C3', () => {
    const result = evaluate(
      compiled,
      {
        profile: { email: 'bob.shop@gmail.com', jobtitle: null, company_size: 10, industry: 'Retail' },
        createdAt: Date.parse('2026-02-01T00:00:00Z'),
        events: prepareEvents([
          event('page.viewed', iso(NOW - 45 * DAY), { url: 'https://acme-software.com/blog/crm-tips' }),
        ]),
      },
      NOW,
    )
    expect(result).toMatchObject({
      fit: -30,
      engagement: -30,
      total: -60,
      band: 'cold',
      grade: 'C3',
      mql: false,
      mqlSince: null,
    })
    expect(result.reasons).toBe(
      '\u221230 Inactive 30 days · \u221220 Personal email · \u221210 Non-priority sector',
    )
  })
})
