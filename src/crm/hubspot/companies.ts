/**
 * The contact's company, read from HubSpot: each contact's primary associated company (one
 * associations call and one companies call per 100 contacts, inside the portal's rate budget since
 * both go through the client). Which contact belongs to which company is recorded by the neutral
 * services (crm_company_links, migration 004), so a company edit reaches its contacts: see
 * CrmRecords.companyLinks and CrmSession.companyUpdates in ../types.ts.
 * Sources: https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/batch/read-companies
 */
import type { Logger } from 'pino'
import { CrmError } from '../../errors.js'
import type { CrmConnection } from '../types.js'
import type { HubSpotCompaniesApi, HubSpotCompany } from './client-companies.js'
import type { HubSpotContact } from './client-contacts.js'
import { COMPANY_READ_PROPERTIES } from './mapping.js'

/** The scope that lets Leadgrid read companies (and their associations with contacts). */
export const COMPANIES_READ_SCOPE = 'crm.objects.companies.read'

/** The companies of a set of contacts, as read: contact id → its primary company, or null for none. */
export interface ContactCompanies {
  connectionId: string
  byContact: Map<string, HubSpotCompany | null>
}

/**
 * Installs made before Leadgrid asked for the companies scope have not granted it: their contacts are
 * read as before (no `company.*`), until the portal re-installs and consents to the new scope.
 */
export function canReadCompanies(connection: Pick<CrmConnection, 'scopes'>): boolean {
  return connection.scopes.includes(COMPANIES_READ_SCOPE)
}

type Client = Pick<HubSpotCompaniesApi, 'readPrimaryCompanyIds' | 'batchReadCompanies'>

/**
 * The primary company of each contact: one associations call and one companies call per 100.
 * Undefined when companies cannot be read (scope not granted, or HubSpot refuses for good) — the
 * contacts are then ingested without touching their company values; transient failures throw, so the
 * job retries as it would for the contacts themselves.
 */
export async function readContactCompanies(
  deps: { logger: Logger },
  connection: Pick<CrmConnection, 'id' | 'scopes'>,
  client: Client,
  contacts: Pick<HubSpotContact, 'id'>[],
): Promise<ContactCompanies | undefined> {
  if (contacts.length === 0 || !canReadCompanies(connection)) return undefined
  try {
    const primary = await client.readPrimaryCompanyIds(contacts.map((c) => c.id))
    const companies = new Map(
      (await client.batchReadCompanies([...new Set(primary.values())], COMPANY_READ_PROPERTIES)).map((c) => [
        c.id,
        c,
      ]),
    )
    const byContact = new Map<string, HubSpotCompany | null>()
    for (const c of contacts) {
      const companyId = primary.get(c.id)
      byContact.set(c.id, companyId === undefined ? null : (companies.get(companyId) ?? null))
    }
    return { connectionId: connection.id, byContact }
  } catch (err) {
    if (err instanceof CrmError && !err.retryable) {
      // A refused read (403 MISSING_SCOPES after a scope change, 400…) must not stop the contacts.
      deps.logger.warn(
        { connectionId: connection.id, status: err.status },
        'HubSpot companies could not be read; contacts ingested without company values',
      )
      return undefined
    }
    throw err
  }
}
