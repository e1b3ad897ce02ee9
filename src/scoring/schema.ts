/**
 * The grid document: what RevOps edits in the settings page and what the API validates.
 * Objects are strict — a misspelt key (`maxcount`) is an error, not a silently ignored option —
 * and every issue names its path (`rules.3.when.all.0.value: …`) so the API can return it as a 400.
 */
import { z } from 'zod'
import { EMAIL_CATEGORIES, EVENT_TYPES } from '../domain/lead-event.js'
import { patternProblem } from './safe-pattern.js'
import type { Condition, EventSelector, LeafTest, Per } from './types.js'

const MAX_CONDITION_DEPTH = 8

/**
 * Validates with the schema `pick` chooses from the input's shape (or reports `pick`'s message), so
 * an error names the path inside the shape the author meant instead of an opaque "invalid union".
 */
function dispatch<T>(pick: (value: unknown) => z.ZodType<T> | string | Refusal): z.ZodType<T> {
  return z.unknown().transform((value, ctx): T => {
    const chosen = pick(value)
    if (typeof chosen === 'string') {
      ctx.issues.push({ code: 'custom', message: chosen, input: value })
      return z.NEVER
    }
    if ('message' in chosen) {
      ctx.issues.push({ code: 'custom', message: chosen.message, path: chosen.path, input: value })
      return z.NEVER
    }
    const result = chosen.safeParse(value)
    if (result.success) return result.data
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: value } as never)
    return z.NEVER
  }) as unknown as z.ZodType<T>
}

interface Refusal {
  path: string[]
  message: string
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function depthOf(v: unknown, limit: number): number {
  if (limit < 0 || typeof v !== 'object' || v === null) return 0
  let max = 0
  for (const child of Object.values(v)) max = Math.max(max, depthOf(child, limit - 1))
  return max + 1
}

const text = z.string().min(1).max(500)
const operand = z.union([text, z.number().finite(), z.boolean()], {
  error: 'expected a string, number or boolean',
})
const textOrList = z.union([text, z.array(text).min(1).max(1000)], {
  error: 'expected a non-empty string or a list of strings',
})
const finite = z.number().finite()
const pattern = z.string().superRefine((p, ctx) => {
  const problem = patternProblem(p)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})
const domain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^@?[a-z0-9.-]+\.?$/i, 'expected a domain such as acme.com')

const LEAF_SHAPES: Record<LeafTest['op'], z.ZodRawShape> = {
  eq: { value: operand },
  neq: { value: operand },
  in: { value: z.array(operand).min(1).max(1000) },
  notIn: { value: z.array(operand).min(1).max(1000) },
  contains: { value: textOrList },
  notContains: { value: textOrList },
  containsWord: { value: textOrList },
  startsWith: { value: textOrList },
  endsWith: { value: textOrList },
  matches: { value: pattern },
  gt: { value: finite },
  gte: { value: finite },
  lt: { value: finite },
  lte: { value: finite },
  between: {
    value: z.tuple([finite, finite]).refine(([min, max]) => min <= max, 'expected [min, max] with min ≤ max'),
  },
  isKnown: {},
  isUnknown: {},
  isFreeEmail: {},
  emailDomainIn: { value: z.array(domain).min(1).max(1000) },
}

/** Condition trees whose leaves name their subject `property` (profiles) or `attribute` (events). */
function conditionSchema<K extends 'property' | 'attribute'>(key: K): z.ZodType<Condition<K>> {
  const leaves = new Map<string, z.ZodType>(
    Object.entries(LEAF_SHAPES).map(([op, shape]) => [
      op,
      z.strictObject({ [key]: z.string().min(1).max(200), op: z.literal(op), ...shape }),
    ]),
  )
  const list = (): z.ZodType => z.array(node).min(1).max(50)
  const node: z.ZodType<Condition<K>> = dispatch((v) => {
    if (!isObject(v)) return `expected a condition: { "${key}", "op", "value" } or { "all" | "any" | "not" }`
    if ('all' in v) return z.strictObject({ all: list() }) as z.ZodType<Condition<K>>
    if ('any' in v) return z.strictObject({ any: list() }) as z.ZodType<Condition<K>>
    if ('not' in v) return z.strictObject({ not: node }) as z.ZodType<Condition<K>>
    const other = key === 'property' ? 'attribute' : 'property'
    if (other in v && !(key in v)) {
      const why =
        key === 'property'
          ? 'fit conditions test profile properties'
          : 'event conditions test event attributes'
      return { path: [other], message: `use "${key}" here: ${why}` }
    }
    const ops = Object.keys(LEAF_SHAPES).join(', ')
    if (!('op' in v))
      return { path: ['op'], message: `expected "op" (one of ${ops}) or "all" / "any" / "not"` }
    const leaf = leaves.get(String(v.op))
    if (!leaf) return { path: ['op'], message: `unknown op "${String(v.op)}"; expected one of ${ops}` }
    return leaf as z.ZodType<Condition<K>>
  })
  // Depth is checked once at the root, before recursion, so a hostile document cannot blow the stack.
  return dispatch((v) =>
    depthOf(v, 2 * MAX_CONDITION_DEPTH + 2) > 2 * MAX_CONDITION_DEPTH
      ? `conditions may nest at most ${MAX_CONDITION_DEPTH} levels deep`
      : node,
  )
}

export const profileConditionSchema = conditionSchema('property')
export const eventConditionSchema = conditionSchema('attribute')

const eventSelectorSchema: z.ZodType<EventSelector> = z.strictObject({
  types: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
  where: eventConditionSchema.optional(),
})

/** One selector, or a list of selectors any of which matches (e.g. a download OR a form). */
const eventsSchema = dispatch<EventSelector | EventSelector[]>((v) =>
  Array.isArray(v) ? z.array(eventSelectorSchema).min(1).max(10) : eventSelectorSchema,
)

const perSchema = dispatch<Per>((v) =>
  typeof v === 'string'
    ? z.enum(['occurrence', 'day'])
    : z.strictObject(
        { distinct: z.string().min(1).max(200) },
        'expected "occurrence", "day" or { "distinct": key }',
      ),
)

const days = z.number().finite().positive().max(3650)
const ruleBase = {
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._-]{0,63}$/i,
      'expected 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  label: z.string().trim().min(1).max(80),
  description: z.string().max(2000).optional(),
  points: z.number().finite().min(-1000).max(1000),
  group: z.string().min(1).max(64).optional(),
}

export const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...ruleBase, kind: z.literal('fit'), when: profileConditionSchema }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('engagement'),
    events: eventsSchema,
    per: perSchema.default('occurrence'),
    maxCount: z.number().int().min(1).max(10_000).optional(),
    withinDays: days.optional(),
    halfLifeDays: days.optional(),
  }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('frequency'),
    events: eventsSchema,
    atLeast: z.number().int().min(1).max(10_000),
    withinDays: days,
    per: perSchema.default('occurrence'),
  }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('streak'),
    length: z.number().int().min(1).max(50),
    category: z.enum(EMAIL_CATEGORIES).optional(),
  }),
  z.strictObject({ ...ruleBase, kind: z.literal('inactivity'), days }),
])

const groupSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'expected 1–64 letters, digits, ".", "_" or "-"'),
    label: z.string().trim().min(1).max(80),
    maxPoints: z.number().finite().min(0).optional(),
    minPoints: z.number().finite().max(0).optional(),
  })
  .describe('maxPoints ≥ 0 caps a positive sum, minPoints ≤ 0 floors a negative one; 0 always stays 0')

export const gridSchema = z
  .strictObject({
    /** Version of this document's format, so a future shape can be migrated. */
    schemaVersion: z.literal(1).default(1),
    name: z.string().trim().min(1).max(120),
    description: z.string().max(2000).optional(),
    lookbackDays: z.number().int().min(1).max(3650).default(90),
    thresholds: z.strictObject({ warm: finite.default(40), hot: finite.default(80) }).prefault({}),
    grade: z
      .strictObject({
        fitA: finite.default(15),
        fitB: finite.default(5),
        engagement1: finite.default(50),
        engagement2: finite.default(20),
      })
      .prefault({}),
    mqlThreshold: finite.default(80),
    mqlHysteresis: finite.min(0).default(10),
    minScore: finite.optional(),
    maxScore: finite.optional(),
    groups: z.array(groupSchema).max(50).optional(),
    rules: z.array(ruleSchema).max(200),
  })
  .superRefine((grid, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message })
    if (grid.thresholds.hot < grid.thresholds.warm) issue(['thresholds', 'hot'], 'must be ≥ thresholds.warm')
    if (grid.grade.fitA < grid.grade.fitB) issue(['grade', 'fitA'], 'must be ≥ grade.fitB')
    if (grid.grade.engagement1 < grid.grade.engagement2)
      issue(['grade', 'engagement1'], 'must be ≥ grade.engagement2')
    if (grid.minScore !== undefined && grid.maxScore !== undefined && grid.maxScore < grid.minScore) {
      issue(['maxScore'], 'must be ≥ minScore')
    }

    const groupIndex = new Map<string, number>()
    grid.groups?.forEach((g, i) => {
      if (groupIndex.has(g.id)) issue(['groups', i, 'id'], `duplicate group id "${g.id}"`)
      else groupIndex.set(g.id, i)
    })

    const ruleIds = new Map<string, number>()
    const groupSides = new Map<string, { fit?: string; engagement?: string }>()
    grid.rules.forEach((rule, i) => {
      const first = ruleIds.get(rule.id)
      if (first !== undefined)
        issue(['rules', i, 'id'], `duplicate rule id "${rule.id}" (first used by rules.${first})`)
      else ruleIds.set(rule.id, i)

      if (rule.group !== undefined) {
        if (!groupIndex.has(rule.group)) issue(['rules', i, 'group'], `unknown group "${rule.group}"`)
        const sides = groupSides.get(rule.group) ?? {}
        sides[rule.kind === 'fit' ? 'fit' : 'engagement'] ??= rule.id
        groupSides.set(rule.group, sides)
      }

      const tooWide = `must be ≤ lookbackDays (${grid.lookbackDays}): a rule's window cannot be wider than the grid's lookback`
      if (
        (rule.kind === 'engagement' || rule.kind === 'frequency') &&
        (rule.withinDays ?? 0) > grid.lookbackDays
      ) {
        issue(['rules', i, 'withinDays'], tooWide)
      }
      if (rule.kind === 'inactivity' && rule.days > grid.lookbackDays) issue(['rules', i, 'days'], tooWide)
    })

    for (const [groupId, sides] of groupSides) {
      const i = groupIndex.get(groupId)
      if (i !== undefined && sides.fit && sides.engagement) {
        issue(
          ['groups', i],
          `group "${groupId}" mixes a fit rule ("${sides.fit}") and an engagement rule ("${sides.engagement}"); a group caps one side only`,
        )
      }
    }
  })

export type Grid = z.output<typeof gridSchema>
export type GridInput = z.input<typeof gridSchema>
export type Rule = Grid['rules'][number]
export type RuleKind = Rule['kind']
export type Group = NonNullable<Grid['groups']>[number]

export interface GridIssue {
  /** Dotted path, e.g. `rules.3.when.all.0.value` ('' for the document itself). */
  path: string
  message: string
}

/** Validates a grid document; issues name their path, ready for a 400. */
export function parseGrid(input: unknown): { ok: true; grid: Grid } | { ok: false; issues: GridIssue[] } {
  const result = gridSchema.safeParse(input)
  if (result.success) return { ok: true, grid: result.data }
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  }
}
