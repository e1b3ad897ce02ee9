/**
 * A small pool of scoring threads (node:worker_threads) for bulk scoring: a fixed number of
 * workers, started on first use and stopped after a quiet spell, each running one task at a time
 * from a shared queue. Hand-written rather than piscina: the whole need is "run this pure function
 * on N threads", and the one subtle part — loading the TypeScript worker under tsx and vitest —
 * is ours either way (util/module-worker.ts).
 *
 * The composition root builds the process's pool (runtime.ts) and hands it to the services that
 * score in bulk; closing the runtime stops its threads.
 *
 * Callers bound what they submit (bulk-pipeline.ts keeps a few pages in flight), so the queue
 * never grows with the workspace. A worker that dies fails its task (the caller's batch is then
 * redone whole) and is replaced on the next task.
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../util/module-worker.js'
import {
  createTaskGridCache,
  runScoreTask,
  type ScoreTask,
  type ScoreTaskResult,
} from './bulk-score-tasks.js'

export interface ScorePool {
  /** Threads it runs (0: every task runs inline, on the calling thread). */
  readonly size: number
  run<T extends ScoreTask>(task: T): Promise<ScoreTaskResult<T>>
  close(): Promise<void>
}

interface Pending {
  id: number
  task: ScoreTask
  resolve: (value: never) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  busy: Pending | null
}

function startWorker(heapMb: number): Worker {
  // A page's working set is a few MB (1,000 contacts × 20 events: ≈ 15–20 MB parsed); capping the
  // heap makes V8 collect early instead of letting each thread's heap grow to hundreds of MB
  // (measured: +400 MB RSS over a 100k rescore uncapped; 96 MB instead of 192 saved nothing
  // measurable at 200k — the main thread's heap is what varies). A page of unusually large
  // contacts (thousands of events each) that does not fit is scored on the calling thread
  // instead (see `fail` below): slower, but it ends rather than failing every retry of its job.
  return startModuleWorker(import.meta.url, 'bulk-score-worker', {
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16 },
  })
}

/** Old-generation heap of a scoring thread, MB. */
const THREAD_HEAP_MB = 192

export function createScoreWorkerPool(
  options: { size?: number; idleMs?: number; heapMb?: number } = {},
): ScorePool {
  // One core is left to the main thread and, usually, PostgreSQL on the same machine: the
  // profile shows a rescore spending most of its time in the database's writes.
  const size = Math.max(0, options.size ?? Math.max(1, availableParallelism() - 1))
  const idleMs = options.idleMs ?? 30_000
  const heapMb = options.heapMb ?? THREAD_HEAP_MB
  // The grids of the tasks this pool runs on the calling thread (no threads, or a page too big).
  const inlineGrids = createTaskGridCache()
  const slots: Slot[] = []
  const queue: Pending[] = []
  let nextId = 1
  let idleTimer: NodeJS.Timeout | null = null

  function settle(slot: Slot, message: { id: number; result?: unknown; error?: string }) {
    const job = slot.busy
    slot.busy = null
    slot.worker.unref() // an idle worker must not keep the process alive
    if (job && job.id === message.id) {
      if (message.error !== undefined) job.reject(new Error(`scoring thread: ${message.error}`))
      else job.resolve(message.result as never)
    }
    dispatch()
  }

  function addSlot(): Slot {
    const slot: Slot = { worker: startWorker(heapMb), busy: null }
    slot.worker.on('message', (m) => settle(slot, m))
    const fail = (err: Error) => {
      const at = slots.indexOf(slot)
      if (at >= 0) slots.splice(at, 1)
      const job = slot.busy
      slot.busy = null
      if (job && (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        // The page does not fit a thread's capped heap: the calling thread (uncapped) scores it, so
        // the same page cannot fail the job again and again.
        try {
          job.resolve(runScoreTask(job.task, inlineGrids) as never)
        } catch (inline) {
          job.reject(inline as Error)
        }
      } else job?.reject(err)
      void slot.worker.terminate()
      dispatch()
    }
    slot.worker.on('error', fail)
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) fail(new Error(`scoring thread exited with code ${code}`))
    })
    slot.worker.unref()
    slots.push(slot)
    return slot
  }

  function dispatch() {
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.busy)
      if (!slot && slots.length < size) slot = addSlot()
      if (!slot) return
      const job = queue.shift()!
      slot.busy = job
      slot.worker.ref() // a running task keeps the process alive until it answers
      slot.worker.postMessage({ id: job.id, task: job.task })
    }
    if (slots.every((s) => !s.busy)) armIdle()
  }

  function armIdle() {
    if (idleTimer) clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      if (queue.length === 0 && slots.every((s) => !s.busy)) void stopAll()
    }, idleMs)
    idleTimer.unref()
  }

  async function stopAll() {
    const all = slots.splice(0)
    await Promise.all(all.map((s) => s.worker.terminate()))
  }

  return {
    size,
    run<T extends ScoreTask>(task: T): Promise<ScoreTaskResult<T>> {
      if (size === 0) {
        try {
          return Promise.resolve(runScoreTask(task, inlineGrids))
        } catch (err) {
          return Promise.reject(err)
        }
      }
      if (idleTimer) clearTimeout(idleTimer)
      return new Promise<ScoreTaskResult<T>>((resolve, reject) => {
        queue.push({ id: nextId++, task, resolve: resolve as (v: never) => void, reject })
        dispatch()
      })
    },
    async close() {
      if (idleTimer) clearTimeout(idleTimer)
      for (const job of queue.splice(0)) job.reject(new Error('scoring pool closed'))
      await stopAll()
    },
  }
}

/** Inline scoring for small jobs: a handful of contacts must not pay for starting threads. */
export function createInlineScorer(): ScorePool {
  return createScoreWorkerPool({ size: 0 })
}
