/**
 * A local HubSpot for the write-back and latency benchmarks, over real HTTP: batch update and batch
 * read of contacts, the token endpoint, and HubSpot's per-portal budget — 110 requests in any
 * rolling 10 s, a 429 (policy TEN_SECONDLY_ROLLING) beyond, and the X-HubSpot-RateLimit-* headers
 * on every answer. It counts what a benchmark reports: calls, 429s, and calls that carried no new
 * value. (test/helpers/hubspot-stand-in.ts plays the rest of HubSpot for the tests, without limits.)
 * Source for the limits and headers: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A rolling window: admits a request when fewer than `max` were admitted in the last `windowMs`. */
export function createRollingWindow(opts: { max: number; windowMs: number; now?: () => number }) {
  const { max, windowMs, now = Date.now } = opts
  const admitted: number[] = []
  const prune = (t: number) => {
    while (admitted.length > 0 && admitted[0]! <= t - windowMs) admitted.shift()
  }
  return {
    /** True (and counted) when the request fits; false means answer 429. */
    admit(): boolean {
      const t = now()
      prune(t)
      if (admitted.length >= max) return false
      admitted.push(t)
      return true
    },
    remaining(): number {
      prune(now())
      return Math.max(0, max - admitted.length)
    },
  }
}

/** Property values that change on every computation, so never count as "new" on their own. */
const VOLATILE = new Set(['leadgrid_scored_at'])

export interface CrmStandInStats {
  /** Every request answered, 429s included. */
  requests: number
  /** Batch update calls admitted (200). */
  batchUpdates: number
  batchReads: number
  /** Contacts written by admitted batch updates. */
  contactsWritten: number
  rateLimited: number
  /** Admitted batch updates in which no contact got a value it did not already hold. */
  unchangedCalls: number
  /** Times (ms since epoch) of admitted batch updates. */
  updateTimes: number[]
}

export interface CrmStandIn {
  baseUrl: string
  portalId: number
  /** HubSpot contact id → properties as the stand-in holds them. */
  contacts: Map<string, Record<string, string>>
  stats: CrmStandInStats
  /** Called after each admitted batch update with the ids it wrote (the latency benchmark waits on it). */
  onUpdate?: (ids: string[], at: number) => void
  resetStats(): void
  close(): Promise<void>
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text) return undefined
  if ((req.headers['content-type'] ?? '').includes('x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text))
  return JSON.parse(text)
}

const emptyStats = (): CrmStandInStats => ({
  requests: 0,
  batchUpdates: 0,
  batchReads: 0,
  contactsWritten: 0,
  rateLimited: 0,
  unchangedCalls: 0,
  updateTimes: [],
})

export async function startCrmStandIn(
  opts: { portalId?: number; requestsPerTenSeconds?: number; now?: () => number } = {},
): Promise<CrmStandIn> {
  const max = opts.requestsPerTenSeconds ?? 110
  const window = createRollingWindow({ max, windowMs: 10_000, now: opts.now })
  const contacts = new Map<string, Record<string, string>>()
  const stand: CrmStandIn = {
    baseUrl: '',
    portalId: opts.portalId ?? 77_001,
    contacts,
    stats: emptyStats(),
    resetStats() {
      stand.stats = emptyStats()
    },
    close: async () => {},
  }
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/json;charset=utf-8',
      'x-hubspot-ratelimit-max': String(max),
      'x-hubspot-ratelimit-remaining': String(window.remaining()),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    })
    res.end(JSON.stringify(body))
  }
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in')
      const body = await readJson(req)
      const route = `${req.method} ${url.pathname}`
      stand.stats.requests++
      if (!window.admit()) {
        stand.stats.rateLimited++
        return send(res, 429, {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'stand-in',
          policyName: 'TEN_SECONDLY_ROLLING',
        })
      }
      const now = new Date().toISOString()
      if (route === 'POST /oauth/v3/token') {
        return send(res, 200, {
          token_type: 'bearer',
          access_token: `stand-in-${Date.now()}`,
          refresh_token: 'stand-in-refresh',
          expires_in: 1800,
        })
      }
      if (route === 'POST /crm/v3/objects/contacts/batch/update') {
        const inputs = (body as { inputs: { id: string; properties: Record<string, string> }[] }).inputs
        let anyNew = false
        const results = inputs.map((i) => {
          const held = contacts.get(i.id) ?? {}
          for (const [k, v] of Object.entries(i.properties)) {
            if (!VOLATILE.has(k) && held[k] !== v) anyNew = true
          }
          Object.assign(held, i.properties)
          contacts.set(i.id, held)
          return { id: i.id, properties: held, createdAt: now, updatedAt: now, archived: false }
        })
        const at = Date.now()
        stand.stats.batchUpdates++
        stand.stats.contactsWritten += inputs.length
        stand.stats.updateTimes.push(at)
        if (!anyNew) stand.stats.unchangedCalls++
        stand.onUpdate?.(
          inputs.map((i) => i.id),
          at,
        )
        return send(res, 200, { status: 'COMPLETE', results, startedAt: now, completedAt: now })
      }
      if (route === 'POST /crm/v3/objects/contacts/batch/read') {
        stand.stats.batchReads++
        const b = body as { inputs: { id: string }[]; properties?: string[] }
        const results = b.inputs
          .filter((i) => contacts.has(i.id))
          .map((i) => {
            const p = contacts.get(i.id)!
            const properties = b.properties
              ? Object.fromEntries(b.properties.map((k) => [k, p[k] ?? null]))
              : p
            return { id: i.id, properties, createdAt: now, updatedAt: now, archived: false }
          })
        return send(res, 200, { status: 'COMPLETE', results, startedAt: now, completedAt: now })
      }
      return send(res, 404, {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `no stand-in for ${route}`,
      })
    } catch (err) {
      send(res, 500, { status: 'error', message: (err as Error).message })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stand.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stand.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return stand
}
