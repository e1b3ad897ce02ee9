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

export interface RateLimiter {
  /** Resolves when one more request fits in the window; requests are served in arrival order. */
  acquire(): Promise<void>
  /** Nothing starts before `ms` from now (after a 429, or when HubSpot says the budget is spent). */
  pauseFor(ms: number): void
}

export interface LimiterTiming {
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function createSlidingWindowLimiter(
  opts: { max: number; intervalMs: number } & LimiterTiming,
): RateLimiter {
  const { max, intervalMs, now = Date.now, sleep = realSleep } = opts
  if (!(max >= 1) || !(intervalMs > 0)) throw new Error('A rate limiter needs max >= 1 and intervalMs > 0')
  const starts: number[] = []
  let pausedUntil = 0
  let queue: Promise<void> = Promise.resolve()

  async function waitForSlot(): Promise<void> {
    for (;;) {
      const t = now()
      while (starts.length > 0 && starts[0]! <= t - intervalMs) starts.shift()
      if (pausedUntil > t) {
        await sleep(pausedUntil - t)
        continue
      }
      if (starts.length < max) {
        starts.push(t)
        return
      }
      await sleep(starts[0]! + intervalMs - t)
    }
  }

  return {
    acquire() {
      const turn = queue.then(waitForSlot)
      queue = turn
      return turn
    },
    pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, now() + Math.max(0, ms))
    },
  }
}

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
}

/**
 * One registry per process: every client of the same portal shares the same windows.
 * Several worker processes each hold their own window; HubSpot's 429 (handled by the client) is the
 * backstop, and RATE_LIMIT_PER_10S can be lowered to split the budget between processes.
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
        limiters = {
          api: createSlidingWindowLimiter({
            max: perTen,
            intervalMs: HUBSPOT_API_WINDOW_MS,
            ...definedOnly(timing),
          }),
          search: createSlidingWindowLimiter({
            max: searchPerSecond,
            intervalMs: 1_000,
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
