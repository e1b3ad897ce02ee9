/**
 * Limits FAILED authentications per client address: 2,000 wrong API keys in a row
 * used to get 2,000 × 401, so a key could be guessed at the speed of the server. Past `maxFailures`
 * failures in a window, the address gets 429 with Retry-After until the window ends — before any
 * key is looked up, so a blocked client learns nothing more and costs no database read.
 *
 * Only failures count: a valid key adds no work and no wait, whatever its volume. The counts live
 * in this process's memory (one map per app): with several web processes an address gets
 * `maxFailures` per process, which still caps guessing at a handful a second instead of thousands,
 * and a restart forgets nothing that matters. Addresses come from `request.ip`, so TRUST_PROXY
 * decides whether a forwarded address counts (src/app.ts).
 */
import type { Clock } from '../clock.js'
import { TooManyRequests } from '../errors.js'

export const AUTH_FAILURE_LIMIT = { maxFailures: 20, windowMs: 60_000 } as const
/** Bounds the memory an attacker with many addresses can make us hold. */
const MAX_TRACKED = 50_000

interface Window {
  failures: number
  resetAt: number
}

export interface AuthFailureLimiter {
  /** Throws TooManyRequests (429) when `key` has failed too often in the current window. */
  check(scope: string, address: string, what: string): void
  /** Records one failed authentication for `key`. */
  fail(scope: string, address: string): void
}

export function createAuthFailureLimiter(
  clock: Clock,
  { maxFailures, windowMs }: { maxFailures: number; windowMs: number } = AUTH_FAILURE_LIMIT,
): AuthFailureLimiter {
  const windows = new Map<string, Window>()

  function sweep(now: number): void {
    for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key)
    // Still full of live windows: drop the oldest (a Map iterates in insertion order).
    for (const key of windows.keys()) {
      if (windows.size < MAX_TRACKED) break
      windows.delete(key)
    }
  }

  return {
    check(scope, address, what) {
      const now = clock.now().getTime()
      const w = windows.get(`${scope}|${address}`)
      if (!w || w.resetAt <= now || w.failures < maxFailures) return
      const retryAfterSeconds = Math.max(1, Math.ceil((w.resetAt - now) / 1000))
      throw new TooManyRequests(
        `Too many failed attempts with ${what} from this address (${maxFailures} in ${Math.round(windowMs / 1000)} s); retry in ${retryAfterSeconds} s`,
        retryAfterSeconds,
        'too_many_failed_attempts',
      )
    },
    fail(scope, address) {
      const now = clock.now().getTime()
      const key = `${scope}|${address}`
      const w = windows.get(key)
      if (w && w.resetAt > now) {
        w.failures += 1
        return
      }
      if (windows.size >= MAX_TRACKED) sweep(now)
      windows.delete(key)
      windows.set(key, { failures: 1, resetAt: now + windowMs })
    },
  }
}
