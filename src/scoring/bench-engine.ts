/**
 * Engine benchmark (`npm run bench` → `leadgrid bench engine`). The one NON-PURE file of
 * `scoring/`: it reads clocks (`performance.now()`, `process.cpuUsage()`) and `node:os` to report
 * the machine — speed is measured by benchmarks reported with their machine, never
 * asserted by timed unit tests.
 *
 * On one thread (one core), with the Starter grid and generated contacts (seeded PRNG: the same
 * contacts on every run, 20 mixed events each):
 * - `evaluationsPerSecond`: `evaluate` cycling over `contacts` (default 100) contacts whose events
 *   were prepared beforehand. 100 contacts (~1 MB prepared) stay in the CPU caches, as in the
 *   service, where the rescoring worker evaluates a contact right after preparing its events.
 * - `evaluationsPerSecondWithPrepare`: the same loop with `prepareEvents` on the raw events inside
 *   it — what a rescoring pass costs per contact, database aside.
 * - `evaluationsPerSecondLargeWorkingSet`: `evaluate` cycling over `largeWorkingSet` (default
 *   10,000) prepared contacts — ~100 MB, mostly out of the CPU caches and TLB: the access pattern of
 *   a backtest over a whole workspace. Memory-bound, and sensitive to where the heap lands (runs on
 *   the same machine vary by ±30%); it shows what a cold cache costs. Pass `contacts: 1000` to see
 *   the transition.
 * Rates are per CPU-second of this process, so time a busy machine gives other processes is not
 * counted against the engine (GC helper threads are counted, which only lowers the figure);
 * wall-clock rates are reported too, with the load average at the start.
 */
import os from 'node:os'
import type { LeadEvent } from '../domain/lead-event.js'
import { seededRandom } from '../util/seeded-random.js'
import { compileGrid } from './compile.js'
import { evaluate } from './evaluate.js'
import { prepareEvents } from './prepare.js'
import { starterGrid } from './starter-grid.js'
import type { EvaluateInput } from './types.js'

export interface EngineBenchOptions {
  /** Contacts cycled through by the main figures (default 100: cache-resident, see above). */
  contacts?: number
  /** Contacts in the large-working-set figure (default 10,000; 0 skips it). */
  largeWorkingSet?: number
  /** Events per contact (default 20). */
  eventsPerContact?: number
  /** Timed seconds per figure (default 2), after a warm-up. */
  seconds?: number
  seed?: number
}

export interface EngineBenchResult {
  /** `evaluate` cycling over `contacts` contacts prepared beforehand. */
  evaluationsPerSecond: number
  evaluationsPerSecondWithPrepare: number
  evaluationsPerSecondLargeWorkingSet: number
  /** The same figures per wall-clock second. */
  wallClock: {
    evaluationsPerSecond: number
    evaluationsPerSecondWithPrepare: number
    evaluationsPerSecondLargeWorkingSet: number
  }
  contacts: number
  largeWorkingSet: number
  eventsPerContact: number
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

const cpuSeconds = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

interface Rate {
  cpu: number
  wall: number
}

let sink = 0

/** Calls `step(i)` in chunks until `seconds` of CPU time have passed; rates per CPU and wall second. */
function measure(seconds: number, step: (i: number) => void): Rate {
  let calls = 0
  const c0 = cpuSeconds()
  const w0 = performance.now()
  let cpu = 0
  while (cpu < seconds) {
    for (let k = 0; k < 500; k++) step(calls++)
    cpu = cpuSeconds() - c0
  }
  return { cpu: Math.round(calls / cpu), wall: Math.round(calls / ((performance.now() - w0) / 1000)) }
}

export function runEngineBench(options: EngineBenchOptions = {}): EngineBenchResult {
  const contacts = options.contacts ?? 100
  const largeWorkingSet = options.largeWorkingSet ?? 10_000
  const eventsPerContact = options.eventsPerContact ?? 20
  const seconds = options.seconds ?? 2
  const seed = options.seed ?? 42
  const loadAverage = Math.round(os.loadavg()[0]! * 100) / 100
  const compiled = compileGrid(starterGrid)
  const warmUp = Math.min(0.5, seconds / 4) // let the JIT settle before anything is timed
  const prepare = (c: ReturnType<typeof generateContact>): EvaluateInput => ({
    profile: c.profile,
    createdAt: c.createdAt,
    events: prepareEvents(c.events),
  })
  // Each contact is generated then prepared at once, as the service loads then prepares it, so a
  // contact's raw and prepared data sit together in memory, as they do in the service.
  const generatePrepared = (rand: () => number, n: number, from: number) =>
    Array.from({ length: n }, (_, i) => prepare(generateContact(rand, from + i, eventsPerContact)))

  // Prepare-and-evaluate first, before any prepared contact is kept alive: prepared events that
  // survive make V8 pretenure their allocation sites, after which every short-lived preparation is
  // allocated in the old generation — an artefact the rescoring worker (prepare, evaluate, drop) avoids.
  const rawRand = seededRandom(seed)
  const raw = Array.from({ length: contacts }, (_, i) => generateContact(rawRand, i, eventsPerContact))
  const prepareAndEvaluateOne = (i: number) => {
    sink += evaluate(compiled, prepare(raw[i % contacts]!), BENCH_NOW).total
  }
  measure(warmUp, prepareAndEvaluateOne)
  const withPrepare = measure(seconds, prepareAndEvaluateOne)

  const rand = seededRandom(seed) // the same contacts, prepared up front
  const pool = generatePrepared(rand, contacts, 0)
  let mql = 0
  let hot = 0
  for (const input of pool) {
    const r = evaluate(compiled, input, BENCH_NOW)
    if (r.mql) mql++
    if (r.band === 'hot') hot++
  }
  const evaluateOne = (i: number) => {
    sink += evaluate(compiled, pool[i % contacts]!, BENCH_NOW).total
  }
  measure(warmUp, evaluateOne)
  const alone = measure(seconds, evaluateOne)

  let large: Rate = { cpu: 0, wall: 0 }
  if (largeWorkingSet > 0) {
    const big = [...pool, ...generatePrepared(rand, Math.max(0, largeWorkingSet - contacts), contacts)]
    const evaluateBig = (i: number) => {
      sink += evaluate(compiled, big[i % big.length]!, BENCH_NOW).total
    }
    measure(warmUp, evaluateBig)
    large = measure(seconds, evaluateBig)
  }
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
    largeWorkingSet,
    eventsPerContact,
    grid: 'starter',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    loadAverage,
    seconds,
    mqlShare: Math.round((mql / contacts) * 1000) / 1000,
    hotShare: Math.round((hot / contacts) * 1000) / 1000,
  }
}
