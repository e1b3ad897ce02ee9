/**
 * The database half of bulk scoring (preview and rescore after publish): pages of contacts in key
 * order with their events and stored score, and the set-based writes of a scored page.
 *
 * Why the page comes back as JSON text built by PostgreSQL: profiling the old preview (docs/
 * scaling.md) showed the main thread spending more time decoding 20 event rows per contact (a Date
 * and a JSON.parse per row, one object per row) than the engine spent scoring them — and waiting
 * for IN-list queries. Here each contact is one row whose events are aggregated in the same
 * statement (an index range scan of events_contact_time per contact, no IN list, no second round
 * trip), delivered as one string the main thread hands untouched to a scoring thread.
 */
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

/** Below every uuid: the keyset's start. */
export const FIRST_KEY = '00000000-0000-0000-0000-000000000000'

/**
 * One contact's data (ContactData in rescoring/bulk-score-tasks.ts) as JSON text, concatenated
 * rather than built with json_build_object/json_agg: measured on 20,000 contacts × 20 events, that
 * halves PostgreSQL's time per page (≈ 100 ms instead of 165 ms per 1,000 contacts, loaded
 * machine). Instants go out as UTC timestamp text ("2026-11-30 12:00:00.123", DateStyle ISO — which
 * node-pg's own parsing needs too); the scoring thread parses them as the engine always does, to the
 * same milliseconds as a Date read through pg. jsonb values print as valid JSON; the event type,
 * the one plain text column, goes through to_json so no stored value can break the page.
 */
function contactData(since: Date, forPreview: boolean, storedJoinedAs?: 'sv') {
  // "k": marked, or not yet reached by a whole-workspace pass (rescore-chunk-repository.ts).
  const previewOnly = forPreview
    ? sql`|| ',"m":' || coalesce(to_json(c.email)::text, 'null') || ',"k":' || (EXISTS (
          SELECT 1 FROM contact_rescore_marks k
          WHERE k.workspace_id = c.workspace_id AND k.contact_id = c.id) OR EXISTS (
          SELECT 1 FROM rescore_chunks r
          WHERE r.workspace_id = c.workspace_id AND c.id BETWEEN r.lo AND r.hi
            AND (r.done_to IS NULL OR c.id > r.done_to)))::text`
    : sql``
  // The stored score: from the caller's join when it has one (the range read joins it for its row
  // version: one lookup, not two), else looked up here.
  const stored = storedJoinedAs
    ? sql`CASE WHEN sv.contact_id IS NULL THEN 'null' ELSE json_build_array(sv.grid_id, sv.total, sv.band,
            sv.grade, sv.mql, sv.mql_since AT TIME ZONE 'UTC', sv.reasons)::text END`
    : sql`coalesce((
      SELECT json_build_array(s.grid_id, s.total, s.band, s.grade, s.mql, s.mql_since AT TIME ZONE 'UTC',
                              s.reasons)::text
      FROM scores s WHERE s.workspace_id = c.workspace_id AND s.contact_id = c.id), 'null')`
  return sql<string>`'{"p":' || c.properties::text
    || ',"c":"' || (c.first_seen_at AT TIME ZONE 'UTC')::text || '"'
    || ',"e":' || coalesce((
      SELECT '[' || string_agg('[' || to_json(e.type)::text || ',"' || (e.occurred_at AT TIME ZONE 'UTC')::text
                               || '",' || e.attributes::text || ']', ',') || ']'
      FROM events e
      WHERE e.workspace_id = c.workspace_id AND e.contact_id = c.id AND e.occurred_at > ${since}), '[]')
    || ',"s":' || ${stored} ${previewOnly} || '}'`
}

/** The next `limit` contacts of the workspace after `after`, in id order (the preview's walk). */
export async function readContactPage(
  db: Executor,
  workspaceId: string,
  options: { after: string; limit: number; since: Date },
): Promise<{ id: string; data: string }[]> {
  const { rows } = await sql<{ id: string; data: string }>`
    SELECT c.id::text AS id, ${contactData(options.since, true)} AS data
    FROM contacts c
    WHERE c.workspace_id = ${workspaceId} AND c.id > ${options.after}
    ORDER BY c.id
    LIMIT ${options.limit}`.execute(db)
  return rows
}

export interface MarkedContact {
  id: string
  /** The mark's row version when read: the write clears the mark only if it is still this one. */
  version: string
  reason: string
  /** null: the contact is gone (merged, erased); its mark is simply dropped. */
  data: string | null
}

/**
 * The next `limit` marked contacts after `after`, in id order, read without locks: scoring happens
 * outside any transaction, and the write checks that each mark is still the one read.
 */
export async function readMarkedPage(
  db: Executor,
  workspaceId: string,
  options: { after: string; limit: number; since: Date },
): Promise<MarkedContact[]> {
  const { rows } = await sql<MarkedContact>`
    SELECT m.contact_id::text AS id, m.xmin::text AS version, m.reason,
           CASE WHEN c.id IS NULL THEN NULL ELSE ${contactData(options.since, false)} END AS data
    FROM contact_rescore_marks m
    LEFT JOIN contacts c ON c.workspace_id = m.workspace_id AND c.id = m.contact_id
    WHERE m.workspace_id = ${workspaceId} AND m.contact_id > ${options.after}
    ORDER BY m.contact_id
    LIMIT ${options.limit}`.execute(db)
  return rows
}

/** How many marks wait, counted up to `cap` (enough to choose between the small and the bulk path). */
export async function countMarksUpTo(db: Executor, workspaceId: string, cap: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM contact_rescore_marks WHERE workspace_id = ${workspaceId} LIMIT ${cap}) t`.execute(db)
  return rows[0]?.n ?? 0
}

/**
 * The lowest and highest of these ids. Every statement on a page's ids also bounds them by this
 * range: right after a publish marks a million contacts the planner's statistics still describe a
 * small table, and without the range it chose to read every mark of the workspace for each page
 * (measured at 1M: ≈ 1.5 s per page, the pass slowing to ≈ 780 contacts/s); with it, the primary
 * key's range scan reads the page's own marks whatever the statistics say. uuid order is the order
 * of their lowercase text (as in rescore-mark-repository.ts).
 */
function bounds(ids: string[]): [string, string] {
  let lo = ids[0]!
  let hi = ids[0]!
  for (const id of ids) {
    if (id < lo) lo = id
    if (id > hi) hi = id
  }
  return [lo, hi]
}

/**
 * Locks the marks still as they were read (same row version), skipping any another transaction
 * holds. A mark that changed since — an event arrived, a publish re-marked it — is left alone: the
 * score computed from the older read must not clear it.
 */
export async function holdUnchangedMarks(
  trx: Transaction<Database>,
  workspaceId: string,
  marks: { id: string; version: string }[],
): Promise<Set<string>> {
  if (marks.length === 0) return new Set()
  const [lo, hi] = bounds(marks.map((m) => m.id))
  const { rows } = await sql<{ id: string }>`
    SELECT m.contact_id::text AS id
    FROM contact_rescore_marks m
    JOIN unnest(${marks.map((m) => m.id)}::uuid[], ${marks.map((m) => m.version)}::text[]) AS r(id, version)
      ON m.contact_id = r.id AND m.xmin::text = r.version
    WHERE m.workspace_id = ${workspaceId} AND m.contact_id BETWEEN ${lo} AND ${hi}
    FOR UPDATE OF m SKIP LOCKED`.execute(trx)
  return new Set(rows.map((r) => r.id))
}

/**
 * Of these contacts: those locked here (KEY SHARE — a profile patch goes on, a merge deleting the
 * contact waits), and those gone. The rest are held by a writer and keep their mark.
 */
export async function lockContactsForScoring(
  trx: Transaction<Database>,
  workspaceId: string,
  ids: string[],
): Promise<{ locked: Set<string>; gone: Set<string> }> {
  if (ids.length === 0) return { locked: new Set(), gone: new Set() }
  const [lo, hi] = bounds(ids)
  const { rows } = await sql<{ id: string }>`
    SELECT id::text AS id FROM contacts
    WHERE workspace_id = ${workspaceId} AND id BETWEEN ${lo} AND ${hi} AND id = ANY(${ids}::uuid[])
    ORDER BY id FOR KEY SHARE SKIP LOCKED`.execute(trx)
  const locked = new Set(rows.map((r) => r.id))
  const rest = ids.filter((id) => !locked.has(id))
  if (rest.length === 0) return { locked, gone: new Set() }
  const alive = await sql<{ id: string }>`
    SELECT id::text AS id FROM contacts WHERE workspace_id = ${workspaceId} AND id = ANY(${rest}::uuid[])`.execute(
    trx,
  )
  const aliveIds = new Set(alive.rows.map((r) => r.id))
  return { locked, gone: new Set(rest.filter((id) => !aliveIds.has(id))) }
}

/**
 * Upserts the current scores and appends the history rows, each in one statement: `records` and
 * `changed` are JSON arrays of rows (built by the scoring threads), expanded by json_to_recordset.
 */
export async function writeScoreRecords(
  trx: Transaction<Database>,
  workspaceId: string,
  computedAt: Date,
  records: string,
  changed: string,
): Promise<void> {
  await sql`
    INSERT INTO scores (workspace_id, contact_id, grid_id, fit, engagement, total, band, grade, mql,
                        mql_since, reasons, contributions, computed_at)
    SELECT ${workspaceId}, r.contact_id, r.grid_id, r.fit, r.engagement, r.total, r.band, r.grade, r.mql,
           r.mql_since, r.reasons, r.contributions, ${computedAt}
    FROM json_to_recordset(${records}::json) AS r(contact_id uuid, grid_id uuid, fit int, engagement int,
      total int, band text, grade text, mql boolean, mql_since timestamptz, reasons text, contributions jsonb)
    ORDER BY r.contact_id
    ON CONFLICT (workspace_id, contact_id) DO UPDATE SET
      grid_id = EXCLUDED.grid_id, fit = EXCLUDED.fit, engagement = EXCLUDED.engagement,
      total = EXCLUDED.total, band = EXCLUDED.band, grade = EXCLUDED.grade, mql = EXCLUDED.mql,
      mql_since = EXCLUDED.mql_since, reasons = EXCLUDED.reasons,
      contributions = EXCLUDED.contributions, computed_at = EXCLUDED.computed_at`.execute(trx)
  if (changed === '[]') return
  await sql`
    INSERT INTO score_history (workspace_id, contact_id, grid_id, fit, engagement, total, band, grade, mql,
                               reasons, cause, computed_at)
    SELECT ${workspaceId}, r.contact_id, r.grid_id, r.fit, r.engagement, r.total, r.band, r.grade, r.mql,
           r.reasons, r.cause, ${computedAt}
    FROM json_to_recordset(${changed}::json) AS r(contact_id uuid, grid_id uuid, fit int, engagement int,
      total int, band text, grade text, mql boolean, reasons text, cause text)`.execute(trx)
}

/** Deletes these marks (held by this transaction) in one statement. */
export async function clearMarksById(trx: Transaction<Database>, workspaceId: string, ids: string[]) {
  if (ids.length === 0) return
  const [lo, hi] = bounds(ids)
  await sql`
    DELETE FROM contact_rescore_marks
    WHERE workspace_id = ${workspaceId} AND contact_id BETWEEN ${lo} AND ${hi}
      AND contact_id = ANY(${ids}::uuid[])`.execute(trx)
}

export interface RangeContact {
  id: string
  /** The stored score's row version when read (null: never scored): the write's optimistic check. */
  version: string | null
  /** The contact's own mark's reason, if it has one (the history's cause before the pass's). */
  reason: string | null
  data: string
}

/**
 * The next `limit` contacts of a rescore range (rescore-chunk-repository.ts) after `after` (from
 * `lo` when null) up to `hi`, in id order, read without locks, each with its stored score's row
 * version for the write's check.
 */
export async function readRangePage(
  db: Executor,
  workspaceId: string,
  options: { lo: string; after: string | null; hi: string; limit: number; since: Date },
): Promise<RangeContact[]> {
  const from = options.after === null ? sql`c.id >= ${options.lo}` : sql`c.id > ${options.after}`
  const { rows } = await sql<RangeContact>`
    SELECT c.id::text AS id, sv.xmin::text AS version, m.reason,
           ${contactData(options.since, false, 'sv')} AS data
    FROM contacts c
    LEFT JOIN scores sv ON sv.workspace_id = c.workspace_id AND sv.contact_id = c.id
    LEFT JOIN contact_rescore_marks m ON m.workspace_id = c.workspace_id AND m.contact_id = c.id
    WHERE c.workspace_id = ${workspaceId} AND ${from} AND c.id <= ${options.hi}
    ORDER BY c.id
    LIMIT ${options.limit}`.execute(db)
  return rows
}

/**
 * Locks the stored scores still at the version read, skipping any another transaction holds (a
 * writer scoring that contact now, with data at least as new). Holding the score row also keeps
 * the contact: a merge deleting it cascades to this row and waits for the commit. That one lock
 * replaces the mark lock and the contact lock of the mark path (two tuple writes per contact).
 */
export async function holdUnchangedScores(
  trx: Transaction<Database>,
  workspaceId: string,
  rows: { id: string; version: string }[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set()
  const [lo, hi] = bounds(rows.map((r) => r.id))
  const { rows: held } = await sql<{ id: string }>`
    SELECT s.contact_id::text AS id
    FROM scores s
    JOIN unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.version)}::text[]) AS r(id, version)
      ON s.contact_id = r.id AND s.xmin::text = r.version
    WHERE s.workspace_id = ${workspaceId} AND s.contact_id BETWEEN ${lo} AND ${hi}
    FOR NO KEY UPDATE OF s SKIP LOCKED`.execute(trx)
  return new Set(held.map((r) => r.id))
}

/**
 * A range page's write, one statement: the held scores updated, first scores inserted (a contact
 * scored meanwhile keeps that score: DO NOTHING), a history row for each visible change among
 * those written. `records` is parsed once (the CTE is used three times). Returns the ids written.
 */
export async function writeRangeScores(
  trx: Transaction<Database>,
  workspaceId: string,
  computedAt: Date,
  records: string,
  ids: { held: string[]; fresh: string[]; changed: string[] },
): Promise<Set<string>> {
  const all = [...ids.held, ...ids.fresh]
  if (all.length === 0) return new Set()
  const [lo, hi] = bounds(all)
  const { rows } = await sql<{ id: string }>`
    WITH r AS (
      SELECT * FROM json_to_recordset(${records}::json) AS r(contact_id uuid, grid_id uuid, fit int,
        engagement int, total int, band text, grade text, mql boolean, mql_since timestamptz, reasons text,
        contributions jsonb, cause text)
    ), updated AS (
      UPDATE scores s SET grid_id = r.grid_id, fit = r.fit, engagement = r.engagement, total = r.total,
        band = r.band, grade = r.grade, mql = r.mql, mql_since = r.mql_since, reasons = r.reasons,
        contributions = r.contributions, computed_at = ${computedAt}
      FROM r
      WHERE s.workspace_id = ${workspaceId} AND s.contact_id BETWEEN ${lo} AND ${hi}
        AND s.contact_id = r.contact_id AND r.contact_id = ANY(${ids.held}::uuid[])
      RETURNING s.contact_id
    ), inserted AS (
      INSERT INTO scores (workspace_id, contact_id, grid_id, fit, engagement, total, band, grade, mql,
                          mql_since, reasons, contributions, computed_at)
      SELECT ${workspaceId}, r.contact_id, r.grid_id, r.fit, r.engagement, r.total, r.band, r.grade, r.mql,
             r.mql_since, r.reasons, r.contributions, ${computedAt}
      FROM r WHERE r.contact_id = ANY(${ids.fresh}::uuid[])
      ORDER BY r.contact_id
      ON CONFLICT (workspace_id, contact_id) DO NOTHING
      RETURNING contact_id
    ), written AS (
      SELECT contact_id FROM updated UNION ALL SELECT contact_id FROM inserted
    ), history AS (
      INSERT INTO score_history (workspace_id, contact_id, grid_id, fit, engagement, total, band, grade, mql,
                                 reasons, cause, computed_at)
      SELECT ${workspaceId}, r.contact_id, r.grid_id, r.fit, r.engagement, r.total, r.band, r.grade, r.mql,
             r.reasons, r.cause, ${computedAt}
      FROM r JOIN written w ON w.contact_id = r.contact_id
      WHERE r.contact_id = ANY(${ids.changed}::uuid[])
    )
    SELECT contact_id::text AS id FROM written`.execute(trx)
  return new Set(rows.map((r) => r.id))
}

/**
 * Lets this transaction's commit return before its WAL reaches the disk. Only for writes that are
 * safe to lose in a database crash because they are redone whole (a range page: its cursor moves
 * in the same transaction); a later synchronous commit flushes them too, WAL being written in order.
 */
export async function commitWithoutFlushWait(trx: Transaction<Database>): Promise<void> {
  await sql`SET LOCAL synchronous_commit = off`.execute(trx)
}
