/**
 * The writes of one ingest, inside the caller's transaction: contacts resolved, events inserted
 * once, and the contacts to mark dirty added to `marks` (the caller writes them, once, last).
 *
 * Set-based first (contact-bulk-repository.ts, insertEvents): a batch costs the same handful of
 * statements whether it holds 1 event or 1,000. When a batch would merge contacts (the anonymous
 * visitor who identifies, two CRM records of one person) it is resolved one item at a time through
 * resolveContact instead, which owns the merge rules; nothing was written before that choice.
 */
import type { Transaction } from 'kysely'
import { type BulkResolveRequest, resolveContactsInBulk } from '../db/contact-bulk-repository.js'
import { contactIdOf, patchProfile, resolveContact } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import { insertEvents, type NewEvent } from '../db/event-repository.js'
import type { RescoreMark } from '../db/rescore-mark-repository.js'
import type { Database } from '../db/schema.js'
import { ingestEventsInOneStatement } from '../db/single-statement-ingest.js'
import type { ContactProfile } from '../domain/contact.js'
import { eventDedupeKey } from './event-dedupe-key.js'
import { type ContactRef, type ContactUpsert, type EventInput, identitiesOf } from './ingestion-schemas.js'

type Tx = Transaction<Database>

export interface StoreOptions {
  /** false for untrusted producers: see IngestOptions in ingestion-service.ts. */
  mergeKnownContacts?: boolean
}

function refKey(ref: ContactRef): string {
  return JSON.stringify(identitiesOf(ref))
}

/** The batch's events by the person they name: one resolve request per distinct contact reference. */
function groupByContact(events: EventInput[], now: Date) {
  const byContact = new Map<string, { ref: ContactRef; events: EventInput[] }>()
  for (const e of events) {
    const key = refKey(e.contact)
    const group = byContact.get(key) ?? { ref: e.contact, events: [] }
    group.events.push(e)
    byContact.set(key, group)
  }
  // Sorted so concurrent batches lock identities in the same order (the one-by-one path).
  const groups = [...byContact].sort(([a], [b]) => a.localeCompare(b)).map(([, group]) => group)
  const requests = groups.map((group): BulkResolveRequest => {
    // ISO-8601 instants in UTC sort as strings.
    const earliest = [now.toISOString(), ...group.events.map((e) => e.occurredAt)].sort()[0]!
    const email = group.ref.email?.toLowerCase()
    return {
      identities: identitiesOf(group.ref),
      firstSeenAt: new Date(earliest),
      patch: email ? { email } : {},
    }
  })
  return { groups, requests }
}

/** The event rows of the groups, each on its group's contact (contactIds: one per group, in order). */
function eventRows(groups: { events: EventInput[] }[], contactIds: string[], source: string): NewEvent[] {
  const rows: NewEvent[] = []
  for (const [n, group] of groups.entries()) {
    for (const e of group.events) {
      rows.push({
        dedupeKey: eventDedupeKey(e),
        contactId: contactIds[n]!,
        type: e.type,
        occurredAt: e.occurredAt,
        attributes: e.attributes,
        source,
      })
    }
  }
  return rows
}

/**
 * Stores a batch of events in one autocommitted statement (single-statement-ingest.ts), its dirty
 * marks included; null, with nothing written, when the batch needs storeEvents' transaction.
 */
export async function storeEventsInOneStatement(
  db: Db,
  workspaceId: string,
  events: EventInput[],
  source: string,
  now: Date,
): Promise<{ accepted: number; duplicates: number; merged: false } | null> {
  const { groups, requests } = groupByContact(events, now)
  const inserted = await ingestEventsInOneStatement(db, workspaceId, requests, (ids) =>
    eventRows(groups, ids, source),
  )
  if (!inserted) return null
  return { accepted: inserted.inserted, duplicates: events.length - inserted.inserted, merged: false }
}

/** Stores events; returns what was accepted and whether contacts were merged on the way. */
export async function storeEvents(
  trx: Tx,
  workspaceId: string,
  events: EventInput[],
  source: string,
  options: StoreOptions,
  now: Date,
  marks: RescoreMark[],
): Promise<{ accepted: number; duplicates: number; merged: boolean }> {
  if (events.length === 0) return { accepted: 0, duplicates: 0, merged: false }
  const { groups, requests } = groupByContact(events, now)
  const bulk = await resolveContactsInBulk(trx, workspaceId, requests)
  const merged: string[] = []
  let contactIds: string[]
  if (bulk) contactIds = bulk.map((r) => r.id)
  else {
    contactIds = []
    for (const [n, group] of groups.entries()) {
      const { identities, firstSeenAt, patch } = requests[n]!
      const contact = await resolveContact(trx, workspaceId, identities, firstSeenAt, {
        ...options,
        initialProfile: patch,
      })
      if (group.ref.email && !contact.created) await patchProfile(trx, workspaceId, contact.id, patch)
      if (contact.mergedFrom.length > 0) merged.push(contact.id)
      contactIds.push(contact.id)
    }
    // A later group may have merged an earlier group's contact away (the anonymous visitor who
    // identifies in the same batch): after a merge, read each group's contact again.
    if (merged.length > 0) {
      for (const [n, group] of groups.entries())
        contactIds[n] = (await contactIdOf(trx, workspaceId, identitiesOf(group.ref)[0]!))!
    }
  }
  const rows = eventRows(groups, contactIds, source)
  for (const contactId of merged) marks.push({ contactId, reason: 'merge' })
  const inserted = await insertEvents(trx, workspaceId, rows)
  for (const contactId of inserted.contactIds) marks.push({ contactId, reason: 'event' })
  return {
    accepted: inserted.inserted,
    duplicates: rows.length - inserted.inserted,
    merged: merged.length > 0,
  }
}

/** Upserts contacts; those that need rescoring are added to `marks`. */
export async function storeContacts(
  trx: Tx,
  workspaceId: string,
  items: ContactUpsert[],
  options: StoreOptions,
  now: Date,
  marks: RescoreMark[],
): Promise<{ contacts: { contactId: string; created: boolean }[]; changed: boolean }> {
  if (items.length === 0) return { contacts: [], changed: false }
  const requests: BulkResolveRequest[] = items.map((item) => {
    const patch: ContactProfile = { ...(item.properties ?? {}) }
    if (item.contact.email) patch['email'] = item.contact.email.toLowerCase()
    return {
      identities: identitiesOf(item.contact),
      firstSeenAt: item.createdAt ? new Date(item.createdAt) : now,
      patch,
    }
  })
  const out: { contactId: string; created: boolean }[] = []
  let changedAny = false
  const bulk = await resolveContactsInBulk(trx, workspaceId, requests)
  if (bulk) {
    for (const r of bulk) {
      if (r.changed) {
        marks.push({ contactId: r.id, reason: r.created ? 'created' : 'profile' })
        changedAny = true
      }
      out.push({ contactId: r.id, created: r.created })
    }
    return { contacts: out, changed: changedAny }
  }
  for (const { identities, firstSeenAt, patch } of requests) {
    // A new contact gets its profile with its row; `null` (clear) means nothing on a new one.
    const initialProfile = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null))
    const contact = await resolveContact(trx, workspaceId, identities, firstSeenAt, {
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
