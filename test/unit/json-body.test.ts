/**
 * The JSON body parser's linear depth scan and iterative cleaner (issue 6, item 1): brackets in
 * strings do not count, any depth is measured or pruned without recursion, NUL and lone surrogates
 * are cleaned in keys and values, and a "__proto__" key stays a plain key.
 */
import { describe, expect, it } from 'vitest'
import {
  jsonNestingDepth,
  jsonValueDepth,
  MAX_JSON_DEPTH,
  parseJsonBody,
  sanitizeParsedJson,
} from '../../src/http/json-body.js'

describe('jsonNestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings or after escapes', () => {
    expect(jsonNestingDepth('1')).toBe(0)
    expect(jsonNestingDepth('[]')).toBe(1)
    expect(jsonNestingDepth('{"a":[{"b":[]}]}')).toBe(4)
    expect(jsonNestingDepth('["[[[[", "\\"[[[", {"k\\\\": []}]')).toBe(3)
    expect(jsonNestingDepth('["\\\\", [[]]]')).toBe(3)
  })

  it('stops early past the limit, whatever the depth', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`
    expect(jsonNestingDepth(deep, MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH + 1)
    expect(jsonNestingDepth(deep)).toBe(1_000_000)
  })
})

describe('parseJsonBody', () => {
  it('refuses a body deeper than the limit with json_too_deep, accepts one at the limit', () => {
    const at = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`
    expect(jsonValueDepth(parseJsonBody(at).value)).toBe(MAX_JSON_DEPTH)
    expect(() => parseJsonBody(`[${at}]`)).toThrow(/at most 64 levels/)
  })

  it('prunes over-deep subtrees on request and keeps the rest', () => {
    const body = `{"keep":1,"deep":${'['.repeat(5000)}"\\u0000"${']'.repeat(5000)},"s":"a\\u0000b\\ud800"}`
    const { value, pruned } = parseJsonBody(body, { overDeep: 'prune' })
    const v = value as { keep: number; deep: unknown; s: string }
    expect(pruned).toBe(1)
    expect(v.keep).toBe(1)
    expect(v.s).toBe('ab\uFFFD')
    expect(jsonValueDepth(v)).toBe(MAX_JSON_DEPTH)
    expect(() => JSON.stringify(v)).not.toThrow()
  })

  it('cleans keys too, and a "__proto__" key stays data', () => {
    const { value } = parseJsonBody('{"a\\u0000":"x\\udc00","__proto__":{"polluted":"\\u0000yes"}}')
    expect(Object.keys(value as object).sort()).toEqual(['__proto__', 'a'])
    expect((value as Record<string, unknown>)['a']).toBe('x\uFFFD')
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })

  it('an empty body is no body only where the route says so', () => {
    expect(parseJsonBody('  ', { emptyIsNoBody: true }).value).toBeUndefined()
    expect(() => parseJsonBody('')).toThrow(/empty/)
  })
})

describe('sanitizeParsedJson', () => {
  it('walks a million levels without recursion', () => {
    let deep: unknown = '\u0000'
    for (let i = 0; i < 1_000_000; i++) deep = [deep]
    const { pruned } = sanitizeParsedJson(deep, { clean: true, pruneAbove: 10 })
    expect(pruned).toBe(1)
    expect(jsonValueDepth(deep)).toBe(10)
  })
})
