/**
 * `leadgrid bench latency`: one HubSpot property change at a time — the CRM stand-in's contact gets
 * a new whitepaper conversion, a signed webhook reports it to Leadgrid over HTTP — and the time until
 * the new score arrives at the stand-in in a batch update. p50 / p99 over the changes. Everything is
 * the production path: webhook route, stored delivery, pg-boss jobs, batch read, ingestion, rescore,
 * outbox, flush. Baseline, same run: one round trip of a batch update to the stand-in.
 */

import { outboxRows } from '../db/bench/probe-repository.js'
import { type BenchContact, benchContacts } from './bench-contacts.js'
import { type BenchMachine, percentile, round, waitFor } from './bench-machine.js'
import {
  type BenchService,
  publishGridChange,
  seedHubSpotConnection,
  signHubSpotV3,
  startBenchService,
} from './bench-service.js'
import { createContactLoader } from './contact-loader.js'
import { type CrmStandIn, startCrmStandIn } from './crm-stand-in.js'

/** One change at most every 0.5 s: 8 calls/s at most, under HubSpot's 11/s (see the loop). */
const PACE_MS = 500

export interface LatencyBenchResult {
  bench: 'latency'
  machine: BenchMachine
  changes: number
  /** Changes start at most one per this many milliseconds (stays within the portal's budget). */
  paceMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Changes whose score never arrived within the per-change timeout. */
  timedOut: number
  baseline: { what: string; p50Ms: number }
}

/**
 * The stand-in's contacts loaded and known to the CRM, then their first scores written, so each
 * change measured afterwards moves a score the CRM already holds.
 */
async function prepareContacts(
  service: BenchService,
  crm: CrmStandIn,
  changes: number,
  log: (l: string) => void,
): Promise<BenchContact[]> {
  await seedHubSpotConnection(service, crm.portalId)
  const loader = createContactLoader(service, { withHubSpotIds: true })
  const contacts = [...benchContacts({ count: changes, now: Date.now() })]
  await loader.load(contacts)
  const since = new Date(Date.now() - 100 * 86_400_000).toISOString()
  for (const c of contacts) {
    crm.contacts.set(c.hubspotId, {
      email: c.email,
      jobtitle: String(c.profile['jobtitle'] ?? ''),
      createdate: since,
      lastmodifieddate: since,
    })
  }
  await service.startWorkers()
  await publishGridChange(service, () => {}, 'bench: first scores')
  const written = await waitFor(async () => crm.stats.contactsWritten >= changes, 120_000, 100)
  if (!written) log(`only ${crm.stats.contactsWritten} of ${changes} first scores written in 120 s`)
  const db = service.runtime.deps.db
  await waitFor(async () => (await outboxRows(db)) === 0, 60_000)
  return contacts
}

/** Baseline: what one batch update costs on this loopback, without Leadgrid (ten round trips). */
async function roundTrips(crm: CrmStandIn): Promise<number[]> {
  const trips: number[] = []
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now()
    const r = await fetch(`${crm.baseUrl}/crm/v3/objects/contacts/batch/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ id: 'baseline', properties: { n: String(i) } }] }),
    })
    await r.text()
    trips.push(performance.now() - t0)
  }
  return trips
}

/**
 * Change `i`: the contact gets a whitepaper conversion at the stand-in, a signed webhook reports
 * it; milliseconds from the webhook until its new score arrives at the stand-in, or -1 when it
 * did not within `perChangeMs`.
 */
async function timeOneChange(
  service: BenchService,
  crm: CrmStandIn,
  c: BenchContact,
  i: number,
  perChangeMs: number,
): Promise<number> {
  const arrived = new Promise<number>((resolve) => {
    const timer = setTimeout(() => resolve(-1), perChangeMs)
    crm.onUpdate = (ids, at) => {
      if (ids.includes(c.hubspotId)) {
        clearTimeout(timer)
        resolve(at)
      }
    }
  })
  const occurred = new Date()
  Object.assign(crm.contacts.get(c.hubspotId)!, {
    num_conversion_events: '1',
    recent_conversion_event_name: 'Whitepaper: lead scoring',
    recent_conversion_date: occurred.toISOString(),
    lastmodifieddate: occurred.toISOString(),
  })
  const body = JSON.stringify([
    {
      eventId: 9_000_000 + i,
      subscriptionId: 5,
      portalId: crm.portalId,
      appId: 4242,
      occurredAt: occurred.getTime(),
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: Number(c.hubspotId),
      propertyName: 'num_conversion_events',
      propertyValue: '1',
      changeSource: 'FORM',
    },
  ])
  const t0 = Date.now()
  const res = await fetch(`${service.baseUrl}/webhooks/hubspot`, {
    method: 'POST',
    headers: signHubSpotV3(service.baseUrl, '/webhooks/hubspot', body),
    body,
  })
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`)
  const at = await arrived
  return at < 0 ? -1 : at - t0
}

export async function runLatencyBench(
  options: { changes?: number; timeoutSeconds?: number; log?: (l: string) => void } = {},
): Promise<LatencyBenchResult> {
  const changes = options.changes ?? 50
  const log = options.log ?? (() => {})
  const crm = await startCrmStandIn()
  const service = await startBenchService({ crmApiBase: crm.baseUrl, listen: true })
  try {
    const contacts = await prepareContacts(service, crm, changes, log)
    const trips = await roundTrips(crm)
    const latencies: number[] = []
    let timedOut = 0
    const perChangeMs = (options.timeoutSeconds ?? 30) * 1000
    // Changes start at most one per PACE_MS. A change costs the portal up to four calls (the contact,
    // its company association and company, the score write): back to back they would spend the
    // 110-per-10-s budget in a few seconds, and the figure would measure HubSpot's limit (a change
    // waiting for the window, ≈ 10 s) instead of Leadgrid's path.
    let nextStart = 0
    for (let i = 0; i < changes; i++) {
      const wait = nextStart - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      nextStart = Date.now() + PACE_MS
      const ms = await timeOneChange(service, crm, contacts[i]!, i, perChangeMs)
      if (ms < 0) timedOut++
      else latencies.push(ms)
      if (i % 10 === 9) log(`  ${i + 1} changes, p50 so far ${percentile(latencies, 50)} ms`)
    }
    crm.onUpdate = undefined
    return {
      bench: 'latency',
      machine: service.machine,
      changes,
      paceMs: PACE_MS,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(Math.max(0, ...latencies)),
      timedOut,
      baseline: {
        what: 'one batch-update round trip to the stand-in on loopback, Leadgrid not involved',
        p50Ms: round(percentile(trips, 50), 1),
      },
    }
  } finally {
    await service.close()
    await crm.close()
  }
}
