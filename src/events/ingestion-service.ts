/**
 * Ingestion: contacts and events from any producer (API, tracking snippet, CRM adapters) land
 * here. One transaction stores them and marks the touched contacts dirty; only then does the
 * caller acknowledge, and a rescore job is asked for. If the process dies before the job is sent,
 * the dirty mark survives and the catch-up job finds it.
 *
 * The marks are written once, at the end of the transaction, in contact-id order (see
 * rescore-mark-repository.ts): a publish marking the whole workspace at the same moment then
 * cannot deadlock with it. Contention that PostgreSQL still resolves by aborting (two batches
 * resolving the same people in another order) re-runs the whole transaction: it is idempotent
 * through the events' dedupe keys and the identity upserts.
 */
import { createHash } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { contactIdOf, patchProfile, resolveContact } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import { insertEvents, type NewEvent } from '../db/event-repository.js'
import { markForRescore, type RescoreMark } from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import type { Database } from '../db/schema.js'
import type { ContactProfile } from '../domain/contact.js'
import type { JobQueue } from '../jobs/queue.js'
import type { Metrics } from '../metrics.js'
import { type ContactRef, type ContactUpsert, type EventInput, identitiesOf } from './ingestion-schemas.js'

export interface IngestionDeps {
  db: Db
  queue: Pick<JobQueue, 'send'>
  clock: Clock
  logger: Logger
  metrics?: Pick<Metrics, 'eventsIngested' | 'eventsDuplicate'>
}

export interface IngestOptions {
  /**
   * false for untrusted producers (the public tracking key): identities that name two already
   * known people never merge them. CRMs and API callers, who hold secrets, may merge.
   */
  mergeKnownContacts?: boolean
}

export interface IngestEventsResult {
  accepted: number
  duplicates: number
}

export interface IngestContactsResult {
  contacts: { contactId: string; created: boolean }[]
}

/** The same fact always gets the same key: the sender's id, else a hash of its content. */
export function eventDedupeKey(
  event: Pick<EventInput, 'id' | 'contact' | 'type' | 'occurredAt' | 'attributes'>,
): string {
  if (event.id) return `id:${event.id}`
  const anchor = identitiesOf(event.contact)[0]!
  const attributes = Object.fromEntries(
    Object.entries(event.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  )
  const canonical = JSON.stringify([anchor.kind, anchor.value, event.type, event.occurredAt, attributes])
  return `h:${createHash('sha256').update(canonical).digest('base64url')}`
}

function refKey(ref: ContactRef): string {
  return JSON.stringify(identitiesOf(ref))
}

type Tx = Transaction<Database>

/**
 * Stores events in the caller's transaction: contacts resolved, events inserted once; the contacts
 * to mark dirty are added to `marks` (written by the caller, once).
 */
async function storeEvents(
  trx: Tx,
  workspaceId: string,
  events: EventInput[],
  source: string,
  options: IngestOptions,
  now: Date,
  marks: RescoreMark[],
): Promise<IngestEventsResult & { merged: boolean }> {
  if (events.length === 0) return { accepted: 0, duplicates: 0, merged: false }
  const byContact = new Map<string, { ref: ContactRef; events: EventInput[] }>()
  for (const e of events) {
    const key = refKey(e.contact)
    const group = byContact.get(key) ?? { ref: e.contact, events: [] }
    group.events.push(e)
    byContact.set(key, group)
  }
  // Sorted so concurrent batches lock identities in the same order.
  const groups = [...byContact].sort(([a], [b]) => a.localeCompare(b)).map(([, group]) => group)
  const merged: string[] = []
  const contactOf = new Map<(typeof groups)[number], string>()
  for (const group of groups) {
    // ISO-8601 instants in UTC sort as strings.
    const earliest = [now.toISOString(), ...group.events.map((e) => e.occurredAt)].sort()[0]!
    const email = group.ref.email?.toLowerCase()
    const contact = await resolveContact(trx, workspaceId, identitiesOf(group.ref), new Date(earliest), {
      ...options,
      initialProfile: email ? { email } : {},
    })
    if (email && !contact.created) await patchProfile(trx, workspaceId, contact.id, { email })
    if (contact.mergedFrom.length > 0) merged.push(contact.id)
    contactOf.set(group, contact.id)
  }
  // A later group may have merged an earlier group's contact away (the anonymous visitor who
  // identifies in the same batch): after a merge, read each group's contact again.
  const rows: NewEvent[] = []
  for (const group of groups) {
    const contactId =
      merged.length > 0
        ? (await contactIdOf(trx, workspaceId, identitiesOf(group.ref)[0]!))!
        : contactOf.get(group)!
    for (const e of group.events) {
      rows.push({
        dedupeKey: eventDedupeKey(e),
        contactId,
        type: e.type,
        occurredAt: e.occurredAt,
        attributes: e.attributes,
        source,
      })
    }
  }
  for (const contactId of merged) marks.push({ contactId, reason: 'merge' })
  const inserted = await insertEvents(trx, workspaceId, rows)
  for (const contactId of inserted.contactIds) marks.push({ contactId, reason: 'event' })
  return {
    accepted: inserted.inserted,
    duplicates: rows.length - inserted.inserted,
    merged: merged.length > 0,
  }
}

/** Upserts contacts in the caller's transaction; those that need rescoring are added to `marks`. */
async function storeContacts(
  trx: Tx,
  workspaceId: string,
  items: ContactUpsert[],
  options: IngestOptions,
  now: Date,
  marks: RescoreMark[],
): Promise<IngestContactsResult & { changed: boolean }> {
  const out: IngestContactsResult['contacts'] = []
  let changedAny = false
  for (const item of items) {
    const firstSeen = item.createdAt ? new Date(item.createdAt) : now
    const patch: ContactProfile = { ...(item.properties ?? {}) }
    if (item.contact.email) patch['email'] = item.contact.email.toLowerCase()
    // A new contact gets its profile with its row; `null` (clear) means nothing on a new one.
    const initialProfile = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null))
    const contact = await resolveContact(trx, workspaceId, identitiesOf(item.contact), firstSeen, {
      ...options,
      initialProfile,
    })
    const changed = contact.created || (await patchProfile(trx, workspaceId, contact.id, patch))
    if (changed || contact.mergedFrom.length > 0) {
      marks.push({ contactId: contact.id, reason: contact.created ? 'created' : 'profile' })
      changedAny = true
    }
    out.push({ contactId: contact.id, created: contact.created })
  }
  return { contacts: out, changed: changedAny }
}

export function createIngestionService(deps: IngestionDeps) {
  const { db, queue, clock, logger, metrics } = deps

  async function requestRescore(workspaceId: string): Promise<void> {
    try {
      await queue.send('rescore-dirty', { workspaceId })
    } catch (err) {
      // The data is stored and marked dirty; the catch-up job will rescore it.
      logger.warn({ err, workspaceId }, 'could not enqueue rescore; catch-up will pick it up')
    }
  }

  /** Contacts and events of one request, stored together or not at all. */
  async function ingest(
    workspaceId: string,
    batch: { contacts?: ContactUpsert[]; events?: EventInput[] },
    source: string,
    options: IngestOptions = {},
  ): Promise<IngestContactsResult & IngestEventsResult> {
    const now = clock.now()
    const result = await transactionWithRetry(
      db,
      async (trx) => {
        const marks: RescoreMark[] = []
        const contacts = await storeContacts(trx, workspaceId, batch.contacts ?? [], options, now, marks)
        const events = await storeEvents(trx, workspaceId, batch.events ?? [], source, options, now, marks)
        // Last, in one statement: every other lock of this transaction is already held by then.
        await markForRescore(trx, workspaceId, marks)
        return { contacts, events }
      },
      { logger, label: 'ingest' },
    )
    metrics?.eventsIngested.inc({ source }, result.events.accepted)
    metrics?.eventsDuplicate.inc({ source }, result.events.duplicates)
    if (result.contacts.changed || result.events.accepted > 0 || result.events.merged)
      await requestRescore(workspaceId)
    logger.debug(
      { workspaceId, source, contacts: batch.contacts?.length ?? 0, events: batch.events?.length ?? 0 },
      'ingested',
    )
    return {
      contacts: result.contacts.contacts,
      accepted: result.events.accepted,
      duplicates: result.events.duplicates,
    }
  }

  return {
    ingest,

    async ingestEvents(
      workspaceId: string,
      events: EventInput[],
      source: string,
      options: IngestOptions = {},
    ): Promise<IngestEventsResult> {
      const { accepted, duplicates } = await ingest(workspaceId, { events }, source, options)
      return { accepted, duplicates }
    },

    async ingestContacts(
      workspaceId: string,
      items: ContactUpsert[],
      source: string,
      options: IngestOptions = {},
    ): Promise<IngestContactsResult> {
      const { contacts } = await ingest(workspaceId, { contacts: items }, source, options)
      return { contacts }
    },
  }
}

export type IngestionService = ReturnType<typeof createIngestionService>
