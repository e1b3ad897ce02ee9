/**
 * Reads of a contact's identities (migrations/001 `contact_identities`): which emails, CRM ids and
 * visitor ids name it. Writes go through contact resolution (contact-repository.ts), under the
 * identity locks; these reads take none.
 */
import type { Transaction } from 'kysely'
import type { IdentityKind } from '../domain/contact.js'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Queryable = Db | Transaction<Database>

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

/** The identities of one kind among these values, with the contact each names. */
export async function identitiesAmong(
  db: Queryable,
  workspaceId: string,
  kind: IdentityKind,
  values: string[],
): Promise<{ contact_id: string; value: string }[]> {
  if (values.length === 0) return []
  return db
    .selectFrom('contact_identities')
    .select(['contact_id', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('value', 'in', values)
    .execute()
}

/** The identities of one kind these contacts have (a CRM's record ids, by its identity kind). */
export async function identitiesOfContacts(
  db: Queryable,
  workspaceId: string,
  kind: IdentityKind,
  contactIds: string[],
): Promise<{ contact_id: string; value: string }[]> {
  if (contactIds.length === 0) return []
  return db
    .selectFrom('contact_identities')
    .select(['contact_id', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('contact_id', 'in', contactIds)
    .execute()
}

/** Removes identities that name no record any more (the CRM merged them into another). */
export async function deleteIdentities(
  db: Queryable,
  workspaceId: string,
  kind: IdentityKind,
  values: string[],
): Promise<void> {
  if (values.length === 0) return
  await db
    .deleteFrom('contact_identities')
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('value', 'in', values)
    .execute()
}
