/**
 * What the `value` of each condition operator is, in the words an editor needs to pick its input:
 * nothing, one operand, a list of operands or of email domains, text or a list of texts, a
 * pattern, a finite number, a [min, max] range. The schema (`schema.ts`) checks the details; the
 * settings page receives this list with its session and builds its inputs from it.
 */
import { CONDITION_OPS, type ConditionOp } from './types.js'

export type ConditionValue =
  | 'none'
  | 'operand'
  | 'operands'
  | 'domains'
  | 'textOrList'
  | 'pattern'
  | 'number'
  | 'range'

const VALUES: Record<ConditionOp, ConditionValue> = {
  eq: 'operand',
  neq: 'operand',
  in: 'operands',
  notIn: 'operands',
  contains: 'textOrList',
  notContains: 'textOrList',
  containsWord: 'textOrList',
  startsWith: 'textOrList',
  endsWith: 'textOrList',
  matches: 'pattern',
  gt: 'number',
  gte: 'number',
  lt: 'number',
  lte: 'number',
  between: 'range',
  isKnown: 'none',
  isUnknown: 'none',
  emailDomainIn: 'domains',
  isFreeEmail: 'none',
}

/** Every operator in the schema's order, with what its value is. */
export const CONDITION_OP_VALUES: readonly { op: ConditionOp; value: ConditionValue }[] = CONDITION_OPS.map(
  (op) => ({ op, value: VALUES[op] }),
)
