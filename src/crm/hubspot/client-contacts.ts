/**
 * HubSpot's contacts API for one portal, over the shared call path (client.ts): batch writes and
 * reads, one contact, the backfill's pages and the reconciliation's search by last modification.
 * Sources: https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
 */
import { BATCH_LIMIT, type HubSpotClient } from './client.js'

/** The search API pages at most 200 results and never past 10,000 per query. */
export const SEARCH_PAGE_LIMIT = 200
export const SEARCH_MAX_RESULTS = 10_000

export interface HubSpotContact {
  id: string
  properties: Record<string, string | null>
  createdAt?: string
  updatedAt?: string
}

export interface BatchUpdateFailure {
  ids: string[]
  status: string
  category: string
  message: string
}

/** A 207's per-record errors, as HubSpot sends them beside the results. */
interface BatchErrors {
  errors?: { context?: Record<string, string[]>; status: string; category: string; message: string }[]
}

const toContact = (o: {
  id: string
  properties: Record<string, string | null>
  createdAt?: Date
  updatedAt?: Date
}): HubSpotContact => ({
  id: o.id,
  properties: o.properties ?? {},
  ...(o.createdAt ? { createdAt: new Date(o.createdAt).toISOString() } : {}),
  ...(o.updatedAt ? { updatedAt: new Date(o.updatedAt).toISOString() } : {}),
})

/** The search of contacts modified at or after `since`, oldest first (`after`: HubSpot's offset). */
function modifiedSinceQuery(since: Date, properties: string[], after: string | undefined) {
  return {
    filterGroups: [
      { filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(since.getTime()) }] },
    ],
    sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
    properties: [...new Set([...properties, 'lastmodifieddate'])],
    limit: SEARCH_PAGE_LIMIT,
    ...(after !== undefined ? { after } : {}),
  }
}

const pastSearchCap = (after: string | undefined) =>
  after !== undefined && Number(after) + SEARCH_PAGE_LIMIT > SEARCH_MAX_RESULTS

export function contactsApi(client: Pick<HubSpotClient, 'call' | 'limiters'>) {
  const { call, limiters } = client
  return {
    /** Writes property values; one call per 100 inputs. Per-record failures come back, not thrown. */
    async batchUpdateContacts(
      inputs: { id: string; properties: Record<string, string> }[],
    ): Promise<{ updated: string[]; failed: BatchUpdateFailure[] }> {
      const updated: string[] = []
      const failed: BatchUpdateFailure[] = []
      for (let i = 0; i < inputs.length; i += BATCH_LIMIT) {
        const chunk = inputs.slice(i, i + BATCH_LIMIT)
        const res = await call('batch update contacts', limiters.api, (c, o) =>
          c.crm.contacts.batchApi.updateWithHttpInfo({ inputs: chunk }, o as never),
        )
        for (const r of res?.results ?? []) updated.push(r.id)
        for (const e of (res as BatchErrors | null)?.errors ?? []) {
          failed.push({
            ids: e.context?.['ids'] ?? [],
            status: e.status,
            category: e.category,
            message: e.message,
          })
        }
      }
      return { updated, failed }
    },

    async batchReadContacts(ids: string[], properties: string[]): Promise<HubSpotContact[]> {
      const out: HubSpotContact[] = []
      for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
        const inputs = ids.slice(i, i + BATCH_LIMIT).map((id) => ({ id }))
        const res = await call('batch read contacts', limiters.api, (c, o) =>
          c.crm.contacts.batchApi.readWithHttpInfo(
            { inputs, properties, propertiesWithHistory: [] },
            false,
            o as never,
          ),
        )
        for (const r of res?.results ?? []) out.push(toContact(r))
      }
      return out
    },

    /** One contact, or null when HubSpot no longer has it. */
    async getContact(id: string, properties: string[]): Promise<HubSpotContact | null> {
      const res = await call(
        'get contact',
        limiters.api,
        (c, o) =>
          c.crm.contacts.basicApi.getByIdWithHttpInfo(
            id,
            properties,
            undefined,
            undefined,
            false,
            undefined,
            o as never,
          ),
        { notFoundAsNull: true },
      )
      return res ? toContact(res) : null
    },

    /** One page of all contacts (backfill); pass the returned `after` to continue. */
    async listContactsPage(opts: { after?: string; properties: string[]; limit?: number }) {
      const limit = Math.min(opts.limit ?? 100, 100)
      const res = await call('list contacts', limiters.api, (c, o) =>
        c.crm.contacts.basicApi.getPageWithHttpInfo(
          limit,
          opts.after,
          opts.properties,
          undefined,
          undefined,
          false,
          o as never,
        ),
      )
      return { contacts: (res?.results ?? []).map(toContact), after: res?.paging?.next?.after }
    },

    /**
     * Contacts modified at or after `since`, oldest first, one page. The search API stops at 10,000
     * results per query: the caller restarts from the last `lastmodifieddate` it saw when `after` runs out.
     * Contacts use `lastmodifieddate` (other objects `hs_lastmodifieddate`).
     */
    async searchContactsModifiedSince(opts: { since: Date; properties: string[]; after?: string }) {
      if (pastSearchCap(opts.after)) {
        return { contacts: [] as HubSpotContact[], after: undefined, exhausted: true, total: 0 }
      }
      const request = modifiedSinceQuery(opts.since, opts.properties, opts.after)
      const res = await call('search contacts', limiters.search, (c, o) =>
        c.crm.contacts.searchApi.doSearchWithHttpInfo(request as never, o as never),
      )
      const next = res?.paging?.next?.after
      return {
        contacts: (res?.results ?? []).map(toContact),
        after: next,
        exhausted: pastSearchCap(next),
        total: res?.total ?? 0,
      }
    },
  }
}

export type HubSpotContactsApi = ReturnType<typeof contactsApi>
