/**
 * What the editor does with an operator's value, from what the server says the value is
 * (`vocabulary.conditionOps`: each operator with its value kind): which input shows it, what a new
 * value starts as, and whether a value survives a change of operator.
 */

/** @typedef {import('./lib/types.js').ConditionOp} ConditionOp */
/** @typedef {import('./lib/types.js').ConditionValue} ConditionValue */

/** Kinds whose value is a list typed as "a, b, c". */
const LISTS = new Set(['operands', 'domains'])

/**
 * The value kind of `op`; an operator the server does not know (an imported file) is edited as
 * one operand, and the schema names the problem.
 * @param {ConditionOp[]} ops
 * @param {string} op
 * @returns {ConditionValue}
 */
export const valueKindOf = (ops, op) => ops.find((o) => o.op === op)?.value ?? 'operand'

export const isList = (/** @type {ConditionValue} */ kind) => LISTS.has(kind)

/**
 * A value typed for one kind still means something for the other: lists for lists, texts for
 * texts, numbers for numbers.
 * @param {ConditionValue} from
 * @param {ConditionValue} to
 */
export function keepsValue(from, to) {
  if (isList(from)) return isList(to)
  return (from === 'textOrList' || from === 'number') && from === to
}

/** @param {ConditionValue} kind @returns {unknown} what a new test of this kind starts with */
export function defaultValue(kind) {
  if (kind === 'none') return undefined
  if (isList(kind)) return []
  if (kind === 'number') return 0
  if (kind === 'range') return [0, 100]
  return ''
}

const NUMERIC = /^-?\d+(\.\d+)?$/

/**
 * "a, b" → ["a", "b"]; numbers where values may be numbers (not domains).
 * @param {string} text
 * @param {ConditionValue} kind
 * @returns {(string | number)[]}
 */
export function parseList(text, kind) {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return kind === 'domains' ? items : items.map((s) => (NUMERIC.test(s) ? Number(s) : s))
}

/** One operand as typed: a number when it reads as one. */
export const scalar = (/** @type {string} */ text) => (NUMERIC.test(text.trim()) ? Number(text) : text)
