/**
 * How every CRM client waits before trying a call again: exponential backoff with jitter, so many
 * connections that failed together do not all come back together. The clients decide what is worth
 * retrying (5xx, network failures, a CRM's own "locked"); this decides how long to wait.
 */

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number
  /** The wait after the first failure, before jitter; doubled after each further one. */
  baseDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500 }

export function retryPolicy(overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...overrides }
}

/** The wait after failed attempt `attempt` (0-based): base × 2^attempt × a factor in [0.5, 1.5). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  return Math.round(policy.baseDelayMs * 2 ** attempt * (0.5 + random()))
}

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
