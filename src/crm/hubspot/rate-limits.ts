/**
 * Per-portal request budgets. HubSpot limits marketplace apps per installing account (110 requests per
 * 10 s, the search API separately at 5 requests/s), while the SDK's Bottleneck limiter and retry
 * decorator are process-global singletons (`ApiDecoratorService.getInstance()` is reset by every
 * `new Client()`), so Leadgrid keeps its own sliding window per portal.
 * Source: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 *
 * A sliding window (not a token bucket) because HubSpot's own policy is a rolling window
 * (`TEN_SECONDLY_ROLLING`): no 10-second span ever sees more than `max` requests.
 */
import {
  createSlidingWindowLimiter,
  type LimiterTiming,
  type RateLimiter,
  type SharedRateWindows,
} from '../rate-limiter.js'

/**
 * The API window the limiter keeps: HubSpot's 10 s plus a margin. HubSpot counts a request when it
 * arrives; the limiter when it leaves. Under load the time between the two varies by up to a few
 * hundred milliseconds, and a request reusing a slot exactly 10 s after a slow one arrived would
 * land inside HubSpot's window: a 429, and the portal paused a whole interval. 2 % of the budget.
 */
export const HUBSPOT_API_WINDOW_MS = 10_200

export interface PortalLimiters {
  api: RateLimiter
  search: RateLimiter
}

export interface HubSpotRateLimitOptions extends LimiterTiming {
  /** Requests per 10 s per portal; HubSpot's limit for marketplace apps is 110. */
  requestsPerTenSeconds?: number
  /** Search requests per second per portal; HubSpot allows 5, keep one in hand. */
  searchPerSecond?: number
  /** The windows shared with every other process (server mode); unset: this process's alone. */
  shared?: SharedRateWindows | undefined
}

/**
 * One registry per process: every client of the same portal shares the same windows, and with
 * `shared` every process of the deployment draws on one window per portal as well, so N worker
 * processes together stay within HUBSPOT_RATE_LIMIT_PER_10S. HubSpot's 429 (handled by the client)
 * stays the backstop.
 */
export function createHubSpotRateLimits(opts: HubSpotRateLimitOptions = {}) {
  const perTen = opts.requestsPerTenSeconds ?? 110
  const searchPerSecond = opts.searchPerSecond ?? 4
  const portals = new Map<string, PortalLimiters>()
  return {
    forPortal(portalId: string): PortalLimiters {
      let limiters = portals.get(portalId)
      if (!limiters) {
        const timing = { now: opts.now, sleep: opts.sleep }
        const sharedWindow = (window: string) =>
          opts.shared
            ? { windows: opts.shared, key: { provider: 'hubspot', accountId: portalId, window } }
            : undefined
        limiters = {
          api: createSlidingWindowLimiter({
            max: perTen,
            intervalMs: HUBSPOT_API_WINDOW_MS,
            shared: sharedWindow('api'),
            ...definedOnly(timing),
          }),
          search: createSlidingWindowLimiter({
            max: searchPerSecond,
            intervalMs: 1_000,
            shared: sharedWindow('search'),
            ...definedOnly(timing),
          }),
        }
        portals.set(portalId, limiters)
      }
      return limiters
    },
  }
}

export type HubSpotRateLimits = ReturnType<typeof createHubSpotRateLimits>

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
