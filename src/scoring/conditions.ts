/**
 * Compiles condition trees into predicate closures, once per grid: operands are normalized,
 * sets and regexes built, so a predicate does no parsing and (bar `matches`) no regex at run time.
 * Semantics are those of the glossary in `types.ts`.
 */
import { isFreeEmailDomain } from './free-email.js'
import { domainOf, normalizeDomain, normalizeText, toNumber, wordsOf } from './normalize.js'
import { compilePattern, MAX_MATCH_INPUT } from './safe-pattern.js'
import type { Condition, LeafTest, Operand, PreparedValue } from './types.js'

/** A test on one value; `undefined` is the unknown value. */
export type ValueTest = (v: PreparedValue | undefined) => boolean
export type Predicate<C> = (ctx: C) => boolean

/**
 * How a compiled leaf reaches its subject in a context `C`. `positive` is the leaf's positive form
 * (`eq` for `neq`…); `negated` says whether to invert it — kept apart so a multi-valued subject can
 * apply "any value satisfies" before inverting.
 */
export type Access<C> = (key: string, positive: ValueTest, negated: boolean) => Predicate<C>

const NEGATIONS: Partial<Record<LeafTest['op'], LeafTest['op']>> = {
  neq: 'eq',
  notIn: 'in',
  notContains: 'contains',
  isUnknown: 'isKnown',
}

export function compileCondition<K extends string, C>(
  cond: Condition<K>,
  key: K,
  access: Access<C>,
): Predicate<C> {
  if ('all' in cond) {
    const parts = cond.all.map((c) => compileCondition(c, key, access))
    if (parts.length === 1) return parts[0]!
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate<C>, Predicate<C>]
      return (ctx) => a(ctx) && b(ctx)
    }
    return (ctx) => {
      for (const p of parts) if (!p(ctx)) return false
      return true
    }
  }
  if ('any' in cond) {
    const parts = cond.any.map((c) => compileCondition(c, key, access))
    if (parts.length === 1) return parts[0]!
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate<C>, Predicate<C>]
      return (ctx) => a(ctx) || b(ctx)
    }
    return (ctx) => {
      for (const p of parts) if (p(ctx)) return true
      return false
    }
  }
  if ('not' in cond) {
    const inner = compileCondition(cond.not, key, access)
    return (ctx) => !inner(ctx)
  }
  const leaf = cond as LeafTest & Record<K, string>
  const positiveOp = NEGATIONS[leaf.op]
  const positive = compileTest(positiveOp ? ({ ...leaf, op: positiveOp } as LeafTest) : leaf)
  return access(leaf[key], positive, positiveOp !== undefined)
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v])

/** The positive test of a leaf (never one of the negated ops). */
export function compileTest(leaf: LeafTest): ValueTest {
  switch (leaf.op) {
    case 'eq':
    case 'neq':
      return eqTest(leaf.value)
    case 'in':
    case 'notIn':
      return inTest(leaf.value)
    case 'contains':
    case 'notContains': {
      const needles = asList(leaf.value).map(normalizeText)
      return (v) => v !== undefined && needles.some((n) => v.norm.includes(n))
    }
    case 'startsWith': {
      const needles = asList(leaf.value).map(normalizeText)
      return (v) => v !== undefined && needles.some((n) => v.norm.startsWith(n))
    }
    case 'endsWith': {
      const needles = asList(leaf.value).map(normalizeText)
      return (v) => v !== undefined && needles.some((n) => v.norm.endsWith(n))
    }
    case 'containsWord':
      return containsWordTest(asList(leaf.value))
    case 'matches':
      return matchesTest(leaf.value)
    case 'gt': {
      const x = leaf.value
      return (v) => v !== undefined && toNumber(v.raw) > x
    }
    case 'gte': {
      const x = leaf.value
      return (v) => v !== undefined && toNumber(v.raw) >= x
    }
    case 'lt': {
      const x = leaf.value
      return (v) => v !== undefined && toNumber(v.raw) < x
    }
    case 'lte': {
      const x = leaf.value
      return (v) => v !== undefined && toNumber(v.raw) <= x
    }
    case 'between': {
      const [min, max] = leaf.value
      return (v) => {
        if (v === undefined) return false
        const n = toNumber(v.raw)
        return n >= min && n <= max
      }
    }
    case 'isKnown':
    case 'isUnknown':
      return (v) => v !== undefined
    case 'isFreeEmail':
      return (v) => v !== undefined && isFreeEmailDomain(domainOf(v))
    case 'emailDomainIn': {
      const domains = leaf.value.map(normalizeDomain)
      const exact = new Set(domains)
      const suffixes = domains.map((d) => `.${d}`)
      return (v) => {
        if (v === undefined) return false
        const d = domainOf(v)
        return exact.has(d) || suffixes.some((s) => d.endsWith(s))
      }
    }
  }
}

/** A number operand compares numerically (coercing "50"), a boolean as a boolean, text normalized. */
function eqTest(operand: Operand): ValueTest {
  if (typeof operand === 'number') return (v) => v !== undefined && toNumber(v.raw) === operand
  const expected = typeof operand === 'boolean' ? String(operand) : normalizeText(operand)
  return (v) => v !== undefined && v.norm === expected
}

function inTest(operands: Operand[]): ValueTest {
  const texts = new Set<string>()
  const numbers = new Set<number>()
  for (const o of operands) {
    if (typeof o === 'number') numbers.add(o)
    else texts.add(typeof o === 'boolean' ? String(o) : normalizeText(o))
  }
  if (numbers.size === 0) return (v) => v !== undefined && texts.has(v.norm)
  return (v) => v !== undefined && (texts.has(v.norm) || numbers.has(toNumber(v.raw)))
}

/**
 * Whole words or phrases: phrases are indexed by their first word, so a value is tokenized once
 * and each token costs one map lookup whatever the length of the list.
 */
function containsWordTest(phrases: string[]): ValueTest {
  const byFirst = new Map<string, string[][]>()
  for (const phrase of phrases) {
    const words = wordsOf(normalizeText(phrase))
    const first = words[0]
    if (first === undefined) continue
    const list = byFirst.get(first) ?? []
    list.push(words)
    byFirst.set(first, list)
  }
  return (v) => {
    if (v === undefined) return false
    const tokens = wordsOf(v.norm)
    for (let i = 0; i < tokens.length; i++) {
      const candidates = byFirst.get(tokens[i]!)
      if (candidates === undefined) continue
      for (const words of candidates) if (phraseAt(tokens, i, words)) return true
    }
    return false
  }
}

function phraseAt(tokens: string[], at: number, words: string[]): boolean {
  if (at + words.length > tokens.length) return false
  for (let j = 1; j < words.length; j++) if (tokens[at + j] !== words[j]) return false
  return true
}

function matchesTest(pattern: string): ValueTest {
  const re = compilePattern(pattern)
  const cap = (s: string) => (s.length > MAX_MATCH_INPUT ? s.slice(0, MAX_MATCH_INPUT) : s)
  return (v) => {
    if (v === undefined) return false
    const asWritten = cap(typeof v.raw === 'string' ? v.raw.trim() : v.norm)
    if (re.test(asWritten)) return true
    const norm = cap(v.norm)
    return norm !== asWritten && re.test(norm)
  }
}
