/**
 * Per-portal request budgets. HubSpot limits marketplace apps per installing account (110 requests per
 * 10 s, the search API separately at 5 requests/s), while the SDK's Bottleneck limiter and retry
 * decorator are process-global singletons (`ApiDecoratorService.getInstance()` is reset by every
 * `new Client()`), so Leadgrid keeps its own sliding window per portal.
 * Source: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 *
 * A sliding window (not a token bucket) because HubSpot's own policy is a rolling window
 * (`TEN_SECONDLY_ROLLING`): no 10-second span ever sees more than `max` requests.
 *
 * With `shared`, a request that fits this process's window must also take a slot in the window
 * every process shares through the database (src/crm/shared-rate-windows.ts): the in-memory window
 * stays in front for arrival order and spares a round trip when this process alone is over budget;
 * the shared one makes the budget hold across any number of worker processes (issue 9, item 5).
 */

export interface RateLimiter {
  /** Resolves when one more request fits in the window; requests are served in arrival order. */
  acquire(): Promise<void>
  /** Nothing starts before `ms` from now (after a 429, or when HubSpot says the budget is spent). */
  pauseFor(ms: number): void
}

/** Which shared window a limiter draws on: one per (provider, account, budget). */
export interface SharedWindowKey {
  provider: string
  accountId: string
  window: string
}

/** The windows all processes share (implemented over PostgreSQL; injected, never imported here). */
export interface SharedRateWindows {
  /** Time is the store's own (one clock for every process), so only durations cross this line. */
  take(
    key: SharedWindowKey,
    opts: { max: number; intervalMs: number },
  ): Promise<{ granted: true } | { granted: false; retryInMs: number }>
  /** Fire and forget: the local pause holds meanwhile, and the CRM's 429 stays the backstop. */
  pause(key: SharedWindowKey, forMs: number): void
}

export interface LimiterTiming {
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
/** The slack a shared window keeps for the time between the database's grant and the request. */
const SHARED_MARGIN_MS = 50

export function createSlidingWindowLimiter(
  opts: {
    max: number
    intervalMs: number
    shared?: { windows: SharedRateWindows; key: SharedWindowKey } | undefined
  } & LimiterTiming,
): RateLimiter {
  const { max, intervalMs, now = Date.now, sleep = realSleep, shared } = opts
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
        if (shared) await waitForSharedSlot(shared)
        return
      }
      await sleep(starts[0]! + intervalMs - t)
    }
  }

  // A shared slot is stamped when the database grants it; the request leaves one return trip later.
  // Counting over the window plus a small margin keeps the CRM, which counts arrivals, from seeing
  // max + 1 in a window (HubSpot: 0.5 % of the budget; Pipedrive's 2 s window: 2.5 %).
  const sharedIntervalMs = intervalMs + Math.min(intervalMs / 4, SHARED_MARGIN_MS)
  async function waitForSharedSlot(s: { windows: SharedRateWindows; key: SharedWindowKey }): Promise<void> {
    for (;;) {
      const answer = await s.windows.take(s.key, { max, intervalMs: sharedIntervalMs })
      if (answer.granted) return
      await sleep(answer.retryInMs)
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
      shared?.windows.pause(shared.key, ms)
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
