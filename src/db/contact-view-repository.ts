/**
 * Reads behind the contact view of the settings page: search by email or name, one contact with
 * its score and identities, its event timeline. Every query is bounded by the workspace id.
 */
import { sql } from 'kysely'
import type { Db } from './database.js'

export interface ContactHit {
  id: string
  email: string | null
  name: string | null
  company: string | null
  score: number | null
  band: string | null
  mql: boolean | null
}

const nameOf = (p: Record<string, unknown>) =>
  [p.firstname, p.lastname].filter((x) => typeof x === 'string' && x).join(' ') || null

/** Contacts whose email or name contains `q` (case-insensitive); the highest scores first. */
export async function searchContacts(
  db: Db,
  workspaceId: string,
  q: string,
  limit = 25,
): Promise<ContactHit[]> {
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  let query = db
    .selectFrom('contacts as c')
    .leftJoin('scores as s', (j) =>
      j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.contact_id', '=', 'c.id'),
    )
    .select(['c.id', 'c.email', 'c.properties', 's.total', 's.band', 's.mql'])
    .where('c.workspace_id', '=', workspaceId)
  if (q.trim()) {
    query = query.where((eb) =>
      eb.or([
        eb('c.email', 'ilike', like),
        eb(
          sql`coalesce(c.properties->>'firstname', '') || ' ' || coalesce(c.properties->>'lastname', '')`,
          'ilike',
          like,
        ),
      ]),
    )
  }
  const rows = await query.orderBy(sql`s.total DESC NULLS LAST`).orderBy('c.id').limit(limit).execute()
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: nameOf(r.properties),
    company: typeof r.properties.company === 'string' ? r.properties.company : null,
    score: r.total,
    band: r.band,
    mql: r.mql,
  }))
}

export async function getContact(db: Db, workspaceId: string, contactId: string) {
  const row = await db
    .selectFrom('contacts')
    .select(['id', 'email', 'properties', 'first_seen_at'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst()
  return row ? { ...row, name: nameOf(row.properties) } : undefined
}

export async function contactTimeline(db: Db, workspaceId: string, contactId: string, limit = 100) {
  return db
    .selectFrom('events')
    .select(['type', 'occurred_at', 'attributes', 'source'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('occurred_at', 'desc')
    .limit(limit)
    .execute()
}
