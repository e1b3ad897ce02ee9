/**
 * The bulk pipeline: every page scored and consumed once, never more than `depth` pages read ahead
 * of the consumers (what keeps a million-contact pass in bounded memory), and the first failure
 * stops the reading and is what the caller sees.
 */
import { describe, expect, it } from 'vitest'
import { runPipeline } from '../../../src/rescoring/bulk-pipeline.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('runPipeline', () => {
  it('consumes every page once, with at most `depth` pages read and not yet consumed', async () => {
    let next = 0
    let outstanding = 0
    let most = 0
    const seen: number[] = []
    const pages = await runPipeline({
      read: async () => {
        if (next === 50) return null
        outstanding += 1
        most = Math.max(most, outstanding)
        return next++
      },
      score: async (page) => {
        await tick()
        return page * 2
      },
      consume: async (page, result) => {
        await tick()
        expect(result).toBe(page * 2)
        seen.push(page)
        outstanding -= 1
      },
      depth: 3,
      consumers: 2,
    })
    expect(pages).toBe(50)
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(most).toBeLessThanOrEqual(3)
  })

  it('stops reading at the first failure and rejects with it', async () => {
    let read = 0
    const run = runPipeline({
      read: async () => (read < 100 ? read++ : null),
      score: async (page) => {
        if (page === 4) throw new Error('thread lost')
        return page
      },
      consume: () => {},
      depth: 2,
    })
    await expect(run).rejects.toThrow('thread lost')
    expect(read).toBeLessThan(10)
  })
})
