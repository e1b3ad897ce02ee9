/**
 * Generators of offline input lines (SPEC §7) for the Starter-grid differential tests: a seeded,
 * scenario-driven generator (deterministic, for fixtures and the CLI run) and a fast-check
 * arbitrary (random, shrinkable). Both draw from the same pools of edge values: window boundaries,
 * UTC midnights, whitepaper keys and form names, newsletter streaks, decision-maker titles,
 * industries, free vs work domains, company sizes and inactivity edges.
 */
import fc from 'fast-check'
import { DAY_MS, type ReferenceEvent, type ReferenceLine } from './starter-reference.js'

export const NOW_ISO = '2026-03-31T12:00:00Z'
export const NOW_MS = Date.parse(NOW_ISO)

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** Offsets (ms before now; negative = after now) that sit on or next to a boundary. */
export const EDGE_AGES_MS: readonly number[] = [
  0, // exactly now: counts
  -1, // 1 ms after now: never counts
  -DAY_MS, // tomorrow
  90 * DAY_MS, // exactly now − 90 d: excluded
  90 * DAY_MS - 1, // 1 ms inside the window
  90 * DAY_MS + 1,
  30 * DAY_MS, // inactivity boundary: not inactive
  30 * DAY_MS + 1, // inactive
  30 * DAY_MS - 1,
  12 * HOUR_MS, // 2026-03-31T00:00:00.000Z (UTC midnight)
  12 * HOUR_MS + 1, // 2026-03-30T23:59:59.999Z
  36 * HOUR_MS, // 2026-03-30T00:00:00.000Z
  36 * HOUR_MS + 1, // 2026-03-29T23:59:59.999Z
  45 * DAY_MS,
  120 * DAY_MS,
]

/** Instants written with an offset, to check that days are UTC days. */
export const OFFSET_INSTANTS: readonly string[] = [
  '2026-03-31T01:00:00+02:00', // 2026-03-30T23:00Z → day 03-30
  '2026-03-30T23:30:00-01:00', // 2026-03-31T00:30Z → day 03-31
  '2026-03-31T14:00:00+02:00', // exactly now
  '2026-03-31T14:00:00.001+02:00', // 1 ms after now
  '2025-12-31T13:00:00+01:00', // exactly now − 90 d
]

export const PRICING_URLS: readonly string[] = [
  '/pricing',
  'https://acme.com\\pricing',
  '/blog/../pricing',
  '/Pricing/',
  'https://acme.com/pricing?plan=pro#faq',
  'https://www.acme.fr/fr/tarifs',
  'https://acme.fr/TARIF/entreprise',
  '/fr/prix',
  '/product',
  'https://acme.com/products/crm',
  '/fr/produit/',
  'http://acme.fr/a/b/produits?utm_source=x',
  'https://ACME.com/PRODUCTS',
]

export const OTHER_URLS: readonly string[] = [
  '/blog/pricing-strategy',
  'https://acme.com/pricing/../blog',
  '/pricing/./../blog',
  '/product-tour',
  'https://pricing.acme.com/',
  '/blog?page=pricing',
  '/blog#pricing',
  '/pricing.html',
  '/prices',
  'https://acme.com/',
  '/about',
  '/produits-phares',
  '',
]

export const WHITEPAPER_FORM_NAMES: readonly string[] = [
  'Livre Blanc 2026',
  'White-paper',
  'Whitepaper',
  'White Paper download',
  'livre_blanc',
  'WHITEPAPERS hub',
  'Download our white  paper',
]

export const OTHER_FORM_NAMES: readonly string[] = [
  'Contact us',
  'Demo request',
  'Blanc livre',
  'White book',
  'Paper white',
]

/** The engine validates §3's vocabularies exactly (lower case), so only those values appear. */
export const ASSET_TYPES: readonly (string | undefined)[] = [
  'whitepaper',
  'whitepaper',
  'whitepaper',
  'ebook',
  'report',
  'guide',
  'case-study',
  'other',
  undefined,
]

export const ASSET_IDS: readonly (string | undefined)[] = [
  'wp-1',
  'wp-2',
  'wp-3',
  'wp-4',
  '',
  undefined,
  undefined,
]
export const ASSET_NAMES: readonly (string | undefined)[] = [
  'State of B2B 2026',
  'Scoring playbook',
  'Guide to MQLs',
  undefined,
]
export const FORM_IDS: readonly (string | undefined)[] = ['form-10', 'form-11', 'form-12', undefined, '']

export const JOB_TITLES: readonly (string | null | undefined)[] = [
  'CEO',
  'Co-Founder & CEO',
  'co_founder',
  'Vice-President Sales',
  'VP, Marketing',
  'Head of Growth',
  'Sr. Manager',
  'Managerial accountant',
  'Gérante',
  'Gérant de société',
  'gerante',
  'Directrice commerciale',
  'Directeur Général',
  'DG',
  'PDG / fondateur',
  'Responsable marketing',
  'Owner',
  'Ownership analyst',
  'Partnerships lead',
  'Chief of Staff',
  'Mischief officer',
  'CTO/CFO',
  'Software engineer',
  'Intern',
  'Headhunter',
  'Presidential advisor',
  'vice  president',
  'Marketing Director (EMEA)',
  'Founder.',
  'Account executive',
  '',
  '   ',
  null,
  undefined,
]

export const SENIORITIES: readonly (string | null | undefined)[] = [
  'Director',
  'VP',
  'vp',
  'Entry',
  'Senior',
  'Executive',
  'owner',
  'Manager',
  'manager-level',
  'Partner',
  'C-level',
  null,
  undefined,
  undefined,
  undefined,
]

export const INDUSTRIES: readonly (string | null | undefined)[] = [
  'Computer Software',
  'COMPUTER_SOFTWARE',
  'computer-software',
  '  computer   software ',
  'Information Technology and Services',
  'information_technology_and_services',
  'Internet',
  'INTERNET',
  'Marketing and Advertising',
  'marketing & advertising',
  'Financial Services',
  'Management Consulting',
  'management_consulting',
  'Retail',
  'Construction',
  'Software',
  'Internet Services',
  '',
  '   ',
  null,
  undefined,
]

export const EMAILS: readonly (string | null | undefined)[] = [
  'jane@gmail.com',
  'Jane.Doe@GMAIL.COM',
  'paul@yahoo.fr',
  'marie@orange.fr',
  'luc@free.fr',
  'ana@hotmail.fr',
  'bob@outlook.com',
  'zoe@icloud.com',
  'max@laposte.net',
  'jane@acme.com',
  'jane@eu.acme.com',
  'jane@mail.yahoo.fr',
  'jane@sub.gmail.com',
  'jane@bigcorp.fr',
  'we@ird@acme.com',
  'no-at-sign',
  '',
  null,
  undefined,
]

export const COMPANY_SIZES: readonly unknown[] = [
  10,
  50,
  51,
  50.5,
  200,
  5000,
  0,
  '200',
  '1,000',
  '50',
  '51',
  ' 75 ',
  'abc',
  'n/a',
  '',
  null,
  undefined,
  true,
]

export const NOISE_EVENT_TYPES: readonly string[] = [
  'webinar.registered',
  'webinar.attended',
  'meeting.booked',
  'meeting.held',
  'email.clicked',
  'custom',
]

export const CREATED_AGES_MS: readonly number[] = [
  30 * DAY_MS,
  30 * DAY_MS + 1,
  30 * DAY_MS - 1,
  200 * DAY_MS,
  400 * DAY_MS,
  10 * DAY_MS,
  0,
  -DAY_MS,
]

// ---------------------------------------------------------------------------------------------
// Seeded generator

/** mulberry32: tiny, deterministic, good enough for test data. */
export class SeededRandom {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }
}

function setIfDefined(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value
}

function randomAge(rng: SeededRandom): number {
  if (rng.chance(0.35)) return rng.pick(EDGE_AGES_MS)
  return rng.int(-2 * DAY_MS, 100 * DAY_MS)
}

function occurredAt(rng: SeededRandom): string {
  if (rng.chance(0.07)) return rng.pick(OFFSET_INSTANTS)
  return iso(NOW_MS - randomAge(rng))
}

function whitepaperEvents(rng: SeededRandom): ReferenceEvent[] {
  const events: ReferenceEvent[] = []
  const n = rng.int(0, 5)
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.6)) {
      const attributes: Record<string, unknown> = {}
      setIfDefined(attributes, 'assetId', rng.pick(ASSET_IDS))
      setIfDefined(attributes, 'assetName', rng.pick(ASSET_NAMES))
      setIfDefined(attributes, 'assetType', rng.pick(ASSET_TYPES))
      events.push({ type: 'asset.downloaded', occurredAt: occurredAt(rng), attributes })
    } else {
      const attributes: Record<string, unknown> = {
        formName: rng.chance(0.75) ? rng.pick(WHITEPAPER_FORM_NAMES) : rng.pick(OTHER_FORM_NAMES),
        url: '/resources',
      }
      setIfDefined(attributes, 'formId', rng.pick(FORM_IDS))
      events.push({ type: 'form.submitted', occurredAt: occurredAt(rng), attributes })
    }
  }
  return events
}

/** Views spread over a few days around UTC midnights, sometimes more than 3 days. */
function pricingEvents(rng: SeededRandom): ReferenceEvent[] {
  const events: ReferenceEvent[] = []
  const n = rng.int(0, 7)
  for (let i = 0; i < n; i++) {
    let at: string
    const r = rng.next()
    if (r < 0.3) {
      // near a UTC midnight of one of the last 6 days
      const midnight = Date.UTC(2026, 2, 31) - rng.int(0, 5) * DAY_MS
      at = iso(midnight + rng.pick([-1, 0, 1, -MINUTE_MS, HOUR_MS]))
    } else if (r < 0.4) {
      at = rng.pick(OFFSET_INSTANTS)
    } else {
      at = occurredAt(rng)
    }
    const url = rng.chance(0.7) ? rng.pick(PRICING_URLS) : rng.pick(OTHER_URLS)
    const attributes: Record<string, unknown> = { url, title: 'Page', sessionId: `s${rng.int(1, 5)}` }
    events.push({ type: 'page.viewed', occurredAt: at, attributes })
  }
  return events
}

/**
 * 0–4 newsletter deliveries at distinct instants (sometimes on the window's edge), opens for a
 * random subset, plus stray opens of other campaigns and categories.
 */
function newsletterEvents(rng: SeededRandom): ReferenceEvent[] {
  const events: ReferenceEvent[] = []
  const deliveries = rng.pick([0, 0, 1, 2, 3, 3, 4, 4, 5])
  const category = () => rng.pick(['newsletter', 'newsletter', 'newsletter', 'nurture', 'sales'])
  // Two campaigns never share a delivery instant (which one is "more recent" would be arbitrary).
  const usedInstants = new Set<number>()
  const unique = (age: number): number => {
    let a = age
    while (usedInstants.has(a)) a += 1
    usedInstants.add(a)
    return a
  }
  for (let i = 0; i < deliveries; i++) {
    const campaignId = `nl-${i}`
    let age = (i * 7 + rng.int(0, 5)) * DAY_MS + i * 1000 + rng.int(1, 999)
    if (rng.chance(0.1)) age = rng.pick([90 * DAY_MS, 90 * DAY_MS - 1, -1, -DAY_MS])
    age = unique(age)
    events.push({
      type: 'email.delivered',
      occurredAt: iso(NOW_MS - age),
      attributes: { campaignId, campaignName: `Newsletter ${i}`, category: category() },
    })
    if (rng.chance(0.15)) {
      // the same campaign delivered again, later (a resend)
      events.push({
        type: 'email.delivered',
        occurredAt: iso(NOW_MS - unique(Math.max(0, age - rng.int(1, 3) * HOUR_MS))),
        attributes: { campaignId, campaignName: `Newsletter ${i}`, category: 'newsletter' },
      })
    }
    if (rng.chance(0.75)) {
      const openAge = rng.chance(0.1) ? rng.pick([90 * DAY_MS, -1, 91 * DAY_MS]) : Math.max(0, age - HOUR_MS)
      const attributes: Record<string, unknown> = { campaignId, campaignName: `Newsletter ${i}` }
      if (rng.chance(0.8)) attributes.category = category()
      events.push({ type: 'email.opened', occurredAt: iso(NOW_MS - openAge), attributes })
    }
  }
  const strays = rng.int(0, 4)
  for (let i = 0; i < strays; i++) {
    events.push({
      type: 'email.opened',
      occurredAt: occurredAt(rng),
      attributes: { campaignId: `nl-x${rng.int(0, 4)}`, category: category() },
    })
  }
  if (rng.chance(0.2)) {
    events.push({
      type: 'email.delivered',
      occurredAt: occurredAt(rng),
      attributes: { campaignId: `tx-${rng.int(0, 3)}`, category: 'transactional' },
    })
  }
  return events
}

function noiseEvents(rng: SeededRandom): ReferenceEvent[] {
  const events: ReferenceEvent[] = []
  const n = rng.int(0, 3)
  for (let i = 0; i < n; i++) {
    const type = rng.pick(NOISE_EVENT_TYPES)
    const attributes: Record<string, unknown> =
      type === 'custom' ? { name: 'trial.started' } : { eventId: 'e1', meetingId: 'm1', campaignId: 'c9' }
    events.push({ type, occurredAt: occurredAt(rng), attributes })
  }
  return events
}

function shuffle<T>(rng: SeededRandom, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}

export function generateContact(rng: SeededRandom, id: string): ReferenceLine {
  const properties: Record<string, unknown> = {}
  setIfDefined(properties, 'email', rng.pick(EMAILS))
  setIfDefined(properties, 'jobtitle', rng.pick(JOB_TITLES))
  setIfDefined(properties, 'seniority', rng.pick(SENIORITIES))
  setIfDefined(properties, 'industry', rng.pick(INDUSTRIES))
  setIfDefined(properties, 'company_size', rng.pick(COMPANY_SIZES))
  if (rng.chance(0.3)) properties.country = rng.pick(['FR', 'US', 'DE'])
  if (rng.chance(0.2)) properties.firstname = rng.pick(['Jane', 'Élodie', 'Li'])

  const events: ReferenceEvent[] = []
  if (rng.chance(0.6)) events.push(...whitepaperEvents(rng))
  if (rng.chance(0.6)) events.push(...pricingEvents(rng))
  if (rng.chance(0.6)) events.push(...newsletterEvents(rng))
  if (rng.chance(0.4)) events.push(...noiseEvents(rng))
  shuffle(rng, events)

  const createdAt = rng.chance(0.1) ? '2025-12-31T13:00:00+01:00' : iso(NOW_MS - rng.pick(CREATED_AGES_MS))
  const line: ReferenceLine = { id, createdAt, properties, events }
  const previous = rng.pick([undefined, undefined, true, false])
  if (previous !== undefined) line.previous = { mql: previous }
  return line
}

export function generateContacts(seed: number, count: number): ReferenceLine[] {
  const rng = new SeededRandom(seed)
  const lines: ReferenceLine[] = []
  for (let i = 0; i < count; i++) lines.push(generateContact(rng, `gen-${seed}-${i}`))
  return lines
}

// ---------------------------------------------------------------------------------------------
// fast-check arbitrary

const ageArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_AGES_MS) },
  { weight: 3, arbitrary: fc.integer({ min: -2 * DAY_MS, max: 100 * DAY_MS }) },
)
const occurredAtArb = fc.oneof(
  { weight: 9, arbitrary: ageArb.map((age) => iso(NOW_MS - age)) },
  { weight: 1, arbitrary: fc.constantFrom(...OFFSET_INSTANTS) },
)
const maybe = <T>(values: readonly T[]) => fc.constantFrom(...values)

/** Titles assembled from words (decision-maker words, near misses) and separators. */
const titleArb = fc
  .array(
    fc.constantFrom(
      'manager',
      'Managerial',
      'HEAD',
      'heads',
      'director',
      'VP',
      'vice',
      'president',
      'Vice-President',
      'chief',
      'ceo',
      'c.e.o',
      'cto',
      'co-founder',
      'co_founder',
      'founder',
      'owner',
      'partner',
      'directrice',
      'gérant',
      'Gérante',
      'gérantes',
      'fondateur',
      'pdg',
      'dg',
      'dga',
      'engineer',
      'sales',
      'marketing',
      'of',
      'é',
    ),
    { minLength: 0, maxLength: 4 },
  )
  .chain((words) =>
    fc
      .array(fc.constantFrom(' ', ', ', ' & ', '/', '-', '_', '  ', '(', ') ', '.'), {
        minLength: words.length,
        maxLength: words.length,
      })
      .map((seps) => words.map((w, i) => (i === 0 ? w : `${seps[i]}${w}`)).join('')),
  )

const propertiesArb = fc
  .record(
    {
      email: maybe(EMAILS),
      jobtitle: fc.oneof(maybe(JOB_TITLES), titleArb),
      seniority: fc.oneof(maybe(SENIORITIES), titleArb),
      industry: maybe(INDUSTRIES),
      company_size: fc.oneof(maybe(COMPANY_SIZES), fc.integer({ min: 0, max: 2000 })),
    },
    { requiredKeys: [] },
  )
  .map((props) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = v
    return out
  })

const downloadArb = fc
  .record({
    occurredAt: occurredAtArb,
    assetId: maybe(ASSET_IDS),
    assetName: maybe(ASSET_NAMES),
    assetType: maybe(ASSET_TYPES),
  })
  .map(({ occurredAt, ...attrs }): ReferenceEvent => {
    const attributes: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attributes[k] = v
    return { type: 'asset.downloaded', occurredAt, attributes }
  })

const formArb = fc
  .record({
    occurredAt: occurredAtArb,
    formId: maybe(FORM_IDS),
    formName: fc.constantFrom(...WHITEPAPER_FORM_NAMES, ...OTHER_FORM_NAMES),
  })
  .map(({ occurredAt, formId, formName }): ReferenceEvent => {
    const attributes: Record<string, unknown> = { formName }
    if (formId !== undefined) attributes.formId = formId
    return { type: 'form.submitted', occurredAt, attributes }
  })

const pageArb = fc
  .record({
    occurredAt: fc.oneof(
      occurredAtArb,
      fc
        .tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 0, 1, HOUR_MS))
        .map(([d, delta]) => iso(Date.UTC(2026, 2, 31) - d * DAY_MS + delta)),
    ),
    url: fc.constantFrom(...PRICING_URLS, ...OTHER_URLS),
  })
  .map(({ occurredAt, url }): ReferenceEvent => ({ type: 'page.viewed', occurredAt, attributes: { url } }))

/** Newsletter block: deliveries at distinct, strictly ordered instants; opens for some of them. */
const newsletterArb = fc
  .record({
    deliveries: fc.integer({ min: 0, max: 5 }),
    opened: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    ages: fc.array(fc.integer({ min: 0, max: 95 * DAY_MS }), { minLength: 5, maxLength: 5 }),
    categories: fc.array(fc.constantFrom('newsletter', 'newsletter', 'nurture'), {
      minLength: 5,
      maxLength: 5,
    }),
    strays: fc.array(
      fc.record({
        campaignId: fc.constantFrom('nl-x1', 'nl-x2', 'nl-x3', 'nl-0'),
        category: fc.constantFrom('newsletter', 'sales', undefined),
        occurredAt: occurredAtArb,
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ deliveries, opened, ages, categories, strays }) => {
    const events: ReferenceEvent[] = []
    const sorted = [...ages].sort((a, b) => a - b)
    for (let i = 0; i < deliveries; i++) {
      const age = (sorted[i] as number) + i // distinct instants
      const campaignId = `nl-${i}`
      events.push({
        type: 'email.delivered',
        occurredAt: iso(NOW_MS - age),
        attributes: { campaignId, category: categories[i] },
      })
      if (opened[i]) {
        events.push({
          type: 'email.opened',
          occurredAt: iso(NOW_MS - Math.max(0, age - MINUTE_MS)),
          attributes: { campaignId, category: categories[i] },
        })
      }
    }
    for (const s of strays) {
      events.push({
        type: 'email.opened',
        occurredAt: s.occurredAt,
        attributes:
          s.category === undefined
            ? { campaignId: s.campaignId }
            : { campaignId: s.campaignId, category: s.category },
      })
    }
    return events
  })

const noiseArb = fc
  .record({ type: fc.constantFrom(...NOISE_EVENT_TYPES, 'email.delivered'), occurredAt: occurredAtArb })
  .map(
    ({ type, occurredAt }): ReferenceEvent => ({
      type,
      occurredAt,
      attributes:
        type === 'custom' ? { name: 'trial.started' } : { campaignId: 'c9', eventId: 'e1', meetingId: 'm1' },
    }),
  )

export const contactArb: fc.Arbitrary<ReferenceLine> = fc
  .record({
    id: fc.uuid(),
    createdAt: fc.oneof(
      fc.constantFrom(...CREATED_AGES_MS).map((age) => iso(NOW_MS - age)),
      fc.integer({ min: -DAY_MS, max: 400 * DAY_MS }).map((age) => iso(NOW_MS - age)),
    ),
    properties: propertiesArb,
    singles: fc.array(fc.oneof(downloadArb, formArb, pageArb, noiseArb), { maxLength: 10 }),
    newsletter: newsletterArb,
    previous: fc.constantFrom(undefined, true, false),
  })
  .map(({ id, createdAt, properties, singles, newsletter, previous }) => {
    const line: ReferenceLine = { id, createdAt, properties, events: [...singles, ...newsletter] }
    if (previous !== undefined) line.previous = { mql: previous }
    return line
  })

// ---------------------------------------------------------------------------------------------
// SPEC §5 worked examples, as offline input lines (now = NOW_ISO)

/** A CEO of a 200-person software company, work email, two whitepapers, pricing on two days. */
export const WORKED_EXAMPLE_HOT: ReferenceLine = {
  id: 'worked-example-ceo',
  createdAt: '2026-01-15T09:00:00Z',
  properties: {
    email: 'claire.martin@acme-software.com',
    jobtitle: 'CEO',
    company: 'Acme Software',
    company_size: 200,
    industry: 'Computer Software',
  },
  events: [
    {
      type: 'asset.downloaded',
      occurredAt: '2026-03-26T10:00:00Z',
      attributes: { assetId: 'wp-scoring', assetName: 'Lead scoring guide', assetType: 'whitepaper' },
    },
    {
      type: 'asset.downloaded',
      occurredAt: '2026-03-27T15:30:00Z',
      attributes: { assetId: 'wp-mql', assetName: 'From MQL to SQL', assetType: 'whitepaper' },
    },
    {
      type: 'page.viewed',
      occurredAt: '2026-03-30T08:00:00Z',
      attributes: { url: 'https://acme.com/pricing' },
    },
    {
      type: 'page.viewed',
      occurredAt: '2026-03-31T09:00:00Z',
      attributes: { url: 'https://acme.com/pricing' },
    },
  ],
}

/** A Gmail user, no title, 10-person retail shop, only activity a blog visit 45 days ago. */
export const WORKED_EXAMPLE_COLD: ReferenceLine = {
  id: 'worked-example-retail',
  createdAt: '2025-11-01T09:00:00Z',
  properties: { email: 'shopkeeper@gmail.com', company_size: 10, industry: 'Retail' },
  events: [
    {
      type: 'page.viewed',
      occurredAt: iso(NOW_MS - 45 * DAY_MS),
      attributes: { url: 'https://acme.com/blog/what-is-lead-scoring' },
    },
  ],
}
