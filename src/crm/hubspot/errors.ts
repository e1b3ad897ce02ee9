/**
 * How HubSpot failures become Leadgrid's typed errors. Decided from the HTTP status and the body's
 * machine-readable fields (`status`, `error`, `category`, `policyName`) — never from message text.
 */
import { CrmError } from '../../errors.js'

/** A token call failed; `code` is HubSpot's machine code when there is one (e.g. BAD_REFRESH_TOKEN). */
export class HubSpotAuthError extends CrmError {
  constructor(
    message: string,
    status: number | undefined,
    retryable: boolean,
    readonly code: string | undefined,
  ) {
    super(message, 'hubspot', status, retryable)
    this.name = 'HubSpotAuthError'
  }

  /** The refresh token is dead: the app was uninstalled or access revoked. Stop and mark the connection. */
  get revoked(): boolean {
    return this.code === 'BAD_REFRESH_TOKEN' || this.code === 'invalid_grant'
  }
}

/** A 429 or a 5xx that outlived our retries, or any other error status from the CRM API. */
export class HubSpotApiError extends CrmError {
  constructor(
    message: string,
    status: number | undefined,
    retryable: boolean,
    retryAfterMs: number | undefined,
    readonly category: string | undefined,
    readonly policyName: string | undefined,
  ) {
    super(message, 'hubspot', status, retryable, retryAfterMs)
    this.name = 'HubSpotApiError'
  }
}

export function bodyField(body: unknown, key: string): string | undefined {
  if (body && typeof body === 'object' && key in body) {
    const v = (body as Record<string, unknown>)[key]
    return typeof v === 'string' ? v : undefined
  }
  return undefined
}

/**
 * Token endpoint failures. HubSpot answers a dead refresh token with 400 and either
 * `{"status":"BAD_REFRESH_TOKEN"}` (v1 shape) or the OAuth 2 `{"error":"invalid_grant"}`.
 */
export function authErrorFromResponse(status: number, body: unknown): HubSpotAuthError {
  const code = bodyField(body, 'status') ?? bodyField(body, 'error') ?? bodyField(body, 'category')
  const retryable = status === 429 || status >= 500
  return new HubSpotAuthError(
    `HubSpot token endpoint answered ${status}${code ? ` (${code})` : ''}`,
    status,
    retryable,
    code,
  )
}

/** Parses a body that may be JSON, text, or absent. */
export function parseBody(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the text for the log.
    return text
  }
}
