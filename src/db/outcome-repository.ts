/**
 * SQL for outcomes (migration 005). The table is declared here with `withTables` rather than in
 * schema.ts, so the calibration work stays in its own files.
 */
import type { Generated, Kysely, Transaction } from 'kysely'
import type { OutcomeKind } from '../domain/outcome.js'
import type { Database } from './schema.js'

export interface OutcomesTable {
  workspace_id: string
  id: string
  contact_id: string
  kind: OutcomeKind
  occurred_at: Date
  source: string
  received_at: Generated<Date>
}

type Executor = Kysely<Database> | Transaction<Database>
const withOutcomes = (db: Executor) => db.withTables<{ outcomes: OutcomesTable }>()

export interface NewOutcome {
  id: string
  contactId: string
  kind: OutcomeKind
  occurredAt: string
  source: string
}

/** Inserts outcomes once each (by id); returns how many were new. */
export async function insertOutcomes(
  db: Executor,
  workspaceId: string,
  outcomes: NewOutcome[],
): Promise<number> {
  if (outcomes.length === 0) return 0
  const rows = await withOutcomes(db)
    .insertInto('outcomes')
    .values(
      outcomes.map((o) => ({
        workspace_id: workspaceId,
        id: o.id,
        contact_id: o.contactId,
        kind: o.kind,
        occurred_at: new Date(o.occurredAt),
        source: o.source,
      })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'id']).doNothing())
    .returning('id')
    .execute()
  return rows.length
}

/** When two contacts turn out to be one person, the absorbed one's outcomes move with its events. */
export async function moveOutcomes(trx: Executor, workspaceId: string, fromId: string, intoId: string) {
  await withOutcomes(trx)
    .updateTable('outcomes')
    .set({ contact_id: intoId })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', fromId)
    .execute()
}

export interface OutcomeView {
  id: string
  contactId: string
  email: string | null
  kind: OutcomeKind
  occurredAt: string
  source: string
}

/** Outcomes of a period, newest first, keyset-paginated on (occurred_at, id). */
export async function listOutcomes(
  db: Executor,
  workspaceId: string,
  options: {
    from?: Date
    to?: Date
    contactId?: string
    limit: number
    before?: { occurredAt: Date; id: string }
  },
): Promise<OutcomeView[]> {
  let q = withOutcomes(db)
    .selectFrom('outcomes as o')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.workspace_id', '=', 'o.workspace_id').onRef('c.id', '=', 'o.contact_id'),
    )
    .select(['o.id', 'o.contact_id', 'c.email', 'o.kind', 'o.occurred_at', 'o.source'])
    .where('o.workspace_id', '=', workspaceId)
  if (options.from) q = q.where('o.occurred_at', '>=', options.from)
  if (options.to) q = q.where('o.occurred_at', '<', options.to)
  if (options.contactId) q = q.where('o.contact_id', '=', options.contactId)
  if (options.before) {
    const { occurredAt, id } = options.before
    q = q.where((eb) =>
      eb.or([
        eb('o.occurred_at', '<', occurredAt),
        eb.and([eb('o.occurred_at', '=', occurredAt), eb('o.id', '<', id)]),
      ]),
    )
  }
  const rows = await q.orderBy('o.occurred_at', 'desc').orderBy('o.id', 'desc').limit(options.limit).execute()
  return rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    email: r.email,
    kind: r.kind,
    occurredAt: r.occurred_at.toISOString(),
    source: r.source,
  }))
}

export interface ContactOutcomes {
  contactId: string
  /** The first outcome of the period: when sales decided. */
  decidedAt: Date
  kinds: OutcomeKind[]
}

/** Per contact with an outcome in [from, to): its first outcome time and every kind in the period. */
export async function outcomesByContact(
  db: Executor,
  workspaceId: string,
  from: Date,
  to: Date,
  limit: number,
): Promise<ContactOutcomes[]> {
  const rows = await withOutcomes(db)
    .selectFrom('outcomes')
    .select(['contact_id', 'kind', 'occurred_at'])
    .where('workspace_id', '=', workspaceId)
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to)
    .orderBy('contact_id')
    .orderBy('occurred_at')
    .execute()
  const byContact = new Map<string, ContactOutcomes>()
  for (const r of rows) {
    const entry = byContact.get(r.contact_id)
    if (entry) entry.kinds.push(r.kind)
    else {
      if (byContact.size >= limit) continue
      byContact.set(r.contact_id, { contactId: r.contact_id, decidedAt: r.occurred_at, kinds: [r.kind] })
    }
  }
  return [...byContact.values()]
}
