/**
 * Engine benchmark (`npm run bench` → `leadgrid bench engine`). The one NON-PURE file of
 * `scoring/`: it reads clocks (`performance.now()`, `process.cpuUsage()`) and `node:os` to report
 * the machine — SPEC §8 wants speed measured by benchmarks reported with their machine, never
 * asserted by timed unit tests.
 *
 * What is measured, on one thread (one core), with the Starter grid and generated contacts
 * (seeded PRNG: the same contacts on every run):
 * - `evaluationsPerSecond`: `evaluate` alone, as the rescoring worker uses it — contacts are
 *   prepared a batch at a time (untimed), then the batch is evaluated (timed), so prepared events
 *   are as fresh in the CPU cache as they are in the service.
 * - `evaluationsPerSecondWithPrepare`: the same loop with `prepareEvents` timed too.
 * - `evaluationsPerSecondLargeWorkingSet`: `evaluate` cycling over every contact prepared up
 *   front (megabytes of prepared events, mostly out of cache) — the access pattern of a backtest.
 * Rates are per CPU-second of this process (GC threads included), so time the OS gives other
 * processes on a busy machine is not counted against the engine; wall-clock rates are reported too.
 */
import os from 'node:os'
import type { LeadEvent } from '../domain/lead-event.js'
import { type CompiledGrid, compileGrid } from './compile.js'
import { evaluate } from './evaluate.js'
import { prepareEvents } from './prepare.js'
import { starterGrid } from './starter-grid.js'
import type { EvaluateInput } from './types.js'

export interface EngineBenchOptions {
  /** Generated contacts (default 10,000). */
  contacts?: number
  /** Events per contact (default 20). */
  eventsPerContact?: number
  /** Timed seconds per figure (default 2), after a warm-up. */
  seconds?: number
  seed?: number
}

export interface EngineBenchResult {
  evaluationsPerSecond: number
  evaluationsPerSecondWithPrepare: number
  evaluationsPerSecondLargeWorkingSet: number
  /** The same three figures per wall-clock second. */
  wallClock: {
    evaluationsPerSecond: number
    evaluationsPerSecondWithPrepare: number
    evaluationsPerSecondLargeWorkingSet: number
  }
  contacts: number
  eventsPerContact: number
  batchSize: number
  grid: 'starter'
  node: string
  cpu: string
  cpus: number
  loadAverage: number
  seconds: number
  /** Share of generated contacts that are MQL / hot: shows the data exercises the rules. */
  mqlShare: number
  hotShare: number
}

const DAY = 86_400_000
export const BENCH_NOW = Date.UTC(2026, 2, 31, 12)
const BATCH = 100

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
  'Responsable marketing',
  null,
]
const SENIORITIES = ['Director', 'Entry', 'Senior', 'C-level', null, null]
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
  'https://www.acme.io/pricing?ref=nav',
  '/fr/tarifs',
  '/product/scoring',
  '/docs/api/v2',
  '/',
  '/careers',
  '/produits/crm#top',
  'https://www.acme.io/blog/2026/03/mql-vs-sql',
]
const FORMS = [
  'Contact us',
  'Livre blanc 2026',
  'Whitepaper: AI in sales',
  'Demo request',
  'Newsletter signup',
]
const CATEGORIES = ['newsletter', 'newsletter', 'newsletter', 'nurture', 'sales'] as const

/** One realistic contact: a profile and `eventsPerContact` mixed events over the last 120 days. */
export function generateContact(rand: () => number, i: number, eventsPerContact: number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const profile = {
    email: `person${i}@${pick(DOMAINS)}`,
    jobtitle: pick(TITLES),
    seniority: pick(SENIORITIES),
    company_size: pick(SIZES),
    industry: pick(INDUSTRIES),
  }
  // Contacts differ in how recent their activity is; some are beyond the 30-day inactivity line.
  const recency = rand() * 60 * DAY
  const events: LeadEvent[] = []
  for (let k = 0; k < eventsPerContact; k++) {
    const occurredAt = new Date(BENCH_NOW - recency - Math.floor(rand() ** 2 * 100 * DAY)).toISOString()
    events.push(generateEvent(rand, pick, occurredAt))
  }
  return { profile, createdAt: BENCH_NOW - 200 * DAY, events }
}

function generateEvent(
  rand: () => number,
  pick: <T>(list: readonly T[]) => T,
  occurredAt: string,
): LeadEvent {
  const r = rand()
  const n = Math.floor(rand() * 8)
  const campaign = { campaignId: `cmp-${n}`, campaignName: `Campaign ${n}`, category: pick(CATEGORIES) }
  if (r < 0.4)
    return {
      type: 'page.viewed',
      occurredAt,
      attributes: { url: pick(PAGES), title: 'Page', sessionId: `s${n}` },
    }
  if (r < 0.55) return { type: 'email.delivered', occurredAt, attributes: campaign }
  if (r < 0.68) return { type: 'email.opened', occurredAt, attributes: campaign }
  if (r < 0.78) {
    const a = Math.floor(rand() * 5)
    const assetType = a < 3 ? 'whitepaper' : 'ebook'
    return {
      type: 'asset.downloaded',
      occurredAt,
      attributes: { assetId: `a${a}`, assetName: `Asset ${a}`, assetType },
    }
  }
  if (r < 0.86) {
    const form = pick(FORMS)
    return {
      type: 'form.submitted',
      occurredAt,
      attributes: { formId: form, formName: form, url: '/resources' },
    }
  }
  if (r < 0.91) return { type: 'email.clicked', occurredAt, attributes: { ...campaign, url: '/pricing' } }
  if (r < 0.96)
    return { type: 'webinar.attended', occurredAt, attributes: { eventId: 'w1', eventName: 'Scoring 101' } }
  return { type: 'custom', occurredAt, attributes: { name: 'trial.started' } }
}

type RawContact = ReturnType<typeof generateContact>

const cpuSeconds = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

interface Rate {
  cpu: number
  wall: number
}

let sink = 0

/** Batches of contacts prepared untimed (or timed, `withPrepare`), then evaluated timed. */
function measureBatches(
  compiled: CompiledGrid,
  raw: RawContact[],
  seconds: number,
  withPrepare: boolean,
): Rate {
  let evaluations = 0
  let cpu = 0
  let wall = 0
  let next = 0
  const batch: EvaluateInput[] = []
  while (cpu < seconds) {
    const c0 = withPrepare ? cpuSeconds() : 0
    const w0 = withPrepare ? performance.now() : 0
    batch.length = 0
    for (let k = 0; k < BATCH; k++) {
      const c = raw[next++ % raw.length]!
      batch.push({ profile: c.profile, createdAt: c.createdAt, events: prepareEvents(c.events) })
    }
    const c1 = withPrepare ? c0 : cpuSeconds()
    const w1 = withPrepare ? w0 : performance.now()
    for (const input of batch) sink += evaluate(compiled, input, BENCH_NOW).total
    cpu += cpuSeconds() - c1
    wall += (performance.now() - w1) / 1000
    evaluations += batch.length
  }
  return { cpu: Math.round(evaluations / cpu), wall: Math.round(evaluations / wall) }
}

function measurePool(compiled: CompiledGrid, pool: EvaluateInput[], seconds: number): Rate {
  let evaluations = 0
  const c0 = cpuSeconds()
  const w0 = performance.now()
  let cpu = 0
  while (cpu < seconds) {
    for (let k = 0; k < 1000; k++)
      sink += evaluate(compiled, pool[evaluations++ % pool.length]!, BENCH_NOW).total
    cpu = cpuSeconds() - c0
  }
  return {
    cpu: Math.round(evaluations / cpu),
    wall: Math.round(evaluations / ((performance.now() - w0) / 1000)),
  }
}

export function runEngineBench(options: EngineBenchOptions = {}): EngineBenchResult {
  const contacts = options.contacts ?? 10_000
  const eventsPerContact = options.eventsPerContact ?? 20
  const seconds = options.seconds ?? 2
  const rand = prng(options.seed ?? 42)
  const raw = Array.from({ length: contacts }, (_, i) => generateContact(rand, i, eventsPerContact))
  const compiled = compileGrid(starterGrid)

  let mql = 0
  let hot = 0
  for (const c of raw) {
    const r = evaluate(
      compiled,
      { profile: c.profile, createdAt: c.createdAt, events: prepareEvents(c.events) },
      BENCH_NOW,
    )
    if (r.mql) mql++
    if (r.band === 'hot') hot++
  }

  const warmUp = Math.min(0.5, seconds / 4) // let the JIT settle before anything is timed
  measureBatches(compiled, raw, warmUp, false)
  const alone = measureBatches(compiled, raw, seconds, false)
  const withPrepare = measureBatches(compiled, raw, seconds, true)
  // Built last: tens of megabytes kept alive would tax the garbage collector during the others.
  const pool: EvaluateInput[] = raw.map((c) => ({
    profile: c.profile,
    createdAt: c.createdAt,
    events: prepareEvents(c.events),
  }))
  measurePool(compiled, pool, warmUp)
  const large = measurePool(compiled, pool, seconds)
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps results observable to the optimizer')

  return {
    evaluationsPerSecond: alone.cpu,
    evaluationsPerSecondWithPrepare: withPrepare.cpu,
    evaluationsPerSecondLargeWorkingSet: large.cpu,
    wallClock: {
      evaluationsPerSecond: alone.wall,
      evaluationsPerSecondWithPrepare: withPrepare.wall,
      evaluationsPerSecondLargeWorkingSet: large.wall,
    },
    contacts,
    eventsPerContact,
    batchSize: BATCH,
    grid: 'starter',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    seconds,
    mqlShare: Math.round((mql / contacts) * 1000) / 1000,
    hotShare: Math.round((hot / contacts) * 1000) / 1000,
  }
}
