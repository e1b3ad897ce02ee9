/**
 * An independent, deliberately literal re-implementation of the Starter grid (SPEC §4, §5) for
 * differential tests of the scoring engine. It does not import anything from `src/scoring`:
 * every rule is written out by hand from the SPEC text plus the team's decisions on the points
 * the SPEC leaves open. Slow and obvious on purpose — do not "optimize" it.
 *
 * Decisions encoded here (beyond the SPEC text):
 * - Strings: case-insensitive, `_` and `-` read as spaces, whitespace collapsed and trimmed.
 * - Lookback 90 days: an event counts only when `now − 90 days < occurredAt ≤ now` (ms).
 * - The same event twice in a line (same type, same instant, same attributes) is one event
 *   (SPEC §2: "the same event delivered twice is stored once").
 * - whitepaper: +25 per distinct unit; downloads keyed `asset:` + (assetId, else assetName), forms
 *   keyed `form:` + (formId, else formName); an event with no usable key is its own unit. The key
 *   value is compared like every string (SPEC §4: case-insensitive, `_`/`-` as spaces), so
 *   "WP-1" and "wp_1" are one asset.
 * - pricing-page: +20 per UTC calendar day with a matching view, at most 3 days. The path is taken
 *   with the WHATWG URL parser (dot segments resolved, `\` read as `/`); each segment is
 *   percent-decoded and compared as a string (case-insensitive, `_`/`-` as spaces, trimmed).
 * - newsletter-streak: +15 once (see `ruleNewsletterStreak`).
 * - company-size: `company_size > 50`; numeric strings coerced ("200", " 75 ", "+60", "1,000",
 *   "1 000" with a space/no-break space as thousands separator), anything else no.
 * - decision-maker: whole word/phrase (Unicode letters and digits are word characters).
 * - non-priority-sector: industry known (present, not null, not a blank string) and not among the
 *   6 priority sectors; a non-string value (42, true) is known and not a priority sector.
 * - personal-email: domain (after the last `@`, trimmed, lower-cased) in `email-providers/all.json`.
 * - inactive-30-days (engagement): last activity = newest non-`email.delivered` event inside the
 *   lookback, else `createdAt`; awarded when `now − lastActivity > 30 days` strictly.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const FREE_EMAIL_DOMAINS: ReadonlySet<string> = new Set(require('email-providers/all.json') as string[])

export const DAY_MS = 86_400_000
export const LOOKBACK_DAYS = 90
export const INACTIVITY_DAYS = 30

export const REFERENCE_DECISION_MAKER_WORDS = [
  'manager',
  'head',
  'director',
  'vp',
  'vice president',
  'chief',
  'ceo',
  'cto',
  'cfo',
  'cmo',
  'coo',
  'founder',
  'co-founder',
  'owner',
  'president',
  'partner',
  'directeur',
  'directrice',
  'responsable',
  'gérant',
  'gérante',
  'fondateur',
  'fondatrice',
  'pdg',
  'dg',
] as const

export const REFERENCE_PRIORITY_SECTORS = [
  'Computer Software',
  'Information Technology and Services',
  'Internet',
  'Marketing and Advertising',
  'Financial Services',
  'Management Consulting',
] as const

export const REFERENCE_PRICING_SEGMENTS = [
  'pricing',
  'tarifs',
  'tarif',
  'prix',
  'product',
  'products',
  'produit',
  'produits',
] as const

export interface ReferenceEvent {
  type: string
  occurredAt: string
  attributes?: Record<string, unknown>
}

export interface ReferenceLine {
  id: string
  createdAt: string
  properties: Record<string, unknown>
  events: ReferenceEvent[]
  previous?: { mql: boolean }
}

export type ReferenceBand = 'cold' | 'warm' | 'hot'

export interface ReferenceResult {
  id: string
  fit: number
  engagement: number
  score: number
  band: ReferenceBand
  grade: string
  mql: boolean
  /** Rule id → points, only for rules that fired (points ≠ 0). */
  fired: Record<string, number>
}

/** Lower-case, `_` and `-` as spaces, whitespace collapsed, trimmed. Non-strings → null. */
export function normalize(value: unknown): string | null {
  if (typeof value !== 'string') return null
  let s = value.toLowerCase()
  s = s.replaceAll('_', ' ').replaceAll('-', ' ')
  s = s.replace(/\s+/g, ' ')
  s = s.trim()
  return s
}

function parseMs(iso: string): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`reference: not an instant: ${iso}`)
  return ms
}

/** `now − 90 days < t ≤ now`. */
export function inLookback(t: number, nowMs: number): boolean {
  return nowMs - LOOKBACK_DAYS * DAY_MS < t && t <= nowMs
}

function attr(event: ReferenceEvent, name: string): unknown {
  const attributes = event.attributes ?? {}
  return attributes[name]
}

/** A usable key part: a string that is not blank once normalized, compared normalized. */
function usableKey(value: unknown): string | null {
  const key = normalize(value)
  if (key === null || key === '') return null
  return key
}

function isLetterOrDigit(ch: string | undefined): boolean {
  if (ch === undefined) return false
  return /[\p{L}\p{N}]/u.test(ch)
}

/** Whole-word/phrase containment on already-normalized text. */
export function containsWholePhrase(text: string, phrase: string): boolean {
  let from = 0
  while (true) {
    const at = text.indexOf(phrase, from)
    if (at < 0) return false
    const before = at === 0 ? undefined : text[at - 1]
    const after = text[at + phrase.length]
    if (!isLetterOrDigit(before) && !isLetterOrDigit(after)) return true
    from = at + 1
  }
}

// ---------------------------------------------------------------------------------------------
// Fit rules

export function companySizeNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value !== 'string') return null
  const s = value.trim()
  if (/^[+-]?\d+(\.\d*)?$/.test(s)) return Number(s)
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) return Number(s.replaceAll(',', ''))
  if (/^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+(\.\d*)?$/.test(s))
    return Number(s.replace(/[ \u00a0\u202f]/g, ''))
  return null
}

function ruleCompanySize(props: Record<string, unknown>): number {
  const n = companySizeNumber(props['company_size'])
  if (n !== null && n > 50) return 10
  return 0
}

export function isDecisionMakerText(value: unknown): boolean {
  const text = normalize(value)
  if (text === null || text === '') return false
  for (const word of REFERENCE_DECISION_MAKER_WORDS) {
    const phrase = normalize(word)!
    if (containsWholePhrase(text, phrase)) return true
  }
  return false
}

function ruleDecisionMaker(props: Record<string, unknown>): number {
  if (isDecisionMakerText(props['jobtitle']) || isDecisionMakerText(props['seniority'])) return 5
  return 0
}

function ruleNonPrioritySector(props: Record<string, unknown>): number {
  const value = props['industry']
  if (value === undefined || value === null) return 0
  const industry = normalize(typeof value === 'string' ? value : String(value))
  if (industry === null || industry === '') return 0
  for (const sector of REFERENCE_PRIORITY_SECTORS) {
    if (normalize(sector) === industry) return 0
  }
  return -10
}

export function emailDomain(email: unknown): string | null {
  if (typeof email !== 'string') return null
  const at = email.lastIndexOf('@')
  if (at < 0) return null
  return email
    .slice(at + 1)
    .trim()
    .toLowerCase()
}

function rulePersonalEmail(props: Record<string, unknown>): number {
  const domain = emailDomain(props['email'])
  if (domain !== null && FREE_EMAIL_DOMAINS.has(domain)) return -20
  return 0
}

// ---------------------------------------------------------------------------------------------
// Engagement rules (all take the events already restricted to the lookback window)

interface TimedEvent {
  event: ReferenceEvent
  t: number
}

const WHITEPAPER_FORM = /white ?paper|livre blanc/i

function ruleWhitepaper(events: TimedEvent[]): number {
  const units = new Set<string>()
  let anonymous = 0
  for (const { event } of events) {
    if (event.type === 'asset.downloaded') {
      if (normalize(attr(event, 'assetType')) !== 'whitepaper') continue
      const key = usableKey(attr(event, 'assetId')) ?? usableKey(attr(event, 'assetName'))
      if (key === null) anonymous++
      else units.add('asset:' + key)
    } else if (event.type === 'form.submitted') {
      const name = normalize(attr(event, 'formName'))
      if (name === null || !WHITEPAPER_FORM.test(name)) continue
      const key = usableKey(attr(event, 'formId')) ?? usableKey(attr(event, 'formName'))
      if (key === null) anonymous++
      else units.add('form:' + key)
    }
  }
  return 25 * (units.size + anonymous)
}

/**
 * The URL's path by the WHATWG URL parser: full URLs (`scheme://…`) as they are, anything else as
 * a path relative to a dummy origin. Query and fragment are dropped by the parser.
 */
export function urlPath(url: string): string {
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return new URL(url).pathname
    return new URL(url, 'https://reference.invalid/').pathname
  } catch {
    return ''
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export function isPricingUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false
  const segments = urlPath(url).split('/')
  for (const segment of segments) {
    const text = normalize(decodeSegment(segment))
    for (const candidate of REFERENCE_PRICING_SEGMENTS) {
      if (text === candidate) return true
    }
  }
  return false
}

function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10)
}

function rulePricingPage(events: TimedEvent[]): number {
  const days = new Set<string>()
  for (const { event, t } of events) {
    if (event.type !== 'page.viewed') continue
    if (!isPricingUrl(attr(event, 'url'))) continue
    days.add(utcDay(t))
  }
  return 20 * Math.min(days.size, 3)
}

function ruleNewsletterStreak(events: TimedEvent[]): number {
  // Newsletter deliveries, one per campaign (its newest delivery), newest first.
  const newestDelivery = new Map<string, number>()
  for (const { event, t } of events) {
    if (event.type !== 'email.delivered') continue
    if (normalize(attr(event, 'category')) !== 'newsletter') continue
    const campaign = usableKey(attr(event, 'campaignId'))
    if (campaign === null) continue
    const seen = newestDelivery.get(campaign)
    if (seen === undefined || t > seen) newestDelivery.set(campaign, t)
  }
  if (newestDelivery.size === 0) {
    const opened = new Set<string>()
    for (const { event } of events) {
      if (event.type !== 'email.opened') continue
      if (normalize(attr(event, 'category')) !== 'newsletter') continue
      const campaign = usableKey(attr(event, 'campaignId'))
      if (campaign !== null) opened.add(campaign)
    }
    return opened.size >= 3 ? 15 : 0
  }
  if (newestDelivery.size < 3) return 0
  const campaigns = [...newestDelivery.entries()].sort((a, b) => b[1] - a[1]).map(([campaign]) => campaign)
  const lastThree = campaigns.slice(0, 3)
  for (const campaign of lastThree) {
    let opened = false
    for (const { event } of events) {
      if (event.type === 'email.opened' && usableKey(attr(event, 'campaignId')) === campaign) opened = true
    }
    if (!opened) return 0
  }
  return 15
}

function ruleInactive(events: TimedEvent[], createdAtMs: number, nowMs: number): number {
  let last: number | null = null
  for (const { event, t } of events) {
    if (event.type === 'email.delivered') continue
    if (last === null || t > last) last = t
  }
  const lastActivity = last ?? createdAtMs
  if (nowMs - lastActivity > INACTIVITY_DAYS * DAY_MS) return -30
  return 0
}

// ---------------------------------------------------------------------------------------------
// Totals

export function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x))
}

export function bandOf(total: number): ReferenceBand {
  if (total < 40) return 'cold'
  if (total < 80) return 'warm'
  return 'hot'
}

export function gradeOf(fit: number, engagement: number): string {
  const letter = fit >= 15 ? 'A' : fit >= 5 ? 'B' : 'C'
  const digit = engagement >= 50 ? '1' : engagement >= 20 ? '2' : '3'
  return letter + digit
}

export function mqlOf(total: number, previous?: { mql: boolean }): boolean {
  if (previous?.mql === true) return total >= 70
  return total >= 80
}

/** JSON with object keys sorted, so attribute order does not make two events different. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function referenceScore(line: ReferenceLine, nowMs: number): ReferenceResult {
  const props = line.properties ?? {}
  const timed: TimedEvent[] = []
  const seen = new Set<string>()
  for (const event of line.events ?? []) {
    const t = parseMs(event.occurredAt)
    const identity = canonicalJson([event.type, t, event.attributes ?? {}])
    if (seen.has(identity)) continue
    seen.add(identity)
    if (inLookback(t, nowMs)) timed.push({ event, t })
  }

  const fitRules: Record<string, number> = {
    'company-size': ruleCompanySize(props),
    'decision-maker': ruleDecisionMaker(props),
    'non-priority-sector': ruleNonPrioritySector(props),
    'personal-email': rulePersonalEmail(props),
  }
  const engagementRules: Record<string, number> = {
    whitepaper: ruleWhitepaper(timed),
    'pricing-page': rulePricingPage(timed),
    'newsletter-streak': ruleNewsletterStreak(timed),
    'inactive-30-days': ruleInactive(timed, parseMs(line.createdAt), nowMs),
  }

  let fitSum = 0
  for (const points of Object.values(fitRules)) fitSum += points
  let engagementSum = 0
  for (const points of Object.values(engagementRules)) engagementSum += points
  const fit = roundHalfAwayFromZero(fitSum)
  const engagement = roundHalfAwayFromZero(engagementSum)
  const score = fit + engagement

  const fired: Record<string, number> = {}
  for (const [id, points] of Object.entries({ ...fitRules, ...engagementRules })) {
    if (points !== 0) fired[id] = points
  }

  return {
    id: line.id,
    fit,
    engagement,
    score,
    band: bandOf(score),
    grade: gradeOf(fit, engagement),
    mql: mqlOf(score, line.previous),
    fired,
  }
}
