/**
 * The request limiter every CRM client uses: a sliding window per account and budget, served in
 * arrival order. A sliding window rather than a token bucket because the CRMs count over rolling
 * windows (HubSpot's `TEN_SECONDLY_ROLLING`, Pipedrive's 2-second burst window): no span of
 * `intervalMs` ever sees more than `max` requests.
 *
 * With `shared`, a request that fits this process's window must also take a slot in the window every
 * process shares through the database (shared-rate-windows.ts): the in-memory window stays in front for
 * arrival order and spares a round trip when this process alone is over budget; the shared one makes
 * the budget hold across any number of worker processes.
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
