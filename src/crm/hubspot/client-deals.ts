/**
 * The HubSpot reads that deal outcomes need: the deal pipelines (to classify stages), a batch of
 * deals, and the contacts associated with them. Written over a `HubSpotJsonRequest` — one JSON
 * request through the portal's rate limiter and retries (client.ts `jsonRequest`) — since the SDK
 * has no typed method Leadgrid uses for them.
 * Sources:
 *   GET  /crm/v3/pipelines/deals                       https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide
 *   POST /crm/v3/objects/deals/batch/read              https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide
 *   POST /crm/v4/associations/deals/contacts/batch/read https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 * Scope: crm.objects.deals.read (pipelines of deals are readable with it too).
 */
import type { HubSpotDeal, HubSpotPipeline } from './outcomes.js'
import { OUTCOME_DEAL_PROPERTIES } from './outcomes.js'

export type HubSpotJsonRequest = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>

const BATCH = 100

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

export function createHubSpotOutcomeReads(request: HubSpotJsonRequest) {
  return {
    async dealPipelines(): Promise<HubSpotPipeline[]> {
      const body = record(await request('GET', '/crm/v3/pipelines/deals'))
      return list(body['results']).map((p) => {
        const pipeline = record(p)
        return {
          id: String(pipeline['id']),
          label: typeof pipeline['label'] === 'string' ? pipeline['label'] : undefined,
          stages: list(pipeline['stages']).map((s) => {
            const stage = record(s)
            const metadata = record(stage['metadata'])
            return {
              id: String(stage['id']),
              label: typeof stage['label'] === 'string' ? stage['label'] : undefined,
              metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
            }
          }),
        }
      })
    },

    async batchReadDeals(ids: readonly string[]): Promise<HubSpotDeal[]> {
      const out: HubSpotDeal[] = []
      for (let i = 0; i < ids.length; i += BATCH) {
        const body = record(
          await request('POST', '/crm/v3/objects/deals/batch/read', {
            properties: [...OUTCOME_DEAL_PROPERTIES],
            inputs: ids.slice(i, i + BATCH).map((id) => ({ id })),
          }),
        )
        for (const d of list(body['results'])) {
          const deal = record(d)
          out.push({
            id: String(deal['id']),
            properties: record(deal['properties']) as HubSpotDeal['properties'],
          })
        }
      }
      return out
    },

    /** Deal id → the ids of its associated contacts (deals without any are absent). */
    async dealContacts(dealIds: readonly string[]): Promise<Map<string, string[]>> {
      const out = new Map<string, string[]>()
      for (let i = 0; i < dealIds.length; i += BATCH) {
        const body = record(
          await request('POST', '/crm/v4/associations/deals/contacts/batch/read', {
            inputs: dealIds.slice(i, i + BATCH).map((id) => ({ id })),
          }),
        )
        for (const r of list(body['results'])) {
          const row = record(r)
          const from = String(record(row['from'])['id'])
          out.set(
            from,
            list(row['to']).map((t) => String(record(t)['toObjectId'])),
          )
        }
      }
      return out
    },
  }
}

export type HubSpotOutcomeReads = ReturnType<typeof createHubSpotOutcomeReads>
