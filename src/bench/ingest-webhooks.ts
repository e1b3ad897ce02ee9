/**
 * `bench ingest`, phase 3: signed HubSpot webhook batches (100 property changes each) for 1,000
 * stand-in contacts through the webhook route, then the wait until every stored delivery was
 * processed (contact read from the stand-in, ingested) and scored. Also the senders' loop the
 * main-thread phases share.
 */
import { deliveryCounts } from '../db/bench/probe-repository.js'
import { percentile, round, waitFor } from './bench-machine.js'
import { type BenchService, hasDirtyContacts, seedHubSpotConnection, signHubSpotV3 } from './bench-service.js'
import type { CrmStandIn } from './crm-stand-in.js'

export interface WebhookPhase {
  eventsPerSecond: number
  p50BatchMs: number
  p99BatchMs: number
  /** Until every stored delivery was processed (contact read from the stand-in, ingested) and scored; null if not within the wait. */
  secondsUntilProcessed: number | null
  /** Deliveries stored, and how many of them were processed when the wait ended. */
  deliveries: number
  processedDeliveries: number
}

const HUBSPOT_CONTACTS = 1000

/** `batches` calls of `send`, `concurrency` at a time, each timed. */
export async function sendAll(
  batches: number,
  concurrency: number,
  send: (b: number) => Promise<void>,
): Promise<{ seconds: number; durations: number[] }> {
  const durations: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches) {
        const b = next++
        const t0 = performance.now()
        await send(b)
        durations.push(performance.now() - t0)
      }
    }),
  )
  return { seconds: (performance.now() - started) / 1000, durations }
}

function seedStandInContacts(crm: CrmStandIn, now: number) {
  const since = new Date(now - 10 * 86_400_000).toISOString()
  for (let i = 0; i < HUBSPOT_CONTACTS; i++) {
    crm.contacts.set(String(5_000_001 + i), {
      email: `hs${i}@bench-corp.com`,
      createdate: since,
      lastmodifieddate: since,
      num_conversion_events: '1',
      recent_conversion_event_name: 'Whitepaper: lead scoring',
      recent_conversion_date: since,
    })
  }
}

async function sendWebhookBatch(base: string, portalId: number, b: number, now: number) {
  const body = JSON.stringify(
    Array.from({ length: 100 }, (_, k) => ({
      eventId: b * 100 + k,
      subscriptionId: 5,
      portalId,
      appId: 4242,
      occurredAt: now + b * 100 + k,
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: 5_000_001 + ((b * 100 + k) % HUBSPOT_CONTACTS),
      propertyName: 'num_conversion_events',
      propertyValue: '1',
      changeSource: 'FORM',
    })),
  )
  const r = await fetch(`${base}/webhooks/hubspot`, {
    method: 'POST',
    headers: signHubSpotV3(base, '/webhooks/hubspot', body),
    body,
  })
  if (r.status !== 200) throw new Error(`webhook batch ${b}: HTTP ${r.status} ${await r.text()}`)
}

export async function runWebhookPhase(
  service: BenchService,
  crm: CrmStandIn,
  options: {
    batches: number
    concurrency: number
    now: number
    waitSeconds: number
    log: (l: string) => void
  },
): Promise<WebhookPhase> {
  await seedHubSpotConnection(service, crm.portalId)
  seedStandInContacts(crm, options.now)
  const { batches, log } = options
  const db = service.runtime.deps.db
  const h0 = performance.now()
  const hook = await sendAll(batches, options.concurrency, (b) =>
    sendWebhookBatch(service.baseUrl, crm.portalId, b, options.now),
  )
  log(`webhooks: ${Math.round((batches * 100) / hook.seconds)} events/s acknowledged; processing…`)
  const processed = await waitFor(
    async () => {
      const counts = await deliveryCounts(db)
      return counts.all === counts.processed && !(await hasDirtyContacts(service))
    },
    options.waitSeconds * 1000,
    250,
  )
  const processedSeconds = (performance.now() - h0) / 1000
  const counts = await deliveryCounts(db)
  return {
    eventsPerSecond: Math.round((batches * 100) / hook.seconds),
    p50BatchMs: Math.round(percentile(hook.durations, 50)),
    p99BatchMs: Math.round(percentile(hook.durations, 99)),
    secondsUntilProcessed: processed ? round(processedSeconds, 1) : null,
    deliveries: counts.all,
    processedDeliveries: counts.processed,
  }
}
