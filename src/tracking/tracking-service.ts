/**
 * Stores what the tracking snippet collected, through the ingestion service (source `tracking`).
 *
 * An email given with a visitor id links the anonymous visitor to that person, and the ingestion
 * service merges the two contacts: the earlier page views then count for the identified contact.
 * Because the write key is public, that link is only made while the visitor is not yet someone
 * else: a browser already identified as a@x that now submits b@x (a shared computer, a colleague
 * testing the form, or a forged request) records b@x's event under b@x alone, and never merges
 * two known people into one.
 */
import { emailsOfVisitor } from '../db/contact-identity-repository.js'
import type { Db } from '../db/database.js'
import { normalizeEmail } from '../domain/contact.js'
import type { EventInput } from '../events/ingestion-schemas.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { CollectBatch } from './collect-schema.js'

export const TRACKING_SOURCE = 'tracking'

export interface CollectResult {
  accepted: number
  duplicates: number
  /** Emails that could not be linked to this visitor because it is already someone else. */
  unlinked: number
}

export function createTrackingService(deps: { db: Db; ingestion: Pick<IngestionService, 'ingest'> }) {
  const { db, ingestion } = deps

  return {
    async collect(workspaceId: string, batch: CollectBatch): Promise<CollectResult> {
      const { visitorId } = batch
      const wantsLink = batch.identify !== null || batch.events.some((e) => e.contact.email)
      const linked = wantsLink ? await emailsOfVisitor(db, workspaceId, visitorId) : new Set<string>()
      const alreadyLinked = linked.size > 0
      let linkedNow: string | undefined
      let unlinked = 0
      /** May this email be tied to the visitor? The first email met claims an unclaimed visitor. */
      const mayLink = (email: string): boolean => {
        const normalized = normalizeEmail(email)
        if (linked.size === 0) {
          linked.add(normalized)
          linkedNow = email
        }
        if (linked.has(normalized)) return true
        unlinked++
        return false
      }

      const identify =
        batch.identify?.contact.email && mayLink(batch.identify.contact.email) ? batch.identify : null
      const withEmail = batch.events.map((e) =>
        e.contact.email && !mayLink(e.contact.email) ? { ...e, contact: { email: e.contact.email } } : e,
      )
      // When this request links the visitor, all its anonymous events name the email too: one
      // contact reference, so the merge happens once, before any of the batch's events is placed.
      const events: EventInput[] = withEmail.map((e) =>
        linkedNow && !alreadyLinked && e.contact.anonymousId && !e.contact.email
          ? { ...e, contact: { anonymousId: visitorId, email: linkedNow } }
          : e,
      )
      // The check above is advisory (it reads outside the transaction); the rule itself is enforced
      // under the identity locks: a public key never merges two known people.
      const untrusted = { mergeKnownContacts: false }
      if (!identify && events.length === 0) return { accepted: 0, duplicates: 0, unlinked }
      // The identify and the events of one request are stored together or not at all.
      const stored = await ingestion.ingest(
        workspaceId,
        { contacts: identify ? [identify] : [], events },
        TRACKING_SOURCE,
        untrusted,
      )
      return { accepted: stored.accepted, duplicates: stored.duplicates, unlinked }
    },
  }
}

export type TrackingService = ReturnType<typeof createTrackingService>
