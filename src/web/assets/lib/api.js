/**
 * The page's calls to /app/api: same-origin, the session cookie goes by itself, writes carry the
 * CSRF token the session endpoint handed out. Errors come back as { error: { code, message, details } }.
 */

/** @typedef {import('./types.js').Session} Session */

let csrfToken = ''

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body the answer's JSON, if any
   */
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    /** @type {string | undefined} */
    this.code = body?.error?.code
    /** @type {unknown} */
    this.details = body?.error?.details
  }
}

/** The message to show for anything a call threw. */
export const messageOf = (/** @type {unknown} */ err) => (err instanceof Error ? err.message : String(err))

/**
 * @param {'GET' | 'POST' | 'PUT'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(method, path, body) {
  const res = await fetch(`/app/api${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

export const api = {
  /** @returns {Promise<Session>} */
  async session() {
    const s = await call('GET', '/session')
    csrfToken = s.csrfToken
    return s
  },
  /** @param {string} path */
  get: (path) => call('GET', path),
  /** @param {string} path @param {unknown} [body] */
  post: (path, body) => call('POST', path, body ?? {}),
  /** @param {string} path @param {unknown} body */
  put: (path, body) => call('PUT', path, body),
}
