/**
 * HubSpot's companies API for one portal, over the shared call path (client.ts): each contact's
 * primary company (the associations API) and companies by id.
 * Sources: https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/batch/read-companies
 */
import { BATCH_LIMIT, type HubSpotClient } from './client.js'

export interface HubSpotCompany {
  id: string
  properties: Record<string, string | null>
}

/**
 * HubSpot's association type id of "contact to primary company" (a default labelled association,
 * category HUBSPOT_DEFINED, label "Primary"); 279 is the unlabelled contact-to-company type.
 */
export const CONTACT_TO_PRIMARY_COMPANY = 1

type Association = { associationTypes?: { category?: string; typeId?: number }[]; toObjectId: unknown }

const isPrimary = (t: Association) =>
  (t.associationTypes ?? []).some(
    (a) => a.category === 'HUBSPOT_DEFINED' && a.typeId === CONTACT_TO_PRIMARY_COMPANY,
  )

export function companiesApi(client: Pick<HubSpotClient, 'call' | 'limiters'>) {
  const { call, limiters } = client
  return {
    /**
     * Each contact's primary company id (absent: none), one associations call per 100 contacts:
     * `POST /crm/v4/associations/contacts/companies/batch/read`. Only the first page of a contact's
     * companies is read (HubSpot pages them); the primary one is there in every portal seen so far.
     */
    async readPrimaryCompanyIds(contactIds: string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>()
      const unique = [...new Set(contactIds)]
      for (let i = 0; i < unique.length; i += BATCH_LIMIT) {
        const inputs = unique.slice(i, i + BATCH_LIMIT).map((id) => ({ id }))
        const res = await call('read contact companies', limiters.api, (c, o) =>
          c.crm.associations.v4.batchApi.getPageWithHttpInfo('contacts', 'companies', { inputs }, o as never),
        )
        for (const r of res?.results ?? []) {
          const primary = (r.to ?? []).find(isPrimary)
          if (primary) out.set(String(r._from.id), String(primary.toObjectId))
        }
      }
      return out
    },

    /** Companies by id, one call per 100: `POST /crm/v3/objects/companies/batch/read`. */
    async batchReadCompanies(ids: string[], properties: readonly string[]): Promise<HubSpotCompany[]> {
      const out: HubSpotCompany[] = []
      const unique = [...new Set(ids)]
      for (let i = 0; i < unique.length; i += BATCH_LIMIT) {
        const inputs = unique.slice(i, i + BATCH_LIMIT).map((id) => ({ id }))
        const res = await call('batch read companies', limiters.api, (c, o) =>
          c.crm.companies.batchApi.readWithHttpInfo(
            { inputs, properties: [...properties], propertiesWithHistory: [] },
            false,
            o as never,
          ),
        )
        for (const r of res?.results ?? []) out.push({ id: r.id, properties: r.properties ?? {} })
      }
      return out
    },
  }
}

export type HubSpotCompaniesApi = ReturnType<typeof companiesApi>
