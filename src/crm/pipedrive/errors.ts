/**
 * How Pipedrive failures become Leadgrid's typed errors: decided from the HTTP status, the rate-limit
 * headers and the body's machine fields (`error`, `error_info`), never from message text.
 */
import { CrmError } from '../../errors.js'

/** A token call failed. `revoked`: the refresh token is dead (uninstalled, expired after 60 idle days). */
export class PipedriveAuthError extends CrmError {
  constructor(
    message: string,
    status: number | undefined,
    retryable: boolean,
    readonly code: string | undefined,
  ) {
    super(message, 'pipedrive', status, retryable)
    this.name = 'PipedriveAuthError'
  }

  get revoked(): boolean {
    return this.code === 'invalid_grant' || this.code === 'unauthorized_client'
  }
}

/**
 * An API call that still failed after our retries. `dailyBudgetSpent`: the company's daily token budget
 * is used up; nothing should be sent before `retryAfterMs` (the next midnight).
 */
export class PipedriveApiError extends CrmError {
  constructor(
    message: string,
    status: number | undefined,
    retryable: boolean,
    retryAfterMs: number | undefined,
    readonly dailyBudgetSpent = false,
  ) {
    super(message, 'pipedrive', status, retryable, retryAfterMs)
    this.name = 'PipedriveApiError'
  }
}

/** The `error` field of a token endpoint's JSON answer (RFC 6749 §5.2), if any. */
export function oauthErrorCode(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'error' in body) {
    const v = (body as { error: unknown }).error
    return typeof v === 'string' ? v : undefined
  }
  return undefined
}
