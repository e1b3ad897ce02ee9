/**
 * Pipedrive's two budgets, per company (https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting):
 * - a burst limit per OAuth token per 2-second window (80 / 160 / 400 / 480 by plan; search 10),
 *   announced in `x-ratelimit-limit|remaining|reset` on every answer;
 * - a daily token budget (30,000 × plan multiplier × seats) shared by the company and reset at
 *   midnight, which no header reports: an exhausted budget only shows as 429s until the reset.
 *
 * The burst window is a sliding window (the same limiter as HubSpot's) sized to the smallest plan until
 * the first answer's `x-ratelimit-limit` says what this company really has. The daily budget is
 * estimated from Pipedrive's documented costs per call (v1 figures: get 2, list 20, update 10,
 * search 40; v2 is documented as cheaper, so these are upper bounds) and stops Leadgrid at 95 % of it,
 * leaving the rest to the company's other integrations.
 */

import type { DailyBudget, SharedDailyBudgets } from '../daily-budget.js'
import {
  createSlidingWindowLimiter,
  type LimiterTiming,
  type RateLimiter,
  type SharedRateWindows,
} from '../rate-limiter.js'

export const BURST_WINDOW_MS = 2_000
/** Lite's burst limit: the safe start until a response names the company's own. */
export const DEFAULT_BURST_LIMIT = 80
export const SEARCH_BURST_LIMIT = 10
/** Tokens a call costs at most (Pipedrive's published v1 costs). */
export const CALL_COST = { get: 2, list: 20, update: 10, search: 40, write: 10 } as const
export type CallKind = keyof typeof CALL_COST

export const PLAN_MULTIPLIER = { lite: 1, growth: 2, premium: 5, ultimate: 7 } as const
export type PipedrivePlan = keyof typeof PLAN_MULTIPLIER

const DAY_MS = 86_400_000

export interface CompanyLimiters {
  api: RateLimiter
  search: RateLimiter
  budget: DailyBudget<CallKind>
  /** Learns the company's burst limit from `x-ratelimit-limit`. */
  observeBurstLimit(limit: number): void
}

/** Leadgrid's share of a known daily budget: the rest is left to the company's other integrations. */
export function allowanceOf(tokensPerDay: number | undefined): number | null {
  return tokensPerDay === undefined ? null : Math.floor(tokensPerDay * 0.95)
}

/** This process's own count: exact only when it is the one process (embedded PGlite). */
function createLocalDailyBudget(tokensPerDay: number | undefined, now: () => number): DailyBudget<CallKind> {
  const allowance = allowanceOf(tokensPerDay) ?? Number.POSITIVE_INFINITY
  let day = Math.floor(now() / DAY_MS)
  let spent = 0
  let exhausted = false
  const roll = () => {
    const today = Math.floor(now() / DAY_MS)
    if (today !== day) {
      day = today
      spent = 0
      exhausted = false
    }
  }
  const untilMidnight = () => (day + 1) * DAY_MS - now()
  return {
    async take(kind) {
      roll()
      if (exhausted || spent + CALL_COST[kind] > allowance) return untilMidnight()
      spent += CALL_COST[kind]
      return 0
    },
    async markExhausted() {
      roll()
      exhausted = true
      return untilMidnight()
    },
  }
}

/**
 * One row per company in PostgreSQL: what every process spent today and whether Pipedrive said the
 * budget is gone, so N worker processes together stay within one day's budget and all stop at once.
 */
function createSharedDailyBudget(
  shared: SharedDailyBudgets,
  companyId: string,
  tokensPerDay: number | undefined,
): DailyBudget<CallKind> {
  const key = { provider: 'pipedrive', accountId: companyId }
  const allowance = allowanceOf(tokensPerDay)
  return {
    async take(kind) {
      const answer = await shared.take(key, CALL_COST[kind], allowance)
      return answer.granted ? 0 : answer.resetInMs
    },
    markExhausted: () => shared.exhaust(key),
  }
}

export interface PipedriveRateLimitOptions extends LimiterTiming {
  /** The company's plan and seats, when known (connection settings): sizes the daily budget. */
  budgetOf?: (companyId: string) => { plan: PipedrivePlan; seats: number } | undefined
  /** The burst windows shared with every other process (server mode); unset: this process's alone. */
  shared?: SharedRateWindows | undefined
  /** The daily budgets shared with every other process (server mode); unset: this process's alone. */
  sharedBudgets?: SharedDailyBudgets | undefined
}

/**
 * One registry per process: every client of a company shares its windows and its daily budget.
 * With `shared` and `sharedBudgets` (server mode), both are shared by every process as well (rows per
 * company in PostgreSQL). The daily allowance is known only when `budgetOf` names the plan; without
 * it the shared budget still counts the day's spend and carries Pipedrive's "budget spent" 429 to
 * every process, which then stop until midnight instead of each meeting its own 429.
 */
export function createPipedriveRateLimits(opts: PipedriveRateLimitOptions = {}) {
  const now = opts.now ?? Date.now
  const companies = new Map<string, CompanyLimiters>()
  const timing: LimiterTiming = { now }
  if (opts.sleep) timing.sleep = opts.sleep

  return {
    forCompany(companyId: string): CompanyLimiters {
      let limiters = companies.get(companyId)
      if (!limiters) {
        const plan = opts.budgetOf?.(companyId)
        const perDay = plan ? 30_000 * PLAN_MULTIPLIER[plan.plan] * Math.max(1, plan.seats) : undefined
        let burst = DEFAULT_BURST_LIMIT
        const shared = (window: string) =>
          opts.shared
            ? { windows: opts.shared, key: { provider: 'pipedrive', accountId: companyId, window } }
            : undefined
        const created: CompanyLimiters = {
          api: createSlidingWindowLimiter({
            max: burst,
            intervalMs: BURST_WINDOW_MS,
            shared: shared('api'),
            ...timing,
          }),
          search: createSlidingWindowLimiter({
            max: SEARCH_BURST_LIMIT,
            intervalMs: BURST_WINDOW_MS,
            shared: shared('search'),
            ...timing,
          }),
          budget: opts.sharedBudgets
            ? createSharedDailyBudget(opts.sharedBudgets, companyId, perDay)
            : createLocalDailyBudget(perDay, now),
          observeBurstLimit(limit) {
            // A larger plan: a new window at the announced size (the old one's history is at most 2 s).
            if (Number.isInteger(limit) && limit > 0 && limit !== burst) {
              burst = limit
              // The shared row keeps its history: only the size changes.
              created.api = createSlidingWindowLimiter({
                max: limit,
                intervalMs: BURST_WINDOW_MS,
                shared: shared('api'),
                ...timing,
              })
            }
          },
        }
        limiters = created
        companies.set(companyId, limiters)
      }
      return limiters
    },
  }
}

export type PipedriveRateLimits = ReturnType<typeof createPipedriveRateLimits>
