/**
 * The contact → CRM company links (migration 004). Written whenever Leadgrid reads a contact's company
 * (backfill, reconciliation, webhook-driven fetches); read when a company changes, to find the contacts
 * whose company-derived profile values must follow.
 */
import { sql } from 'kysely'
import type { ContactProfile } from '../domain/contact.js'
import type { Db } from './database.js'

export interface CompanyLink {
  contactId: string
  /** null: the contact has no company (any previous link is removed). */
  companyId: string | null
}

/** Records each contact's current company. Sorted by contact so concurrent writers lock rows in one order. */
export async function setCompanyLinks(
  db: Db,
  workspaceId: string,
  connectionId: string,
  links: CompanyLink[],
  now: Date,
): Promise<void> {
  const latest = new Map(links.map((l) => [l.contactId, l.companyId]))
  const sorted = [...latest].sort(([a], [b]) => a.localeCompare(b))
  const unlinked = sorted.filter(([, c]) => c === null).map(([id]) => id)
  const linked = sorted.filter((e): e is [string, string] => e[1] !== null)
  if (unlinked.length > 0) {
    await db
      .deleteFrom('crm_company_links')
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .where('contact_id', 'in', unlinked)
      .execute()
  }
  if (linked.length > 0) {
    await db
      .insertInto('crm_company_links')
      .values(
        linked.map(([contactId, companyId]) => ({
          workspace_id: workspaceId,
          connection_id: connectionId,
          contact_id: contactId,
          company_id: companyId,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'connection_id', 'contact_id'])
          .doUpdateSet({ company_id: sql`excluded.company_id`, updated_at: sql`excluded.updated_at` }),
      )
      .execute()
  }
}

export interface LinkedContact {
  contactId: string
  companyId: string
  /** The contact's HubSpot id (its `hubspot` identity), null when it has none. */
  crmId: string | null
  properties: ContactProfile
}

/** The contacts linked to these companies, with their stored profile. */
export async function contactsOfCompanies(
  db: Db,
  workspaceId: string,
  connectionId: string,
  companyIds: string[],
  identityKind: 'hubspot' | 'pipedrive',
): Promise<LinkedContact[]> {
  if (companyIds.length === 0) return []
  const rows = await db
    .selectFrom('crm_company_links as l')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.workspace_id', '=', 'l.workspace_id').onRef('c.id', '=', 'l.contact_id'),
    )
    .leftJoin('contact_identities as i', (j) =>
      j
        .onRef('i.workspace_id', '=', 'l.workspace_id')
        .onRef('i.contact_id', '=', 'l.contact_id')
        .on('i.kind', '=', identityKind),
    )
    .select(['l.contact_id', 'l.company_id', 'i.value', 'c.properties'])
    .where('l.workspace_id', '=', workspaceId)
    .where('l.connection_id', '=', connectionId)
    .where('l.company_id', 'in', companyIds)
    .orderBy('l.contact_id')
    .execute()
  // A merged contact may hold two CRM ids: one row per contact is enough (the profile is the same).
  const byContact = new Map<string, LinkedContact>()
  for (const r of rows) {
    if (byContact.has(r.contact_id)) continue
    byContact.set(r.contact_id, {
      contactId: r.contact_id,
      companyId: r.company_id,
      crmId: r.value ?? null,
      properties: r.properties,
    })
  }
  return [...byContact.values()]
}

/** Forgets a company's links (the company is gone). */
export async function unlinkCompanies(
  db: Db,
  workspaceId: string,
  connectionId: string,
  companyIds: string[],
): Promise<void> {
  if (companyIds.length === 0) return
  await db
    .deleteFrom('crm_company_links')
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('company_id', 'in', companyIds)
    .execute()
}
