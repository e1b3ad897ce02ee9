/**
 * Contacts and their identities. A person may be known by several identities (email, CRM ids,
 * the tracking snippet's anonymous id); resolving a set of identities finds — or creates — one
 * contact, merging contacts that turn out to be the same person.
 */
import { sql, type Transaction } from 'kysely'
import type { ContactIdentity, ContactProfile } from '../domain/contact.js'
import type { Db } from './database.js'
import { moveOutcomes } from './outcome-repository.js'
import type { Database } from './schema.js'

type Tx = Transaction<Database>

/**
 * Serialises concurrent writers that name the same identity (two webhooks for one new contact):
 * without it both would create a contact. Locks are taken in sorted order, so they cannot deadlock.
 */
async function lockIdentities(trx: Tx, workspaceId: string, identities: ContactIdentity[]): Promise<void> {
  const keys = [...new Set(identities.map((i) => `${workspaceId}|${i.kind}|${i.value}`))].sort()
  if (keys.length === 1) {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${keys[0]}, 0))`.execute(trx)
    return
  }
  // One round trip; unnest yields the (sorted) array in order, so locks are taken in that order.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${keys}::text[]) AS k`.execute(
    trx,
  )
}

export interface ResolvedContact {
  id: string
  created: boolean
  /** Contacts folded into this one (same person under another identity). */
  mergedFrom: string[]
}

/**
 * Finds the contact for these identities, creating it when none exists and merging when they
 * point at several (the anonymous visitor who fills a form with a known email). The oldest
 * contact survives a merge: its first-seen time and id are what the CRM and history already know.
 */
export async function resolveContact(
  trx: Tx,
  workspaceId: string,
  identities: ContactIdentity[],
  firstSeenAt: Date,
  options: { mergeKnownContacts?: boolean; initialProfile?: ContactProfile } = {},
): Promise<ResolvedContact> {
  await lockIdentities(trx, workspaceId, identities)
  const rows = await trx
    .selectFrom('contact_identities as i')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.workspace_id', '=', 'i.workspace_id').onRef('c.id', '=', 'i.contact_id'),
    )
    .select(['c.id', 'c.first_seen_at'])
    .where('i.workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or(identities.map((i) => eb.and([eb('i.kind', '=', i.kind), eb('i.value', '=', i.value)]))),
    )
    .orderBy('c.first_seen_at')
    .orderBy('c.id')
    .execute()
  const distinct = [...new Map(rows.map((r) => [r.id, r])).values()]
  let id: string
  let created = false
  const mergedFrom: string[] = []
  if (distinct.length === 0) {
    const inserted = await trx
      .insertInto('contacts')
      .values({
        workspace_id: workspaceId,
        first_seen_at: firstSeenAt,
        properties: JSON.stringify(options.initialProfile ?? {}),
        email: typeof options.initialProfile?.['email'] === 'string' ? options.initialProfile['email'] : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    id = inserted.id
    created = true
  } else if (
    options.mergeKnownContacts === false &&
    (await knownAmong(
      trx,
      workspaceId,
      distinct.map((d) => d.id),
    )) > 1
  ) {
    // An untrusted source (the public tracking key) names two people Leadgrid already knows:
    // decided here, under the identity locks, so two racing requests cannot merge them. The first
    // non-anonymous identity of the request wins; the others stay with their own contacts.
    const anchor = identities.find((i) => i.kind !== 'anonymous') ?? identities[0]!
    id = (await contactIdOf(trx, workspaceId, anchor)) ?? distinct[0]!.id
  } else {
    id = distinct[0]!.id
    for (const other of distinct.slice(1)) {
      await mergeContactInto(trx, workspaceId, other.id, id)
      mergedFrom.push(other.id)
    }
  }
  await trx
    .insertInto('contact_identities')
    .values(
      identities.map((i) => ({ workspace_id: workspaceId, kind: i.kind, value: i.value, contact_id: id })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
    .execute()
  if (!created) {
    await trx
      .updateTable('contacts')
      .set({ first_seen_at: sql`LEAST(first_seen_at, ${firstSeenAt})` })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute()
  }
  return { id, created, mergedFrom }
}

/** How many of these contacts are known people (an identity other than an anonymous visitor id). */
async function knownAmong(trx: Tx, workspaceId: string, contactIds: string[]): Promise<number> {
  const rows = await trx
    .selectFrom('contact_identities')
    .select('contact_id')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .where('kind', '!=', 'anonymous')
    .execute()
  return rows.length
}

/**
 * Folds `fromId` into `intoId`: events, identities and profile move; the older first-seen time
 * wins; the absorbed contact's score and history go with it. The caller marks the survivor for a
 * rescore, with its transaction's other marks (one ordered statement: rescore-mark-repository.ts);
 * a mark left on the absorbed contact is dropped by the rescorer.
 * Profile values already on the survivor win over the absorbed contact's.
 */
export async function mergeContactInto(
  trx: Tx,
  workspaceId: string,
  fromId: string,
  intoId: string,
): Promise<void> {
  if (fromId === intoId) return
  // Locked before its events move: an event another transaction inserts for this contact holds
  // its KEY SHARE lock (the foreign key) until it commits, so without this lock the merge would
  // move the events it sees, wait at the DELETE below, and cascade-delete the late one — an
  // acknowledged event lost. Locked first, the late insert waits, then fails its foreign key and
  // is run again against the survivor (ingestion-service.ts).
  const from = await trx
    .selectFrom('contacts')
    .select(['properties', 'first_seen_at', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', fromId)
    .forUpdate()
    .executeTakeFirst()
  if (!from) return
  await trx
    .updateTable('events')
    .set({ contact_id: intoId })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', fromId)
    .execute()
  await moveOutcomes(trx, workspaceId, fromId, intoId)
  await trx
    .updateTable('contact_identities')
    .set({ contact_id: intoId })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', fromId)
    .execute()
  await trx
    .updateTable('contacts')
    .set({
      properties: sql`${JSON.stringify(from.properties)}::jsonb || properties`,
      first_seen_at: sql`LEAST(first_seen_at, ${from.first_seen_at})`,
      email: sql`COALESCE(email, ${from.email})`,
      updated_at: sql`now()`,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', intoId)
    .execute()
  await trx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', fromId).execute()
}

/** The contact an identity belongs to now (after any merge), or null when it names nobody yet. */
export async function contactIdOf(
  db: Db | Tx,
  workspaceId: string,
  identity: ContactIdentity,
): Promise<string | null> {
  const row = await db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', identity.kind)
    .where('value', '=', identity.value)
    .executeTakeFirst()
  return row?.contact_id ?? null
}

/** Applies a profile patch: given keys overwrite, `null` clears, absent keys stay. */
export async function patchProfile(
  trx: Tx,
  workspaceId: string,
  contactId: string,
  patch: ContactProfile,
): Promise<boolean> {
  if (Object.keys(patch).length === 0) return false
  const current = await trx
    .selectFrom('contacts')
    .select('properties')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    // NO KEY UPDATE, the lock the UPDATE below takes anyway: unlike FOR UPDATE it does not block
    // another transaction inserting an event for this contact (its foreign key check).
    .forNoKeyUpdate()
    .executeTakeFirstOrThrow()
  const next: ContactProfile = { ...current.properties }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key]
    else next[key] = value
  }
  if (JSON.stringify(next) === JSON.stringify(current.properties)) return false
  const email = typeof next['email'] === 'string' ? next['email'] : null
  await trx
    .updateTable('contacts')
    .set({ properties: JSON.stringify(next), email, updated_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute()
  return true
}

/** The contact a key names: an email (contains `@`), `hubspot:<id>`, `pipedrive:<id>`, or a bare CRM/external id. */
export async function findContactByKey(db: Db, workspaceId: string, key: string): Promise<string | null> {
  const trimmed = key.trim()
  let candidates: ContactIdentity[]
  const prefixed = /^(hubspot|pipedrive|external):(.+)$/.exec(trimmed)
  if (trimmed.includes('@')) candidates = [{ kind: 'email', value: trimmed.toLowerCase() }]
  else if (prefixed) candidates = [{ kind: prefixed[1] as ContactIdentity['kind'], value: prefixed[2]! }]
  else candidates = (['hubspot', 'pipedrive', 'external'] as const).map((kind) => ({ kind, value: trimmed }))
  const row = await db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or(candidates.map((c) => eb.and([eb('kind', '=', c.kind), eb('value', '=', c.value)]))))
    .executeTakeFirst()
  return row?.contact_id ?? null
}

/** Erases a person: contact, identities, events, scores and history (privacy deletion). */
export async function eraseContact(db: Db | Tx, workspaceId: string, contactId: string): Promise<void> {
  // Child rows go by ON DELETE CASCADE; outbox rows are keyed by contact without a foreign key.
  await db
    .deleteFrom('outbox')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .execute()
  await db
    .deleteFrom('crm_written_values')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .execute()
  await db
    .deleteFrom('contacts')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute()
}

/** Stored profiles of some contacts of a workspace, by contact id (missing ids are simply absent). */
export async function contactProfiles(
  db: Db,
  workspaceId: string,
  contactIds: string[],
): Promise<Map<string, ContactProfile>> {
  if (contactIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('contacts')
    .select(['id', 'properties'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', contactIds)
    .execute()
  return new Map(rows.map((r) => [r.id, r.properties as ContactProfile]))
}
