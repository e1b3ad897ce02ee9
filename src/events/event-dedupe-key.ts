/**
 * An event's dedupe key: part of the events' primary key, so a sender's retry is stored once.
 */
import { createHash } from 'node:crypto'
import { type EventInput, identitiesOf } from './ingestion-schemas.js'

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
