/**
 * A page too big for a scoring thread's capped heap is scored on the calling thread instead of
 * failing: the same page would otherwise fail its job on every retry.
 */
import { afterAll, expect, it } from 'vitest'
import {
  createTaskGridCache,
  type RescoreTask,
  runScoreTask,
} from '../../../src/rescoring/bulk-score-tasks.js'
import { createScoreWorkerPool } from '../../../src/rescoring/score-worker-pool.js'
import { starterGrid } from '../../../src/scoring/index.js'

const pool = createScoreWorkerPool({ size: 1, heapMb: 8 })
afterAll(() => pool.close())

it('scores a page that exhausts the thread’s heap on the calling thread, with the same result', async () => {
  const now = Date.parse('2026-11-30T12:00:00.000Z')
  // Two contacts with 60,000 page views each: far past an 8 MB heap once parsed.
  const events = Array.from({ length: 60_000 }, (_, i) => [
    'page.viewed',
    new Date(now - (i % 80) * 86_400_000 - i).toISOString().replace('T', ' ').replace('Z', ''),
    { url: `https://acme-software.example/pricing?visit=${i}` },
  ])
  const data = JSON.stringify({
    p: { email: 'heavy@acme-software.example', jobtitle: 'VP Sales' },
    c: '2026-01-01 00:00:00',
    e: events,
    s: null,
  })
  const task: RescoreTask = {
    kind: 'rescore',
    grid: { key: 'starter', id: '00000000-0000-4000-8000-000000000001', definition: starterGrid },
    now,
    rows: [
      ['00000000-0000-4000-8000-00000000000a', 'publish', data],
      ['00000000-0000-4000-8000-00000000000b', 'publish', data],
    ],
  }
  const result = await pool.run(task)
  expect(result).toEqual(runScoreTask(task, createTaskGridCache()))
  expect(result).toHaveLength(2)
}, 60_000)
