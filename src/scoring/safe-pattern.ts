/**
 * `matches` patterns are written by customers and run on every rescoring, so a pattern that can
 * backtrack catastrophically is rejected when the grid is validated, not discovered in production.
 *
 * Checks, all conservative (a few harmless patterns are refused, with a message saying how to
 * rewrite them): length ≤ 200; compiles with flags `iu`; `safe-regex2` (nested quantifiers, star
 * height > 1, too many repetitions); no backreferences; no unbounded quantifier on a group holding
 * an alternation (`(a|ab)*` is exponential and safe-regex2 does not see it). Inputs are also capped
 * at MAX_MATCH_INPUT characters when matched, which bounds what polynomial backtracking can cost.
 */
import safeRegex from 'safe-regex2'

export const MAX_PATTERN_LENGTH = 200
export const MAX_MATCH_INPUT = 512
export const PATTERN_FLAGS = 'iu'

/** Returns why `pattern` is refused, or null when it is acceptable. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'pattern is empty'
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`
  let re: RegExp
  try {
    re = new RegExp(pattern, PATTERN_FLAGS)
  } catch (err) {
    return (err as Error).message
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed'
  if (quantifiedAlternation(pattern)) {
    return 'a repeated group containing "|" can backtrack catastrophically; use a character class or list the alternatives outside the repetition'
  }
  if (!safeRegex(re)) return 'pattern can backtrack catastrophically (nested or excessive repetition)'
  return null
}

/** True when a group containing a top-level `|` is followed by `*`, `+` or `{…}`. */
function quantifiedAlternation(p: string): boolean {
  const stack: boolean[] = [] // per open group: does it hold an alternation?
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '\\') {
      i++
    } else if (c === '[') {
      // Skip the class: `]` right after `[` or `[^` is literal only without the `u` flag, but we
      // compile with `u`, where it closes the class; escapes inside are skipped.
      for (i++; i < p.length && p[i] !== ']'; i++) if (p[i] === '\\') i++
    } else if (c === '(') {
      stack.push(false)
    } else if (c === '|') {
      if (stack.length > 0) stack[stack.length - 1] = true
    } else if (c === ')') {
      const hadAlternation = stack.pop() ?? false
      const next = p[i + 1]
      if (hadAlternation && (next === '*' || next === '+' || next === '{')) return true
    }
  }
  return false
}

/** Compiles a pattern already accepted by `patternProblem`. */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, PATTERN_FLAGS)
}
