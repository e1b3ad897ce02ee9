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
import {
  createSlidingWindowLimiter,
  type LimiterTiming,
  type RateLimiter,
  type SharedRateWindows,
} from '../hubspot/rate-limiter.js'

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

export interface DailyBudget {
  /** Tokens Leadgrid may still spend today (Infinity while the budget is unknown). */
  remaining(): number
  spend(kind: CallKind): void
  /** A 429 that the burst window does not explain: the budget is gone until the next midnight. */
  markExhausted(): void
  /** Milliseconds until the budget resets, when it is spent; 0 otherwise. */
  blockedForMs(): number
}

export interface CompanyLimiters {
  api: RateLimiter
  search: RateLimiter
  budget: DailyBudget
  /** Learns the company's burst limit from `x-ratelimit-limit`. */
  observeBurstLimit(limit: number): void
}

function createDailyBudget(tokensPerDay: number | undefined, now: () => number): DailyBudget {
  const allowance = tokensPerDay === undefined ? Number.POSITIVE_INFINITY : Math.floor(tokensPerDay * 0.95)
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
    remaining() {
      roll()
      return exhausted ? 0 : allowance - spent
    },
    spend(kind) {
      roll()
      spent += CALL_COST[kind]
    },
    markExhausted() {
      roll()
      exhausted = true
    },
    blockedForMs() {
      roll()
      return exhausted || spent >= allowance ? untilMidnight() : 0
    },
  }
}

export interface PipedriveRateLimitOptions extends LimiterTiming {
  /** The company's plan and seats, when known (connection settings): sizes the daily budget. */
  budgetOf?: (companyId: string) => { plan: PipedrivePlan; seats: number } | undefined
  /** The burst windows shared with every other process (server mode); unset: this process's alone. */
  shared?: SharedRateWindows | undefined
}

/**
 * One registry per process: every client of a company shares its windows and its daily budget.
 * With `shared`, the burst windows are also shared by every process (one row per company in
 * PostgreSQL); the daily budget estimate stays per process (it is off unless `budgetOf` names the
 * plan), with the client's 429 handling as the backstop.
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
          budget: createDailyBudget(perDay, now),
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
