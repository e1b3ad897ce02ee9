/**
 * The contact's company, read from HubSpot: each contact's primary associated company (one
 * associations call and one companies call per 100 contacts, inside the portal's rate budget since
 * both go through the client), and the other way round, a company edit carried to the contacts
 * Leadgrid links to it (crm_company_links, migration 004) so they are rescored.
 * Sources: https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 *          https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/batch/read-companies
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import { contactsOfCompanies, setCompanyLinks, unlinkCompanies } from '../../db/company-link-repository.js'
import type { Db } from '../../db/database.js'
import type { ConnectionRow } from '../../db/schema.js'
import { CrmError } from '../../errors.js'
import type { IngestionService } from '../../events/ingestion-service.js'
import type { HubSpotClient, HubSpotCompany, HubSpotContact } from './hubspot-client.js'
import { COMPANY_READ_PROPERTIES, companyFallbacks, hubspotValuesOf } from './mapping.js'

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
export function canReadCompanies(connection: Pick<ConnectionRow, 'scopes'>): boolean {
  return connection.scopes.includes(COMPANIES_READ_SCOPE)
}

type Client = Pick<HubSpotClient, 'readPrimaryCompanyIds' | 'batchReadCompanies'>

/**
 * The primary company of each contact: one associations call and one companies call per 100.
 * Undefined when companies cannot be read (scope not granted, or HubSpot refuses for good) — the
 * contacts are then ingested without touching their company values; transient failures throw, so the
 * job retries as it would for the contacts themselves.
 */
export async function readContactCompanies(
  deps: { logger: Logger },
  connection: Pick<ConnectionRow, 'id' | 'scopes'>,
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

/** Records which company each ingested contact belongs to (contact ids in the order of `crmIds`). */
export async function recordCompanyLinks(
  deps: { db: Db; clock: Clock },
  workspaceId: string,
  companies: ContactCompanies,
  crmIds: string[],
  contactIds: string[],
): Promise<void> {
  const links = crmIds.flatMap((crmId, i) => {
    const contactId = contactIds[i]
    if (contactId === undefined || !companies.byContact.has(crmId)) return []
    return [{ contactId, companyId: companies.byContact.get(crmId)?.id ?? null }]
  })
  await setCompanyLinks(deps.db, workspaceId, companies.connectionId, links, deps.clock.now())
}

/**
 * Companies changed in HubSpot: read them again (one call per 100), and give every linked contact its
 * new `company.*` values and company-derived size / industry / country (the contact's own values still
 * win, judged from its stored `hubspot.*` values). Changed contacts are marked dirty by the ingestion,
 * so they are rescored. A company HubSpot no longer has leaves its contacts without company values.
 * Returns how many contacts were updated.
 */
export async function applyCompanyChanges(
  deps: {
    db: Db
    logger: Logger
    ingestion: Pick<IngestionService, 'ingestContacts'>
  },
  connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
  client: Pick<HubSpotClient, 'batchReadCompanies'>,
  companyIds: string[],
): Promise<number> {
  const workspaceId = connection.workspace_id
  const linked = await contactsOfCompanies(deps.db, workspaceId, connection.id, companyIds, 'hubspot')
  if (linked.length === 0) return 0
  const wanted = [...new Set(linked.map((l) => l.companyId))]
  const found = new Map(
    (await client.batchReadCompanies(wanted, COMPANY_READ_PROPERTIES)).map((c) => [c.id, c]),
  )
  const items = linked
    .filter((l): l is typeof l & { crmId: string } => l.crmId !== null)
    .map((l) => ({
      contact: { hubspotId: l.crmId },
      properties: companyFallbacks(hubspotValuesOf(l.properties), found.get(l.companyId)?.properties ?? null),
    }))
  if (items.length > 0) await deps.ingestion.ingestContacts(workspaceId, items, 'hubspot')
  await unlinkCompanies(
    deps.db,
    workspaceId,
    connection.id,
    wanted.filter((id) => !found.has(id)),
  )
  deps.logger.info(
    { connectionId: connection.id, companies: wanted.length, contacts: items.length },
    'HubSpot company changes applied to their contacts',
  )
  return items.length
}
