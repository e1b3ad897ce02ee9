/**
 * From the fitted weights to the suggested rules and the changes said in words (pure): each current
 * rule re-weighted, kept or dropped; "any <type> event" rules and profile-property rules added.
 * Points are on the scale of the profile part (points.ts); a rule counted per occurrence gets its
 * weight spread over its average count among the leads it scored; a rule fewer than 10 training
 * leads matched is kept as it is (too little to judge).
 */
import type { LeadEvent } from '../domain/lead-event.js'
import type { Rule } from '../scoring/schema.js'
import { explain, type PointsResult, type SuggestedRule } from './points.js'

export interface Case {
  contactId: string
  email: string | null
  decidedAt: Date
  converted: boolean
  profile: Record<string, string | number | boolean | null>
  createdAt: number
  events: LeadEvent[]
  /** Current rule id → occurrences (1 for a profile rule) at decision time. */
  hits: Map<string, number>
}

export interface RuleChange {
  ruleId: string
  change: 'reweighted' | 'kept' | 'dropped' | 'added'
  from: number | null
  to: number | null
  explanation: string
}

export function ruleChanges(input: {
  rules: readonly Rule[]
  train: readonly Case[]
  /** Features 0..R−1: the current rules; R..R+E−1: the event types. */
  weights: Float64Array
  scale: number
  eventTypes: readonly string[]
  baseRate: number
  profilePart: { grid: PointsResult['grid']; rules: SuggestedRule[] }
}): { kept: Rule[]; added: Rule[]; changes: RuleChange[] } {
  const { rules, train, weights, scale, eventTypes, baseRate, profilePart } = input
  // Current rules, re-weighted or dropped; each change said in words.
  const changes: RuleChange[] = []
  const stats = (has: (c: Case) => boolean) => {
    const withIt = train.filter(has)
    const conv = withIt.filter((c) => c.converted).length
    const rate = withIt.length ? conv / withIt.length : 0
    return { leads: withIt.length, rate, lift: baseRate > 0 ? rate / baseRate : 0 }
  }
  const kept: Rule[] = []
  rules.forEach((rule, i) => {
    const s = stats((c) => c.hits.has(rule.id))
    const withIt = train.filter((c) => c.hits.has(rule.id))
    const meanCount = withIt.length
      ? withIt.reduce((a, c) => a + (c.hits.get(rule.id) ?? 1), 0) / withIt.length
      : 1
    const perOccurrence = rule.kind === 'engagement' && meanCount > 1
    const points =
      s.leads < 10 ? rule.points : Math.round((scale * weights[i]!) / (perOccurrence ? meanCount : 1))
    const words =
      s.leads < 10
        ? `too few leads with it (${s.leads}) to judge: kept as is`
        : explain(points, s.lift, s.leads, s.rate)
    if (points === 0) {
      changes.push({
        ruleId: rule.id,
        change: 'dropped',
        from: rule.points,
        to: null,
        explanation: `${rule.label} ${signed(rule.points)} → dropped: ${words}${s.lift > 1.05 ? '; worth nothing once the other criteria are counted (its leads already have them)' : ''}`,
      })
      return
    }
    kept.push({ ...rule, points })
    changes.push({
      ruleId: rule.id,
      change: points === rule.points ? 'kept' : 'reweighted',
      from: rule.points,
      to: points,
      explanation: `${rule.label} ${signed(rule.points)} → ${signed(points)}${perOccurrence ? ' each' : ''}: ${words}`,
    })
  })
  const ids = new Set(kept.map((r) => r.id))
  const added: Rule[] = []
  eventTypes.forEach((type, k) => {
    const points = Math.round(scale * weights[rules.length + k]!)
    if (points === 0) return
    const id = uniqueId(ids, `event-${type.replace(/[^a-z0-9]+/gi, '-')}`)
    const s = stats((c) => c.events.some((e) => e.type === type))
    const label = `Any ${type} event`
    added.push({
      id,
      label,
      points,
      kind: 'engagement',
      events: { types: [type] },
      per: 'occurrence',
      maxCount: 1,
    } as Rule)
    changes.push({
      ruleId: id,
      change: 'added',
      from: null,
      to: points,
      explanation: `${label} (new) ${signed(points)}: ${explain(points, s.lift, s.leads, s.rate)}`,
    })
  })
  for (const r of profilePart.grid.rules) {
    const id = uniqueId(ids, r.id)
    added.push({ ...r, id })
    const why = profilePart.rules.find((s) => s.rule.id === r.id)?.explanation ?? r.description ?? ''
    changes.push({
      ruleId: id,
      change: 'added',
      from: null,
      to: r.points,
      explanation: `${r.label} (new) ${signed(r.points)}: ${why}`,
    })
  }
  return { kept, added, changes }
}

const signed = (n: number) => (n > 0 ? `+${n}` : `${n}`)

function uniqueId(used: Set<string>, wanted: string): string {
  const base = wanted.slice(0, 60)
  let id = base
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`
  used.add(id)
  return id
}
