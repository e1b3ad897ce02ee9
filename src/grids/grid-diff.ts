/**
 * A readable diff between two grid versions, for the audit log and the publish dialog: one line per
 * change a RevOps person would name (`+20 → +30 Pricing page`, `MQL threshold 80 → 90`,
 * `+ Demo booked (+40)`). Pure: no I/O, compares rules by id.
 */
import type { Grid, Rule } from '../scoring/index.js'

/** Points as the score card writes them: +20, −10 (U+2212), 0. */
export function signed(points: number): string {
  if (points > 0) return `+${points}`
  if (points < 0) return `\u2212${Math.abs(points)}`
  return '0'
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

const SETTINGS: [string, (g: Grid) => unknown][] = [
  ['Name', (g) => g.name],
  ['Lookback (days)', (g) => g.lookbackDays],
  ['Warm threshold', (g) => g.thresholds.warm],
  ['Hot threshold', (g) => g.thresholds.hot],
  ['Grade A (fit ≥)', (g) => g.grade.fitA],
  ['Grade B (fit ≥)', (g) => g.grade.fitB],
  ['Grade 1 (engagement ≥)', (g) => g.grade.engagement1],
  ['Grade 2 (engagement ≥)', (g) => g.grade.engagement2],
  ['MQL threshold', (g) => g.mqlThreshold],
  ['MQL hysteresis', (g) => g.mqlHysteresis],
  ['Minimum score', (g) => g.minScore],
  ['Maximum score', (g) => g.maxScore],
]

/** Names of a rule's fields that carry its logic (conditions, counting), as the editor labels them. */
const LOGIC_FIELDS: Record<string, string> = {
  when: 'conditions',
  events: 'events',
  per: 'counting',
  maxCount: 'max count',
  withinDays: 'window (days)',
  halfLifeDays: 'half-life (days)',
  atLeast: 'at least',
  length: 'streak length',
  category: 'category',
  days: 'days',
  group: 'group',
  kind: 'kind',
}

function ruleChanges(before: Rule, after: Rule): string[] {
  const lines: string[] = []
  const name = after.label
  if (before.points !== after.points) lines.push(`${signed(before.points)} → ${signed(after.points)} ${name}`)
  if (before.label !== after.label) lines.push(`Renamed "${before.label}" → "${after.label}"`)
  if ((before.description ?? '') !== (after.description ?? '')) lines.push(`${name}: rationale edited`)
  const b = before as unknown as Record<string, unknown>
  const a = after as unknown as Record<string, unknown>
  for (const [key, label] of Object.entries(LOGIC_FIELDS)) {
    if (same(b[key], a[key])) continue
    const scalar = (v: unknown) => v === undefined || typeof v !== 'object'
    lines.push(
      scalar(b[key]) && scalar(a[key])
        ? `${name}: ${label} ${show(b[key])} → ${show(a[key])}`
        : `${name}: ${label} changed`,
    )
  }
  return lines
}

export function diffGrids(before: Grid | null, after: Grid): string[] {
  if (!before) return after.rules.map((r) => `+ ${r.label} (${signed(r.points)})`)
  const lines: string[] = []
  for (const [label, read] of SETTINGS) {
    if (!same(read(before), read(after))) lines.push(`${label} ${show(read(before))} → ${show(read(after))}`)
  }
  const beforeRules = new Map(before.rules.map((r) => [r.id, r]))
  const afterIds = new Set(after.rules.map((r) => r.id))
  for (const rule of after.rules) {
    const old = beforeRules.get(rule.id)
    if (!old) lines.push(`+ ${rule.label} (${signed(rule.points)})`)
    else lines.push(...ruleChanges(old, rule))
  }
  for (const rule of before.rules) {
    if (!afterIds.has(rule.id)) lines.push(`− ${rule.label} (was ${signed(rule.points)})`)
  }
  const groups = (g: Grid) => new Map((g.groups ?? []).map((x) => [x.id, x]))
  const gb = groups(before)
  const ga = groups(after)
  for (const [id, g] of ga) {
    const old = gb.get(id)
    if (!old) lines.push(`+ group ${g.label}`)
    else if (!same(old, g)) {
      if (old.maxPoints !== g.maxPoints)
        lines.push(`Group ${g.label}: cap ${show(old.maxPoints)} → ${show(g.maxPoints)}`)
      if (old.minPoints !== g.minPoints)
        lines.push(`Group ${g.label}: floor ${show(old.minPoints)} → ${show(g.minPoints)}`)
      if (old.label !== g.label) lines.push(`Group renamed "${old.label}" → "${g.label}"`)
    }
  }
  for (const [id, g] of gb) if (!ga.has(id)) lines.push(`− group ${g.label}`)
  if ((before.description ?? '') !== (after.description ?? '')) lines.push('Grid description edited')
  return lines
}
