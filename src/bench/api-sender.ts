/** Runs one API phase of `bench ingest` on a sender thread (api-sender-thread.ts) and waits for it. */
import { startModuleWorker } from '../util/module-worker.js'
import type { IngestBatchShape } from './ingest-batches.js'

export interface SenderInput {
  baseUrl: string
  apiKey: string
  shape: IngestBatchShape
  /** Batch numbers first … first + batches − 1. */
  first: number
  batches: number
  /** Senders each waiting for its answer before the next batch (when no rate is given). */
  concurrency: number
  /** Offered load in events/s: batches leave on a clock instead. */
  ratePerSecond?: number
}

export interface SenderResult {
  seconds: number
  durations: number[]
  /** The sender thread's own CPU over the phase (null where /proc cannot tell). */
  cpuSeconds: number | null
}

export function sendFromThread(input: SenderInput): Promise<SenderResult> {
  const worker = startModuleWorker(import.meta.url, 'api-sender-thread', { input })
  return new Promise((resolve, reject) => {
    worker.once('message', (m: SenderResult | { error: string }) => {
      void worker.terminate()
      if ('error' in m) reject(new Error(m.error))
      else resolve(m)
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`sender thread exited with code ${code}`)))
  })
}
