/**
 * Engine benchmark (`npm run bench` → `leadgrid bench engine`). The one NON-PURE file of
 * `scoring/`: it reads the clock (`performance.now()`) and `node:os` to report the machine, as
 * SPEC §8 asks speed to be measured by benchmarks reported with their machine, never asserted by
 * timed unit tests.
 *
 * Contacts are generated with a seeded PRNG (same contacts on every run), events prepared before
 * the timed loop; a second figure includes `prepareEvents`. Single-threaded: one core.
 */
import os from 'node:os'
import type { LeadEvent } from '../domain/lead-event.js'
import { compileGrid } from './compile.js'
import { evaluate } from './evaluate.js'
import { prepareEvents } from './prepare.js'
import { starterGrid } from './starter-grid.js'
import type { EvaluateInput } from './types.js'

export interface EngineBenchOptions {
  contacts?: number
  eventsPerContact?: number
  /** Measured seconds per figure (after a short warm-up). */
  seconds?: number
  seed?: number
}

export interface EngineBenchResult {
  evaluationsPerSecond: number
  /** The same loop, with `prepareEvents` on the raw events inside it. */
  evaluationsPerSecondWithPrepare: number
  contacts: number
  eventsPerContact: number
  grid: 'starter'
  node: string
  cpu: string
  seconds: number
  /** Share of contacts that are MQL / hot — shows the data exercises the rules. */
  mqlShare: number
  hotShare: number
}

const DAY = 86_400_000
export const BENCH_NOW = Date.UTC(2026, 2, 31, 12)
const NOW = BENCH_NOW

/** mulberry32: tiny, fast, good enough to generate benchmark data reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TITLES = [
  'CEO',
  'Marketing Manager',
  'Software Engineer',
  'Vice-President of Sales',
  'Gérant',
  'Analyst',
  'Head of Growth',
  'CEO & Founder',
  'Managerial Accountant',
  null,
]
const INDUSTRIES = ['COMPUTER_SOFTWARE', 'Retail', 'Internet', 'financial-services', 'Construction', null]
const DOMAINS = [
  'gmail.com',
  'acme.io',
  'yahoo.fr',
  'orange.fr',
  'globex.com',
  'initech.fr',
  'outlook.com',
  'umbrella.co',
]
const SIZES = [5, 12, 48, 51, 200, '1,000', '250', 5000, null]
const PAGES = [
  '/blog/lead-scoring',
  'https://acme.io/pricing?ref=nav',
  '/fr/tarifs',
  '/product/scoring',
  '/docs/api',
  '/',
  '/careers',
  '/produits/crm#top',
]
const FORMS = [
  'Contact us',
  'Livre blanc 2026',
  'Whitepaper: AI in sales',
  'Demo request',
  'Newsletter signup',
]

export function generateContact(rand: () => number, i: number, eventsPerContact: number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const profile = {
    email: `person${i}@${pick(DOMAINS)}`,
    jobtitle: pick(TITLES),
    company_size: pick(SIZES),
    industry: pick(INDUSTRIES),
  }
  const events: LeadEvent[] = []
  for (let k = 0; k < eventsPerContact; k++) {
    // Mostly recent, some beyond the 90-day lookback.
    const at = new Date(NOW - Math.floor(rand() ** 2 * 120 * DAY)).toISOString()
    const r = rand()
    const campaign = `nl-${Math.floor(rand() * 8)}`
    if (r < 0.4)
      events.push({ type: 'page.viewed', occurredAt: at, attributes: { url: pick(PAGES), title: 'Page' } })
    else if (r < 0.55)
      events.push({
        type: 'email.delivered',
        occurredAt: at,
        attributes: { campaignId: campaign, campaignName: campaign, category: 'newsletter' },
      })
    else if (r < 0.68)
      events.push({
        type: 'email.opened',
        occurredAt: at,
        attributes: { campaignId: campaign, campaignName: campaign, category: 'newsletter' },
      })
    else if (r < 0.78) {
      const asset = Math.floor(rand() * 5)
      events.push({
        type: 'asset.downloaded',
        occurredAt: at,
        attributes: {
          assetId: `a${asset}`,
          assetName: `Asset ${asset}`,
          assetType: asset < 3 ? 'whitepaper' : 'ebook',
        },
      })
    } else if (r < 0.86) {
      const form = pick(FORMS)
      events.push({ type: 'form.submitted', occurredAt: at, attributes: { formId: form, formName: form } })
    } else if (r < 0.91)
      events.push({
        type: 'email.clicked',
        occurredAt: at,
        attributes: { campaignId: campaign, url: '/pricing' },
      })
    else if (r < 0.96)
      events.push({
        type: 'webinar.attended',
        occurredAt: at,
        attributes: { eventId: 'w1', eventName: 'Scoring 101' },
      })
    else events.push({ type: 'custom', occurredAt: at, attributes: { name: 'trial.started' } })
  }
  return { profile, createdAt: NOW - 200 * DAY, events }
}

/** Calls `step(i)` in a loop for about `seconds`; returns calls per second. */
function measure(seconds: number, step: (i: number) => void): number {
  let calls = 0
  const start = performance.now()
  const end = start + seconds * 1000
  let now = start
  while (now < end) {
    for (let k = 0; k < 1000; k++) step(calls++)
    now = performance.now()
  }
  return Math.round(calls / ((now - start) / 1000))
}

export function runEngineBench(options: EngineBenchOptions = {}): EngineBenchResult {
  const contactsCount = options.contacts ?? 10_000
  const eventsPerContact = options.eventsPerContact ?? 20
  const seconds = options.seconds ?? 3
  const rand = prng(options.seed ?? 42)
  const raw = Array.from({ length: contactsCount }, (_, i) => generateContact(rand, i, eventsPerContact))
  const inputs: EvaluateInput[] = raw.map((c) => ({
    profile: c.profile,
    createdAt: c.createdAt,
    events: prepareEvents(c.events),
  }))
  const compiled = compileGrid(starterGrid)

  let mql = 0
  let hot = 0
  for (const input of inputs) {
    const r = evaluate(compiled, input, NOW)
    if (r.mql) mql++
    if (r.band === 'hot') hot++
  }

  let sink = 0
  const evaluateOne = (i: number) => {
    sink += evaluate(compiled, inputs[i % contactsCount]!, NOW).total
  }
  const prepareAndEvaluateOne = (i: number) => {
    const c = raw[i % contactsCount]!
    sink += evaluate(
      compiled,
      { profile: c.profile, createdAt: c.createdAt, events: prepareEvents(c.events) },
      NOW,
    ).total
  }
  measure(Math.min(0.5, seconds / 4), evaluateOne) // warm-up: let the JIT settle
  const evaluationsPerSecond = measure(seconds, evaluateOne)
  measure(Math.min(0.5, seconds / 4), prepareAndEvaluateOne)
  const evaluationsPerSecondWithPrepare = measure(seconds, prepareAndEvaluateOne)
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the results observable to the optimizer')

  return {
    evaluationsPerSecond,
    evaluationsPerSecondWithPrepare,
    contacts: contactsCount,
    eventsPerContact,
    grid: 'starter',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    seconds,
    mqlShare: Math.round((mql / contactsCount) * 1000) / 1000,
    hotShare: Math.round((hot / contactsCount) * 1000) / 1000,
  }
}
