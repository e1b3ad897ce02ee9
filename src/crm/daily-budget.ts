/**
 * A CRM's daily API allowance, as the limiters charge it: what each kind of call costs is the
 * provider's business (`Kind`), the counting is shared by every process.
 */

export interface DailyBudget<Kind extends string = string> {
  /**
   * Charges one call of `kind` to today's budget before it is sent: 0 when it fits, otherwise the
   * milliseconds until the budget resets (nothing is charged then).
   */
  take(kind: Kind): Promise<number>
  /**
   * A 429 that the burst window does not explain: the budget is gone until the next midnight.
   * Resolves to the milliseconds until then.
   */
  markExhausted(): Promise<number>
}

/**
 * The daily budgets every process shares (implemented over PostgreSQL in shared-daily-budgets.ts, injected). Time is the store's own: only durations cross this line.
 */
export interface SharedDailyBudgets {
  /** `allowance` null: unknown, only the CRM's refusal stops the day. */
  take(
    key: { provider: string; accountId: string },
    cost: number,
    allowance: number | null,
  ): Promise<{ granted: true } | { granted: false; resetInMs: number }>
  exhaust(key: { provider: string; accountId: string }): Promise<number>
}
