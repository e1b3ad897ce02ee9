/**
 * The page's calls to /app/api: same-origin, the session cookie goes by itself, writes carry the
 * CSRF token the session endpoint handed out. Errors come back as { error: { code, message, details } }.
 */
let csrfToken = ''

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.error?.code
    this.details = body?.error?.details
  }
}

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
  async session() {
    const s = await call('GET', '/session')
    csrfToken = s.csrfToken
    return s
  },
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body ?? {}),
  put: (path, body) => call('PUT', path, body),
}
