/**
 * The lead events a HubSpot contact's engagement properties imply, as HubSpot holds them now (pure).
 *
 * Every event's id is derived from HubSpot's state, not from the delivery that told us: the open at
 * `hs_email_last_open_date`, the Nth page view (`hs_analytics_num_page_views` = N), the Nth conversion.
 * A webhook, its retries, the 15-minute reconciliation and the backfill all derive the same ids from
 * the same state, so the ingestion's dedupe stores each fact once, whichever path saw it first.
 * When a counter jumped by several between two looks, only the newest occurrence is known (HubSpot
 * keeps the last URL / form only): one event is recorded, never invented ones.
 */
import type { EventAttributes, EventType } from '../../domain/lead-event.js'

/** An event in the shape the ingestion service takes (`id` becomes the dedupe key). */
export interface HubSpotLeadEvent {
  id: string
  contact: { hubspotId: string; email?: string }
  type: EventType
  occurredAt: string
  attributes: EventAttributes
}

type Snapshot = Record<string, string | null | undefined>

/** HubSpot datetimes come as epoch milliseconds (webhooks) or ISO strings (REST); both → ISO. */
export function toIsoInstant(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === '') return null
  const v = value.trim()
  const d = /^\d{10,}$/.test(v) ? new Date(Number(v)) : new Date(v)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

function positiveInt(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null
  const n = Number(value)
  return Number.isInteger(n) && n > 0 ? n : null
}

/** One event a snapshot may imply, without the contact: its id's last parts, type, time, attributes. */
type Fact = { key: string; type: EventType; occurredAt: string; attributes: EventAttributes }
type FactReader = (p: Snapshot, fallbackTime: Date) => Fact | null

/** An event dated by a "last …" property: the instant itself tells one occurrence from the next. */
function dated(
  property: string,
  name: string,
  type: EventType,
  attributes: (p: Snapshot) => EventAttributes,
): FactReader {
  return (p) => {
    const at = toIsoInstant(p[property])
    return at ? { key: `${name}:${at}`, type, occurredAt: at, attributes: attributes(p) } : null
  }
}

/** An event counted by HubSpot: the count tells one occurrence from the next, `detail` describes it. */
function counted(
  counter: string,
  detail: string,
  dateProperty: string,
  type: EventType,
  attributes: (detail: string) => EventAttributes,
): FactReader {
  return (p, fallbackTime) => {
    const n = positiveInt(p[counter])
    const value = p[detail]?.trim()
    if (n === null || !value) return null
    const occurredAt = toIsoInstant(p[dateProperty]) ?? fallbackTime.toISOString()
    return { key: `${type}:${n}`, type, occurredAt, attributes: attributes(value) }
  }
}

const campaign = (p: Snapshot) => {
  const name = p['hs_email_last_email_name']?.trim() || 'hubspot-marketing-email'
  return { campaignId: name, campaignName: name }
}
const salesEmail = () => ({ campaignId: 'hubspot-sales-email', category: 'sales' })

/** What a snapshot can tell, in the order the events are reported. */
const FACTS: readonly FactReader[] = [
  dated('hs_email_last_open_date', 'email.opened', 'email.opened', campaign),
  dated('hs_email_last_click_date', 'email.clicked', 'email.clicked', campaign),
  dated('hs_sales_email_last_opened', 'sales-email.opened', 'email.opened', salesEmail),
  dated('hs_sales_email_last_clicked', 'sales-email.clicked', 'email.clicked', salesEmail),
  counted(
    'hs_analytics_num_page_views',
    'hs_analytics_last_url',
    'hs_analytics_last_timestamp',
    'page.viewed',
    (url) => ({
      url: url.slice(0, 2048),
    }),
  ),
  counted(
    'num_conversion_events',
    'recent_conversion_event_name',
    'recent_conversion_date',
    'form.submitted',
    (form) => ({
      formName: form.slice(0, 512),
    }),
  ),
  dated('engagements_last_meeting_booked', 'meeting.booked', 'meeting.booked', () => ({})),
]

/** Lead events implied by a contact's engagement properties as HubSpot holds them now. */
export function engagementEventsFromSnapshot(
  portalId: string,
  contactId: string,
  p: Snapshot,
  fallbackTime: Date,
): HubSpotLeadEvent[] {
  const email = p['email'] ? p['email'].trim().toLowerCase() : undefined
  const contact = email ? { hubspotId: contactId, email } : { hubspotId: contactId }
  const prefix = `hubspot:${portalId}:${contactId}`
  return FACTS.flatMap((read) => {
    const fact = read(p, fallbackTime)
    if (!fact) return []
    const { key, type, occurredAt, attributes } = fact
    return [{ id: `${prefix}:${key}`, contact, type, occurredAt, attributes }]
  })
}
