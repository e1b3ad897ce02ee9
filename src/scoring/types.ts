/**
 * Types shared by the scoring engine.
 *
 * Glossary — the exact semantics every file of `scoring/` implements:
 *
 * - **Normalized string**: `toLowerCase()` (accents kept: "gérant" ≠ "gerant"), `_` and dashes as
 *   spaces, whitespace collapsed and trimmed. `COMPUTER_SOFTWARE` eq "Computer Software".
 *   Every string operator compares normalized strings.
 * - **Unknown value**: null, undefined, a blank string, or a non-finite number. `isKnown` is false,
 *   every positive operator is false, and the negated operators (`neq`, `notIn`, `notContains`,
 *   `isUnknown`) are TRUE on an unknown value. Write `{ all: [isKnown, notIn] }` to require a value.
 * - **Numeric operators** (`gt gte lt lte between`, and `eq`/`in` with a number operand) coerce
 *   numeric strings: decimal notation, thousands grouped by 3 ("200", " 75 ", "1,000", "1 000" →
 *   1000); anything else ("1,5", "50-200", "1e3", "n/a", booleans) makes them false.
 *   `between` is inclusive `[min, max]`.
 * - **containsWord**: the value contains the operand as a whole word or whole multi-word phrase, word
 *   boundaries being anything but a Unicode letter, digit or mark ("co-founder" → "co founder";
 *   "Managerial" does not contain "manager").
 * - **matches**: a regex (validated safe, ≤ 200 chars, flags `iu`) tested against the value as written
 *   (trimmed) OR its normalized form, each capped at 512 characters — so `white ?paper` and
 *   `white-paper` both behave as a RevOps person expects. (`url.pathSegment` keeps only the
 *   normalized segment.)
 * - **Email domain**: the text after the last `@` (the whole value when there is none), lower-cased.
 *   `isFreeEmail`: that domain is in the `email-providers` list. `emailDomainIn`: equal to, or a
 *   subdomain of, a listed domain.
 * - **Multi-valued derived attribute** `url.pathSegment`: a positive operator holds when ANY segment
 *   satisfies it; a negated one when NO segment satisfies the positive form.
 * - **Derived event keys**: `url.path`, `url.host`, `url.pathSegment` (from the `url` attribute; query
 *   and fragment ignored, lower-cased, percent-decoded) and, for `per: { distinct }` only, `asset`
 *   (`asset:<assetId|assetName>` for downloads, `form:<formId|formName>` for forms).
 * - **Window of D days**: `now − D·86 400 000 < occurredAt ≤ now`. The grid's lookback bounds every
 *   rule; a rule window wider than the lookback is REJECTED at validation (not clamped), so what the
 *   settings page shows is what runs. Events after `now` never count.
 * - **Unit**: what a counting rule counts — an event (`per: occurrence`), a UTC calendar day
 *   (`per: day`) or a distinct normalized key value (`per: { distinct }`; a matching event without the
 *   key is its own unit, identical replays of it collapse). Units are taken newest first, so
 *   `maxCount` keeps the most recent; decay ages a unit from its newest match.
 * - **Frequency units**: like engagement units, except `per: occurrence` counts distinct events — an
 *   exact replay (same type, instant and attributes) counts once, as a threshold must not be reached
 *   by a redelivered webhook. (`per: occurrence` engagement rules DO count replays: the service
 *   dedupes before the engine.)
 * - **Frequency**: its points once when the units in its window reach `atLeast`.
 * - **Streak**: the `length` most recent deliveries of the category within the lookback (distinct
 *   campaigns; deliveries without a campaignId ignored) must each have an `email.opened` of the same
 *   campaignId within the lookback; 1..length−1 deliveries: no award; none at all: `length` distinct
 *   opened campaigns of the category instead.
 * - **Activity**: any event whose type is not in `NON_ACTIVITY_EVENT_TYPES` (`email.delivered`),
 *   custom types included. **Inactivity**: last activity = newest activity event within the lookback,
 *   else first-seen (`createdAt`); fires when `now − lastActivity > days` (strictly).
 * - **Instants**: ISO-8601; a date-time without a zone is UTC (never the machine's local time).
 *   Events at the same instant are ordered by type then content, so input order never shows.
 * - **Fit / engagement**: fit rules feed fit; engagement, frequency, streak and inactivity rules feed
 *   engagement. Groups are clamped to `[minPoints, maxPoints]` before rounding; a capped group adds a
 *   contribution of kind `group` carrying the difference, so contributions always add up.
 * - **Rounding**: snapped to 1e-9 at the target scale (floating noise), then halves away from zero:
 *   fit and engagement to integers, contribution points to 2 decimals. `total = fit + engagement`,
 *   then clamped to `minScore`/`maxScore`. Band and grade use the rounded values (grade: unclamped).
 * - **MQL**: no previous status → `total ≥ mqlThreshold`; previously MQL → stays while
 *   `total ≥ mqlThreshold − mqlHysteresis`; `mqlSince` = now when it becomes MQL, kept while it stays.
 * - **Reasons**: contributions by |points| desc (ties in grid order), `+50 Label (2)`, `(n days)` for
 *   per-day rules, no count for fit/streak/inactivity/caps, `−` (U+2212) for negatives, items that
 *   round to 0 omitted, joined by ` · `, ≤ 255 characters by dropping whole trailing items.
 */
import type { EventType, LeadEvent } from '../domain/lead-event.js'

export type Band = 'cold' | 'warm' | 'hot'
export type GradeLetter = 'A' | 'B' | 'C'
export type GradeDigit = '1' | '2' | '3'
export type Grade = `${GradeLetter}${GradeDigit}`

export const CONDITION_OPS = [
  'eq',
  'neq',
  'in',
  'notIn',
  'contains',
  'notContains',
  'containsWord',
  'startsWith',
  'endsWith',
  'matches',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'isKnown',
  'isUnknown',
  'emailDomainIn',
  'isFreeEmail',
] as const
export type ConditionOp = (typeof CONDITION_OPS)[number]

export type Operand = string | number | boolean

/** A leaf condition without its subject key (`property` for profiles, `attribute` for events). */
export type LeafTest =
  | { op: 'eq' | 'neq'; value: Operand }
  | { op: 'in' | 'notIn'; value: Operand[] }
  | { op: 'contains' | 'notContains' | 'containsWord' | 'startsWith' | 'endsWith'; value: string | string[] }
  | { op: 'matches'; value: string }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { op: 'between'; value: [number, number] }
  | { op: 'isKnown' | 'isUnknown' | 'isFreeEmail' }
  | { op: 'emailDomainIn'; value: string[] }

/** A condition tree whose leaves name their subject under key `K`. */
export type Condition<K extends string> =
  | (LeafTest & { [P in K]: string })
  | { all: Condition<K>[] }
  | { any: Condition<K>[] }
  | { not: Condition<K> }

export type ProfileCondition = Condition<'property'>
export type EventCondition = Condition<'attribute'>

export interface EventSelector {
  types: EventType[]
  where?: EventCondition
}

export type Per = 'occurrence' | 'day' | { distinct: string }

/**
 * One known value as operators see it: as written, and normalized. Numeric coercion, words and
 * email domains are derived on use (rarely needed, and cheap).
 */
export interface PreparedValue {
  readonly raw: unknown
  /** Normalized string form (see glossary). */
  readonly norm: string
}

export interface PreparedEvent {
  readonly type: EventType
  /** `1 << index in EVENT_TYPES`; 0 for an unknown type (matches no selector). */
  readonly typeBit: number
  /** Epoch milliseconds. */
  readonly t: number
  /** UTC day number: floor(t / 86 400 000). */
  readonly day: number
  readonly activity: boolean
  /** Normalized strings of the attributes as sent (raw values stay in `source`). Unknown values are absent. */
  readonly norms: Readonly<Record<string, string>>
  /** Normalized, percent-decoded segments of the `url` attribute's path. */
  readonly segments: readonly string[]
  /** Lower-cased path of the `url` attribute (no query, no fragment); null without a url. */
  readonly path: string | null
  /** The `per: { distinct: 'asset' }` key, null when the event has none. */
  readonly assetKey: string | null
  /** A human name for evidence: the type's name attribute (assetName, formName, campaignName…), else the URL path or an id. */
  readonly label: string
  /** The original event, unchanged. */
  readonly source: Readonly<LeadEvent>
  /** Lazily computed identity of the event (type, instant, attributes) — for replays and tie-breaks. */
  fingerprint: string | undefined
}

export type ContributionKind = 'fit' | 'engagement' | 'frequency' | 'streak' | 'inactivity' | 'group'

export interface Contribution {
  /** The rule id, or the group id for a `group` cap adjustment. */
  ruleId: string
  label: string
  kind: ContributionKind
  /** Rounded to 2 decimals for display; the score itself uses the unrounded value. */
  points: number
  count?: number | undefined
  evidence?: string[] | undefined
  /** The group the rule belongs to, when any. */
  group?: string | undefined
}

export interface ScoreResult {
  fit: number
  engagement: number
  total: number
  band: Band
  grade: Grade
  mql: boolean
  /** ISO instant it last became MQL; null when not MQL. */
  mqlSince: string | null
  reasons: string
  contributions: Contribution[]
}

export interface PreviousStatus {
  mql: boolean
  mqlSince?: string | null
}

export interface EvaluateInput {
  profile: Readonly<Record<string, string | number | boolean | null | undefined>>
  /** First-seen time, epoch ms. */
  createdAt: number
  /** From `prepareEvents` (sorted by time). */
  events: readonly PreparedEvent[]
  previous?: PreviousStatus | null
}
