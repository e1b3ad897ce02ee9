/**
 * The scoring engine's public surface. Everything here is pure (no I/O, no clock) except
 * `runEngineBench`, which reads `node:os` to report the machine it ran on.
 */
export { type EngineBenchOptions, type EngineBenchResult, runEngineBench } from './bench-engine.js'
export { type CompiledGrid, compileGrid } from './compile.js'
export {
  type CompiledGridCache,
  type CompiledGridEntry,
  createCompiledGridCache,
} from './compiled-grid-cache.js'
export { CONDITION_OP_VALUES, type ConditionValue } from './condition-values.js'
export { evaluate } from './evaluate.js'
export { isFreeEmailDomain } from './free-email.js'
export { normalizeText } from './normalize.js'
export {
  type OfflineInputLine,
  OfflineLineError,
  type OfflineOutputLine,
  offlineInputLineSchema,
  parseOfflineLine,
  scoreOfflineLine,
} from './offline.js'
export { prepareEvents } from './prepare.js'
export { MAX_REASONS_LENGTH } from './reasons.js'
export {
  type Grid,
  type GridInput,
  type GridIssue,
  gridSchema,
  parseGrid,
  type Rule,
  type RuleKind,
  ruleSchema,
} from './schema.js'
export { type ContactToScore, type ScoringContext, scoreContacts } from './score-contacts.js'
export { DECISION_MAKER_WORDS, PRICING_SEGMENTS, PRIORITY_SECTORS, starterGrid } from './starter-grid.js'
export { parseInstant } from './time.js'
export type {
  Band,
  Condition,
  Contribution,
  ContributionKind,
  EvaluateInput,
  EventCondition,
  EventSelector,
  Grade,
  Per,
  PreparedEvent,
  PreviousStatus,
  ProfileCondition,
  ScoreResult,
} from './types.js'
export { CONDITION_OPS } from './types.js'
