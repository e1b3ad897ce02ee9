/**
 * Compiles condition trees into predicate closures, once per grid: operands are normalized,
 * sets and regexes built, so a predicate does no parsing and (bar `matches`) no regex at run time.
 * Semantics are those of the glossary in `types.ts`.
 */
import { isFreeEmailDomain } from './free-email.js'
import { domainOf, isWordCode, normalizeDomain, normalizeText, toNumber, wordsOf } from './normalize.js'
import { compilePattern, MAX_MATCH_INPUT } from './safe-pattern.js'
import type { Condition, LeafTest, Operand, PreparedValue } from './types.js'

/**
 * A test on one value; `undefined` is the unknown value. `usesRaw` marks the tests that read the
 * value as written (numbers, regexes, email domains): for the others an event subject passes only
 * its normalized string, sparing a lookup in the original attributes.
 */
export type ValueTest = ((v: PreparedValue | undefined) => boolean) & { readonly usesRaw?: true }

const usingRaw = (test: (v: PreparedValue | undefined) => boolean): ValueTest =>
  Object.assign(test, { usesRaw: true as const })
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
      return usingRaw(matchesTest(leaf.value))
    case 'gt': {
      const x = leaf.value
      return usingRaw((v) => v !== undefined && toNumber(v.raw) > x)
    }
    case 'gte': {
      const x = leaf.value
      return usingRaw((v) => v !== undefined && toNumber(v.raw) >= x)
    }
    case 'lt': {
      const x = leaf.value
      return usingRaw((v) => v !== undefined && toNumber(v.raw) < x)
    }
    case 'lte': {
      const x = leaf.value
      return usingRaw((v) => v !== undefined && toNumber(v.raw) <= x)
    }
    case 'between': {
      const [min, max] = leaf.value
      return usingRaw((v) => {
        if (v === undefined) return false
        const n = toNumber(v.raw)
        return n >= min && n <= max
      })
    }
    case 'isKnown':
    case 'isUnknown':
      return (v) => v !== undefined
    case 'isFreeEmail':
      return usingRaw((v) => v !== undefined && isFreeEmailDomain(domainOf(v)))
    case 'emailDomainIn': {
      const domains = leaf.value.map(normalizeDomain)
      const exact = new Set(domains)
      const suffixes = domains.map((d) => `.${d}`)
      return usingRaw((v) => {
        if (v === undefined) return false
        const d = domainOf(v)
        return exact.has(d) || suffixes.some((s) => d.endsWith(s))
      })
    }
  }
}

/** A number operand compares numerically (coercing "50"), a boolean as a boolean, text normalized. */
function eqTest(operand: Operand): ValueTest {
  if (typeof operand === 'number') return usingRaw((v) => v !== undefined && toNumber(v.raw) === operand)
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
  return usingRaw((v) => v !== undefined && (texts.has(v.norm) || numbers.has(toNumber(v.raw))))
}

/**
 * Whole words or phrases: phrases are indexed by their first word, so each word of the value costs
 * one map lookup whatever the length of the list. The value is scanned in place (no word array);
 * only a multi-word phrase whose first word matched looks at the words that follow.
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
    const s = v.norm
    const n = s.length
    let start = -1
    for (let i = 0; i <= n; i++) {
      if (i < n && isWordCode(s.charCodeAt(i), s, i)) {
        if (start < 0) start = i
        continue
      }
      if (start < 0) continue
      const candidates = byFirst.get(start === 0 && i === n ? s : s.slice(start, i))
      if (candidates !== undefined) {
        for (const words of candidates) if (words.length === 1 || followedBy(s, i, words)) return true
      }
      start = -1
    }
    return false
  }
}

/** Whether the words after position `at` of `s` are `words[1..]`. */
function followedBy(s: string, at: number, words: string[]): boolean {
  const next = wordsOf(s.slice(at))
  if (next.length < words.length - 1) return false
  for (let j = 1; j < words.length; j++) if (next[j - 1] !== words[j]) return false
  return true
}

function matchesTest(pattern: string): ValueTest {
  const re = compilePattern(pattern)
  return (v) => {
    if (v === undefined) return false
    const raw = typeof v.raw === 'string' ? v.raw : v.norm
    const asWritten = cap(raw.trim())
    if (re.test(asWritten)) return true
    // The normalized form can only match differently when normalization did more than lower-case
    // (the regex is case-insensitive already): skip the second run otherwise.
    return hasSeparators(asWritten) && re.test(cap(v.norm))
  }
}

const cap = (s: string) => (s.length > MAX_MATCH_INPUT ? s.slice(0, MAX_MATCH_INPUT) : s)

/** True when `normalizeText` would change more than letter case: `_`, dashes, runs of or odd whitespace. */
function hasSeparators(s: string): boolean {
  let prevSpace = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 32) {
      if (prevSpace) return true
      prevSpace = true
    } else {
      if (c === 95 || c === 45 || c < 32 || c === 160 || c > 0x1fff) return true
      prevSpace = false
    }
  }
  return false
}
