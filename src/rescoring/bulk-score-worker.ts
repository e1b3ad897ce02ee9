/**
 * A scoring thread of the bulk pool (score-worker-pool.ts): runs tasks one at a time and answers
 * with the result or the error's text. It never touches the database: embedded PGlite is one
 * connection, owned by the main thread, so workers only ever see plain data.
 */
import { parentPort } from 'node:worker_threads'
import { createTaskGridCache, runScoreTask, type ScoreTask } from './bulk-score-tasks.js'

/** This thread's compiled grids: the thread is its own small root, built once when it starts. */
const grids = createTaskGridCache()

parentPort?.on('message', (message: { id: number; task: ScoreTask }) => {
  try {
    parentPort?.postMessage({ id: message.id, result: runScoreTask(message.task, grids) })
  } catch (err) {
    parentPort?.postMessage({
      id: message.id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    })
  }
})
