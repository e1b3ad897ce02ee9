/**
 * The sender of `bench ingest`'s API phases, on its own thread (api-sender.ts starts it): the
 * senders of a real deployment are other machines, so building and sending the requests must
 * not take the event loop of the service being measured. Posts `{ seconds, durations, cpuSeconds }` (its own CPU) or
 * `{ error }` once every batch has been answered.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { SenderInput } from './api-sender.js'
import { threadCpuSeconds } from './cpu-accounting.js'
import { benchEvents } from './ingest-batches.js'

async function send(input: SenderInput, b: number): Promise<number> {
  const body = JSON.stringify({ events: benchEvents(b, input.shape) })
  const t0 = performance.now()
  const r = await fetch(`${input.baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${input.apiKey}`, 'content-type': 'application/json' },
    body,
  })
  const text = await r.text()
  if (r.status !== 202) throw new Error(`batch ${b}: HTTP ${r.status} ${text}`)
  return performance.now() - t0
}

async function run(input: SenderInput) {
  const cpu0 = threadCpuSeconds()
  const durations: number[] = []
  const started = performance.now()
  if (input.ratePerSecond) {
    // On a clock, not when the previous batch answers: a slow batch cannot slow the offered load.
    const everyMs = (input.shape.eventsPerBatch * 1000) / input.ratePerSecond
    await Promise.all(
      Array.from({ length: input.batches }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * everyMs))
        durations.push(await send(input, input.first + i))
      }),
    )
  } else {
    let next = 0
    await Promise.all(
      Array.from({ length: input.concurrency }, async () => {
        while (next < input.batches) durations.push(await send(input, input.first + next++))
      }),
    )
  }
  const cpu1 = threadCpuSeconds()
  const cpuSeconds = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0
  return { seconds: (performance.now() - started) / 1000, durations, cpuSeconds }
}

run(workerData.input as SenderInput).then(
  (result) => parentPort?.postMessage(result),
  (err: unknown) => parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
)
