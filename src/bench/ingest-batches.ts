/**
 * The event batches `bench ingest` sends, the same for the HTTP API (sent from a sender thread)
 * and the raw-insert ceiling (built on the main thread): batch `b` names five people, each with a
 * mix of page views and downloads over the last 30 days.
 */
export interface IngestBatchShape {
  eventsPerBatch: number
  /** People the batches cycle through. */
  contacts: number
  /** The bench's "now" (ms), fixed for the run so every batch is the same whoever builds it. */
  now: number
}

export interface BenchEvent {
  id: string
  contact: { email: string }
  type: 'asset.downloaded' | 'page.viewed'
  occurredAt: string
  attributes: Record<string, string>
}

export function benchEvents(b: number, shape: IngestBatchShape): BenchEvent[] {
  return Array.from(
    { length: shape.eventsPerBatch },
    (_, k): BenchEvent => ({
      id: `b${b}-${k}`,
      contact: { email: `lead${(b * 5 + (k % 5)) % shape.contacts}@bench-corp.com` },
      type: k % 10 === 0 ? 'asset.downloaded' : 'page.viewed',
      occurredAt: new Date(shape.now - (k % 30) * 86_400_000).toISOString(),
      attributes:
        k % 10 === 0
          ? ({ assetId: `wp-${k}`, assetType: 'whitepaper' } as Record<string, string>)
          : { url: `/pricing?k=${k}` },
    }),
  )
}
