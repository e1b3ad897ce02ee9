/**
 * When a connection's outbox is flushed after new rows were written to it (no fixed debounce
 * on the hot path). The flush is asked for at once, and the queue wakes a worker
 * for it without waiting for its next poll (queue.ts).
 *
 * Coalescing needs no timer: `crm-flush` is a `short` singleton per connection (catalog.ts), so
 * while one flush job waits, every further request folds into it; while one runs, the rows written
 * meanwhile wait for the next, which starts as soon as the running one ends and takes them all (up
 * to a full batch, then it asks for another). The wait therefore adapts to the CRM's pace: none
 * when the connection is idle, one flush's duration when it is busy. A deferred flush (rate limit,
 * 5xx backoff) is a waiting job too, so a request cannot bring it forward.
 */
import type { JobQueue } from '../jobs/queue.js'

export async function scheduleFlush(
  queue: Pick<JobQueue, 'send'>,
  workspaceId: string,
  connectionId: string,
): Promise<void> {
  await queue.send('crm-flush', { workspaceId, connectionId })
}
