/**
 * What a sender gives for an outcome (`POST /api/v1/outcomes`, `outcomes import`): the contact as
 * for events (email or CRM / external id), a kind from OUTCOME_KINDS, when it happened, and an
 * optional id that makes a resend idempotent. Validated item by item like events.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { OUTCOME_KINDS } from '../domain/outcome.js'
// The same contact reference and instant rules as events (ISO-8601 with offset, 1970–9999).
import { contactRefSchema, identitiesOf, isoInstant } from '../events/ingestion-schemas.js'

export const outcomeInputSchema = z
  .object({
    id: z.string().trim().min(1).max(200).optional(),
    contact: contactRefSchema,
    kind: z.enum(OUTCOME_KINDS, {
      error: (i) =>
        `unknown outcome kind ${JSON.stringify(i.input)}; expected one of ${OUTCOME_KINDS.join(', ')}`,
    }),
    occurredAt: isoInstant,
  })
  .strict()

export type OutcomeInput = z.output<typeof outcomeInputSchema>

/** The sender's id, else a hash of the content: the same outcome sent twice is stored once. */
export function outcomeKey(o: OutcomeInput): string {
  if (o.id) return `id:${o.id}`
  const anchor = identitiesOf(o.contact)[0]!
  const canonical = JSON.stringify([anchor.kind, anchor.value, o.kind, o.occurredAt])
  return `h:${createHash('sha256').update(canonical).digest('base64url')}`
}
