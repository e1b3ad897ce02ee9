/**
 * The few error types the service raises on purpose. One handler (src/http/error-handler.ts)
 * maps them to HTTP; everything else is a 500 whose message is hidden from the caller.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class BadRequest extends AppError {
  constructor(message: string, details?: unknown, code = 'bad_request') {
    super(400, code, message, details)
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'Missing or invalid credentials', code = 'unauthorized') {
    super(401, code, message)
  }
}

export class Forbidden extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message)
  }
}

export class NotFound extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message)
  }
}

export class Conflict extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message)
  }
}

/**
 * The database kept refusing a transaction for contention (serialization failure or deadlock) even
 * after the retries: nothing was stored, and the same request a moment later will most likely pass.
 */
export class Busy extends AppError {
  constructor(
    message = 'The service is busy with concurrent changes and stored nothing; retry in a moment.',
    readonly retryAfterSeconds = 1,
  ) {
    super(503, 'busy', message)
  }
}

/** Too many attempts; the error handler sends `Retry-After: retryAfterSeconds`. */
export class TooManyRequests extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code = 'rate_limited',
  ) {
    super(429, code, message)
  }
}

/** A service the request needs is not configured on this server (503: the operator must act). */
export class NotConfigured extends AppError {
  constructor(message: string, code = 'not_configured') {
    super(503, code, message)
  }
}

/** A CRM call failed. `retryable` is decided from the status, never from the message text. */
export class CrmError extends Error {
  constructor(
    message: string,
    readonly provider: 'hubspot' | 'pipedrive',
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'CrmError'
  }
}
