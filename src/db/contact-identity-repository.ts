/**
 * Reads of a contact's identities (migrations/001 `contact_identities`): which emails, CRM ids and
 * visitor ids name it. Writes go through contact resolution (contact-repository.ts), under the
 * identity locks; these reads take none.
 */
import type { Db } from './database.js'

/** The emails of the contact this visitor id already belongs to (empty when unknown or anonymous). */
export async function emailsOfVisitor(db: Db, workspaceId: string, visitorId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('contact_identities as visitor')
    .innerJoin('contact_identities as known', (j) =>
      j
        .onRef('known.workspace_id', '=', 'visitor.workspace_id')
        .onRef('known.contact_id', '=', 'visitor.contact_id'),
    )
    .select('known.value')
    .where('visitor.workspace_id', '=', workspaceId)
    .where('visitor.kind', '=', 'anonymous')
    .where('visitor.value', '=', visitorId)
    .where('known.kind', '=', 'email')
    .execute()
  return new Set(rows.map((r) => r.value))
}

/** A contact's identities a person can name it by (anonymous visitor ids left out). */
export async function namedIdentitiesOf(db: Db, workspaceId: string, contactId: string) {
  return db
    .selectFrom('contact_identities')
    .select(['kind', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('kind', '!=', 'anonymous')
    .execute()
}
