import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  classifyPropertyChange,
  isEchoOfOwnWrite,
  lifecycleStageOnMql,
  parseEmployeeCount,
  profileFromHubSpot,
  scoreToHubSpotProperties,
} from '../../../src/crm/hubspot/mapping.js'
import { engagementEventsFromSnapshot } from '../../../src/crm/hubspot/records-events.js'
import { eventInputSchema } from '../../../src/events/ingestion-schemas.js'
import { starterGrid } from '../../../src/scoring/index.js'
import { gridWith, score } from '../scoring/helpers.js'

const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}
/** The Starter grid's `company-size` points for a profile (0 when the rule does not fire). */
const sizePoints = (profile: Record<string, string | number | boolean | null>) =>
  score(starterGrid, { profile }).contributions.find((c) => c.ruleId === 'company-size')?.points ?? 0

describe('HubSpot profile mapping', () => {
  it('maps HubSpot properties onto the SPEC §3 keys and keeps every property under hubspot.<name>', () => {
    const profile = profileFromHubSpot({
      email: 'CEO@Acme-Software.com',
      firstname: 'Ada',
      lastname: 'Lovelace',
      jobtitle: 'Chief Executive Officer',
      hs_seniority: 'executive',
      company: 'Acme Software',
      numemployees: '100-500',
      industry: 'COMPUTER_SOFTWARE',
      country: 'France',
      city: 'Lyon',
      lifecyclestage: 'lead',
      hs_analytics_source: 'ORGANIC_SEARCH',
      hs_object_id: '101',
      leadgrid_score: '105',
      favourite_colour: '',
    })
    expect(profile).toMatchObject({
      email: 'ceo@acme-software.com',
      firstname: 'Ada',
      lastname: 'Lovelace',
      jobtitle: 'Chief Executive Officer',
      seniority: 'executive',
      company: 'Acme Software',
      company_size: 300,
      industry: 'COMPUTER_SOFTWARE',
      country: 'France',
      city: 'Lyon',
      lifecycle_stage: 'lead',
      lead_source: 'ORGANIC_SEARCH',
      'hubspot.numemployees': '100-500',
      'hubspot.industry': 'COMPUTER_SOFTWARE',
      'hubspot.favourite_colour': null,
    })
    // Our own outputs and HubSpot's id are not inputs of the grid.
    expect(profile).not.toHaveProperty('hubspot.leadgrid_score')
    expect(profile).not.toHaveProperty('hubspot.hs_object_id')
  })

  it('turns employee ranges into numbers: midpoint, open lower bound, plain numbers', () => {
    expect(parseEmployeeCount('51-100')).toBe(75)
    expect(parseEmployeeCount('25-50')).toBe(37)
    expect(parseEmployeeCount('1000+')).toBe(1000)
    expect(parseEmployeeCount('10,001+')).toBe(10001)
    expect(parseEmployeeCount('200')).toBe(200)
    expect(parseEmployeeCount('1,200')).toBe(1200)
    expect(parseEmployeeCount('a few')).toBeNull()
    expect(parseEmployeeCount('')).toBeNull()
    expect(parseEmployeeCount(null)).toBeNull()
  })

  it("reads a contact's size from numemployees, HubSpot's contact property (numberofemployees is the company's)", () => {
    // Option values of the contact property `numemployees` (fixture from the properties API).
    const options: string[] = fixture('contact-numemployees-property.json').options.map(
      (o: { value: string }) => o.value,
    )
    expect(options).toEqual(['1-5', '5-25', '25-50', '50-100', '100-500', '500-1000', '1000+'])
    const sizes = Object.fromEntries(
      options.map((value) => [value, profileFromHubSpot({ numemployees: value })['company_size']]),
    )
    expect(sizes).toEqual({
      '1-5': 3,
      '5-25': 15,
      '25-50': 37,
      '50-100': 75,
      '100-500': 300,
      '500-1000': 750,
      '1000+': 1000,
    })
    // The Starter grid's `company_size > 50`: 50-100 and up get the points, 25-50 and below do not.
    const fires = Object.fromEntries(
      options.map((value) => [value, sizePoints(profileFromHubSpot({ numemployees: value }))]),
    )
    expect(fires).toEqual({
      '1-5': 0,
      '5-25': 0,
      '25-50': 0,
      '50-100': 10,
      '100-500': 10,
      '500-1000': 10,
      '1000+': 10,
    })
    expect(profileFromHubSpot({ numemployees: '100-500' })).toMatchObject({
      company_size: 300,
      'hubspot.numemployees': '100-500',
    })
  })

  it('exposes the primary company as company.* and fills size, industry and country the contact lacks', () => {
    const company = fixture('companies-batch-read-response.json').results[0].properties
    const profile = profileFromHubSpot({ email: 'cto@northwind.example', jobtitle: 'CTO' }, company)
    expect(profile).toMatchObject({
      company_size: 200,
      industry: 'COMPUTER_SOFTWARE',
      country: 'Germany',
      'company.name': 'Northwind Software',
      'company.numberofemployees': '200',
      'company.industry': 'COMPUTER_SOFTWARE',
      'company.country': 'Germany',
      'company.annualrevenue': '25000000',
    })
    expect(sizePoints(profile)).toBe(10)
    // A grid can test the company directly.
    const grid = gridWith([
      {
        id: 'big-revenue',
        label: 'Revenue over 10M',
        kind: 'fit',
        points: 7,
        when: { property: 'company.annualrevenue', op: 'gt', value: 10_000_000 },
      },
    ])
    expect(score(grid, { profile }).fit).toBe(7)
  })

  it("keeps the contact's own values over its company's, and clears company.* when there is no company", () => {
    const company = { numberofemployees: '200', industry: 'RETAIL', country: 'Germany' }
    expect(
      profileFromHubSpot({ numemployees: '25-50', industry: 'Banking', country: 'France' }, company),
    ).toMatchObject({
      company_size: 37,
      industry: 'Banking',
      country: 'France',
      'company.industry': 'RETAIL',
    })
    const none = profileFromHubSpot({ email: 'a@b.example' }, null)
    expect(none['company.name']).toBeNull()
    expect(none['company.numberofemployees']).toBeNull()
    expect(none).not.toHaveProperty('company_size')
    // Company not read at all (scope not granted): nothing about companies is said.
    expect(
      Object.keys(profileFromHubSpot({ email: 'a@b.example' })).some((k) => k.startsWith('company.')),
    ).toBe(false)
  })

  it('classifies property changes', () => {
    expect(classifyPropertyChange('jobtitle')).toBe('profile')
    expect(classifyPropertyChange('numemployees')).toBe('profile')
    expect(classifyPropertyChange('hs_email_last_open_date')).toBe('engagement')
    expect(classifyPropertyChange('leadgrid_score')).toBe('own')
    expect(classifyPropertyChange('hs_lead_status')).toBe('other')
  })
})

describe('HubSpot engagement events', () => {
  const now = new Date('2026-03-31T12:00:00Z')
  const snapshot = {
    email: 'ceo@acme-software.com',
    hs_email_last_open_date: '1774958000000',
    hs_email_last_click_date: '2026-03-30T10:00:00.000Z',
    hs_email_last_email_name: 'March newsletter',
    hs_analytics_num_page_views: '12',
    hs_analytics_last_url: 'https://acme.example/pricing',
    hs_analytics_last_timestamp: '2026-03-31T11:00:00.000Z',
    num_conversion_events: '2',
    recent_conversion_event_name: 'Livre blanc: scoring',
    recent_conversion_date: '2026-03-29T08:00:00.000Z',
  }

  it('derives SPEC §3 events that the ingestion accepts', () => {
    const events = engagementEventsFromSnapshot('62515', '101', snapshot, now)
    expect(events.map((e) => [e.type, e.occurredAt, e.attributes])).toEqual([
      [
        'email.opened',
        '2026-03-31T11:53:20.000Z',
        { campaignId: 'March newsletter', campaignName: 'March newsletter' },
      ],
      [
        'email.clicked',
        '2026-03-30T10:00:00.000Z',
        { campaignId: 'March newsletter', campaignName: 'March newsletter' },
      ],
      ['page.viewed', '2026-03-31T11:00:00.000Z', { url: 'https://acme.example/pricing' }],
      ['form.submitted', '2026-03-29T08:00:00.000Z', { formName: 'Livre blanc: scoring' }],
    ])
    for (const e of events) {
      const { id, contact, type, occurredAt, attributes } = e
      expect(eventInputSchema.safeParse({ id, contact, type, occurredAt, attributes }).success).toBe(true)
    }
  })

  it('gives the same ids for the same HubSpot state, whichever path saw it, and new ids for new facts', () => {
    const a = engagementEventsFromSnapshot('62515', '101', snapshot, now).map((e) => e.id)
    // Reconciliation 15 minutes later, same state, epoch vs ISO formats: same ids.
    const b = engagementEventsFromSnapshot(
      '62515',
      '101',
      { ...snapshot, hs_email_last_open_date: '2026-03-31T11:53:20.000Z' },
      new Date('2026-03-31T12:15:00Z'),
    ).map((e) => e.id)
    expect(b).toEqual(a)
    // One more page view: only the page-view id changes.
    const c = engagementEventsFromSnapshot(
      '62515',
      '101',
      { ...snapshot, hs_analytics_num_page_views: '13' },
      now,
    ).map((e) => e.id)
    expect(c.filter((id) => !a.includes(id))).toEqual(['hubspot:62515:101:page.viewed:13'])
  })

  it('invents nothing it does not know', () => {
    expect(engagementEventsFromSnapshot('1', '2', { hs_analytics_num_page_views: '3' }, now)).toEqual([])
    expect(
      engagementEventsFromSnapshot(
        '1',
        '2',
        { num_conversion_events: '0', recent_conversion_event_name: 'x' },
        now,
      ),
    ).toEqual([])
  })
})

describe('HubSpot write-back values', () => {
  it('maps a score onto the SPEC §6 properties', () => {
    expect(
      scoreToHubSpotProperties({
        total: 105,
        fit: 15,
        engagement: 90,
        band: 'hot',
        grade: 'A1',
        mql: true,
        mqlSince: new Date('2026-03-31T12:00:00Z'),
        reasons: '+50 Whitepapers (2) · +40 Pricing page (2 days)',
        computedAt: '2026-03-31T12:00:00.000Z',
      }),
    ).toEqual({
      leadgrid_score: '105',
      leadgrid_fit: '15',
      leadgrid_engagement: '90',
      leadgrid_band: 'hot',
      leadgrid_grade: 'A1',
      leadgrid_mql_status: 'mql',
      leadgrid_mql_date: '1774958400000',
      leadgrid_reasons: '+50 Whitepapers (2) · +40 Pricing page (2 days)',
      leadgrid_scored_at: '1774958400000',
    })
  })

  it('clears the MQL date of a contact that never was MQL', () => {
    const v = scoreToHubSpotProperties({
      total: -60,
      fit: -30,
      engagement: -30,
      band: 'cold',
      grade: 'C3',
      mql: false,
      mqlSince: null,
      reasons: '',
      computedAt: new Date('2026-03-31T12:00:00Z'),
    })
    expect(v['leadgrid_mql_status']).toBe('not_mql')
    expect(v['leadgrid_mql_date']).toBe('')
  })

  it('moves lifecycle stage forward to MQL only, never backward', () => {
    expect(lifecycleStageOnMql(true, '')).toBe('marketingqualifiedlead')
    expect(lifecycleStageOnMql(true, 'subscriber')).toBe('marketingqualifiedlead')
    expect(lifecycleStageOnMql(true, 'lead')).toBe('marketingqualifiedlead')
    expect(lifecycleStageOnMql(true, 'marketingqualifiedlead')).toBeUndefined()
    expect(lifecycleStageOnMql(true, 'customer')).toBeUndefined()
    expect(lifecycleStageOnMql(true, 'a_custom_stage')).toBeUndefined()
    expect(lifecycleStageOnMql(false, 'lead')).toBeUndefined()
  })
})

describe('echo of our own writes', () => {
  it('recognises leadgrid_* changes and changes attributed to our app', () => {
    expect(isEchoOfOwnWrite({ propertyName: 'leadgrid_score', changeSource: 'CRM_UI' }, '54321')).toBe(true)
    expect(
      isEchoOfOwnWrite(
        { propertyName: 'lifecyclestage', changeSource: 'INTEGRATION', sourceId: '54321' },
        '54321',
      ),
    ).toBe(true)
    expect(
      isEchoOfOwnWrite(
        { propertyName: 'lifecyclestage', changeSource: 'INTEGRATION', sourceId: '777' },
        '54321',
      ),
    ).toBe(false)
    expect(
      isEchoOfOwnWrite({ propertyName: 'jobtitle', changeSource: 'CRM_UI', sourceId: 'userId:1' }, '54321'),
    ).toBe(false)
  })
})
