/**
 * The benchmarks' bulk load of generated contacts straight into the tables — contacts, their
 * identities, their events and, optionally, their current scores — without going through the code
 * being measured. COPY on a server; INSERT … unnest on embedded PGlite (copy-rows.ts says why).
 */
import type { DatabaseHandle } from '../database.js'
import { type Cell, createRowLoader, type LoadColumn, type LoadMethod } from './copy-rows.js'

export interface ContactLoadRow {
  id: string
  email: string
  /** The contact's HubSpot id, recorded as an identity when the load asks for it. */
  hubspotId: string
  profile: Record<string, unknown>
  createdAt: number
  events: { dedupeKey: string; type: string; occurredAt: string; attributes?: Cell }[]
}

/** One row of `scores`, in the columns' order (see SCORE_COLUMNS). */
export interface ScoreLoadRow {
  contactId: string
  gridId: string
  fit: number
  engagement: number
  total: number
  band: string
  grade: string
  mql: boolean
  mqlSince: Cell
  reasons: Cell
  contributions: Cell
  computedAt: Date
}

const col = (name: string, type: string): LoadColumn => ({ name, type })

const CONTACT_COLUMNS = [
  col('workspace_id', 'uuid'),
  col('id', 'uuid'),
  col('email', 'text'),
  col('properties', 'jsonb'),
  col('first_seen_at', 'timestamptz'),
]
const IDENTITY_COLUMNS = [
  col('workspace_id', 'uuid'),
  col('kind', 'text'),
  col('value', 'text'),
  col('contact_id', 'uuid'),
]
const EVENT_COLUMNS = [
  col('workspace_id', 'uuid'),
  col('dedupe_key', 'text'),
  col('contact_id', 'uuid'),
  col('type', 'text'),
  col('occurred_at', 'timestamptz'),
  col('attributes', 'jsonb'),
  col('source', 'text'),
]
const SCORE_COLUMNS = [
  col('workspace_id', 'uuid'),
  col('contact_id', 'uuid'),
  col('grid_id', 'uuid'),
  col('fit', 'integer'),
  col('engagement', 'integer'),
  col('total', 'integer'),
  col('band', 'text'),
  col('grade', 'text'),
  col('mql', 'boolean'),
  col('mql_since', 'timestamptz'),
  col('reasons', 'text'),
  col('contributions', 'jsonb'),
  col('computed_at', 'timestamptz'),
]

export function createContactLoadRepository(database: DatabaseHandle, workspaceId: string) {
  // PGlite's socket server loses protocol sync on COPY FROM STDIN (FATAL 08P01, the one session
  // gone), so the embedded database is loaded with INSERT … unnest from the start.
  const loader = createRowLoader(database.pool, database.embedded ? 'insert-unnest' : 'copy')
  return {
    get method(): LoadMethod {
      return loader.method
    },
    get copyRefusal() {
      return loader.copyRefusal
    },
    async loadContacts(contacts: ContactLoadRow[], options: { withHubSpotIds?: boolean } = {}) {
      await loader.load(
        'contacts',
        CONTACT_COLUMNS,
        contacts.map((c) => [workspaceId, c.id, c.email, c.profile, new Date(c.createdAt)]),
      )
      const identities = contacts.flatMap((c) => [
        [workspaceId, 'email', c.email, c.id],
        ...(options.withHubSpotIds ? [[workspaceId, 'hubspot', c.hubspotId, c.id]] : []),
      ])
      await loader.load('contact_identities', IDENTITY_COLUMNS, identities)
      const events = contacts.flatMap((c) =>
        c.events.map((e) => [workspaceId, e.dedupeKey, c.id, e.type, e.occurredAt, e.attributes, 'bench']),
      )
      await loader.load('events', EVENT_COLUMNS, events)
    },
    async loadScores(scores: ScoreLoadRow[]) {
      const rows = scores.map((s) => [
        workspaceId,
        s.contactId,
        s.gridId,
        s.fit,
        s.engagement,
        s.total,
        s.band,
        s.grade,
        s.mql,
        s.mqlSince,
        s.reasons,
        s.contributions,
        s.computedAt,
      ])
      await loader.load('scores', SCORE_COLUMNS, rows)
    },
    /** The workspace's published grid, whose scores the load stores. */
    async publishedGrid(): Promise<{ id: string; definition: unknown }> {
      return database.db
        .selectFrom('grids')
        .select(['id', 'definition'])
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'published')
        .executeTakeFirstOrThrow()
    },
  }
}
